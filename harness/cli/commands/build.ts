import { type Command, Option } from 'commander';
import { buildKernel } from '../../build/build-kernel.ts';
import { defaultKernelSpec, type KernelSpec } from '../../build/kernel-spec.ts';
import { usageError } from '../../errors.ts';
import { extraFragmentNames, LAYER } from '../../kconfig/fragments.ts';
import { createProgress } from '../../progress/progress.ts';
import { type KernelSpecYaml, loadKernelSpecFile } from '../../spec/kernel-spec-file.ts';
import type { RegisterCommand } from './index.ts';

/** The kernel flags are the YAML kernel spec's fields, plus --spec to start from a file. */
export type KernelFlags = Omit<KernelSpecYaml, 'name'> & { spec?: string };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The kernel-selection flags shared by build, boot, run and bisect. */
export function addKernelOptions(cmd: Command): Command {
  return cmd
    .option('--spec <file>', 'a YAML kernel spec (configs/schema/kernel.schema.json); flags below extend it')
    .option('--tarball <file>', 'kernel source tarball (default: /usr/src/linux-source-6.1.tar.xz)')
    .option('--tree <dir>', 'a plain kernel source tree (never written to)')
    .option('--git <dir>', 'a git repository (needs --ref); your checkout is never touched')
    .option('--ref <ref>', 'branch, tag or commit in --git')
    .option('--patches <path>', 'patch file, folder or quilt series; repeatable, applied in order', collect)
    .option('--base <config>', 'base config: tinyconfig (default), allnoconfig, defconfig or a .config file')
    .option(
      '--config <fragment>',
      `kconfig fragment path or name (${extraFragmentNames().join(', ') || 'see configs/kconfig/extra'}); repeatable`,
      collect,
    )
    .option('--no-default-fragments', "leave out the project's configs/kconfig/*.config");
}

/** Flags (and an optional --spec file) → KernelSpec. Command-line fragments override the spec's. */
export function kernelSpecFromFlags(f: KernelFlags): KernelSpec {
  const sources = [f.tarball, f.tree, f.git].filter((s) => s !== undefined);
  if (sources.length > 1) throw usageError('give only one of --tarball, --tree and --git');
  if (f.git !== undefined && f.ref === undefined)
    throw usageError('--git needs --ref', 'add --ref HEAD (or a branch, tag or commit)');
  if (f.ref !== undefined && f.git === undefined) throw usageError('--ref needs --git');
  const spec = f.spec ? loadKernelSpecFile(f.spec) : defaultKernelSpec();
  if (f.tarball) spec.source = { kind: 'tarball', path: f.tarball };
  if (f.tree) spec.source = { kind: 'tree', path: f.tree };
  if (f.git) spec.source = { kind: 'git', repo: f.git, ref: f.ref! };
  spec.patches = [...spec.patches, ...(f.patches ?? [])];
  if (f.base) spec.base = f.base;
  spec.fragments = [...spec.fragments, ...(f.config ?? []).map((ref) => ({ ref, layer: LAYER.commandLine }))];
  if (f.defaultFragments === false) spec.defaultFragments = false;
  return spec;
}

export const registerBuild: RegisterCommand = (program, result) => {
  const cmd = program
    .command('build')
    .description(
      'build a kernel (source + patches + config fragments) into the cache; a cache hit returns at once',
    );
  addKernelOptions(cmd)
    .addOption(
      new Option('-j, --jobs <n>', 'parallel make jobs (default: number of CPUs + 1)').argParser(positiveInt),
    )
    .option('--force', 'build again even if the cache has this build')
    .option('--json', 'print one JSON object describing the build on stdout')
    .action(async (opts: KernelFlags & { jobs?: number; force?: boolean; json?: boolean }) => {
      const progress = createProgress();
      const spec = kernelSpecFromFlags(opts);
      try {
        const record = await buildKernel(spec, {
          progress,
          ...(opts.jobs === undefined ? {} : { jobs: opts.jobs }),
          ...(opts.force ? { force: true } : {}),
        });
        progress.done();
        if (opts.json) {
          const {
            cacheKey,
            cached,
            bzImage,
            vmlinux,
            config,
            modulesDir,
            kernelRelease,
            buildLog,
            seconds,
            dir,
            ksrc,
          } = record;
          process.stdout.write(
            `${JSON.stringify({ cacheKey, cached, bzImage, vmlinux, config, modulesDir, kernelRelease, buildLog, seconds, dir, ksrc })}\n`,
          );
        } else {
          process.stderr.write(
            `${record.cached ? 'cached' : 'built'} ${record.kernelRelease} in ${record.seconds}s\n  key:     ${record.cacheKey}\n  folder:  ${record.dir}\n  bzImage: ${record.bzImage}\n`,
          );
        }
        result.code = 0;
      } finally {
        progress.done();
      }
    });
  return cmd;
};

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`expected a positive whole number, got "${v}"`);
  return n;
}
