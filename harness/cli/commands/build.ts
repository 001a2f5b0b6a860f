import { Option } from 'commander';
import { buildKernel } from '../../build/build-kernel.ts';
import { createProgress } from '../../progress/progress.ts';
import { positiveCount } from '../arg-parsers.ts';
import { addKernelOptions, type KernelFlags, kernelSpecFromFlags } from '../kernel-flags.ts';
import type { RegisterCommand } from './index.ts';

export const registerBuild: RegisterCommand = (program, result) => {
  const cmd = program
    .command('build')
    .description(
      'build a kernel (source + patches + config fragments) into the cache; a cache hit returns at once',
    );
  addKernelOptions(cmd)
    .addOption(
      new Option('-j, --jobs <n>', 'parallel make jobs (default: number of CPUs + 1)').argParser(
        positiveCount,
      ),
    )
    .option('--force', 'build again even if the cache has this build')
    .option('--json', 'print one JSON object describing the build on stdout')
    .action(async (opts: KernelFlags & { jobs?: number; force?: boolean; json?: boolean }) => {
      const progress = createProgress();
      const spec = await kernelSpecFromFlags(opts);
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
