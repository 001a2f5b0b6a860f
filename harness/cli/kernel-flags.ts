import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultKernelSpec, type KernelSpec } from '../build/kernel-spec.ts';
import { usageError } from '../errors.ts';
import { extraFragmentNames, LAYER } from '../kconfig/fragments.ts';
import type { SourceSpec } from '../source/types.ts';
import type { KernelSpecYaml } from '../spec/kernel-spec-file.ts';
import { collect } from './arg-parsers.ts';

/**
 * The kernel flags every command that builds shares, defined once: `zdh build`, `zdh boot`,
 * `zdh shell` (all of them) and `zdh run` (the source flags; its --patches and --config
 * extend every kernel of the suite instead).
 */

/** The source flags: where the kernel comes from, and its base config. */
export interface SourceFlags {
  tarball?: string;
  tree?: string;
  git?: string;
  ref?: string;
  base?: string;
}

/** The kernel flags are the YAML kernel spec's fields, plus --spec to start from a file. */
export type KernelFlags = Omit<KernelSpecYaml, 'name'> & { spec?: string };

/** --tarball, --tree, --git, --ref, --base. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option('--tarball <file>', 'kernel source tarball (default: /usr/src/linux-source-6.1.tar.xz)')
    .option('--tree <dir>', 'a plain kernel source tree (never written to)')
    .option('--git <dir>', 'a git repository (needs --ref); your checkout is never touched')
    .option('--ref <ref>', 'branch, tag or commit in --git')
    .option('--base <config>', 'base config: tinyconfig (default), allnoconfig, defconfig or a .config file');
}

/** --spec, the source flags, --patches, --config, --no-default-fragments. */
export function addKernelOptions(cmd: Command): Command {
  cmd.option(
    '--spec <file>',
    'a YAML kernel spec (configs/schema/kernel.schema.json); flags below extend it',
  );
  return addSourceOptions(cmd)
    .option('--patches <path>', 'patch file, folder or quilt series; repeatable, applied in order', collect)
    .option(
      '--config <fragment>',
      `kconfig fragment path or name (${extraFragmentNames().join(', ') || 'see configs/kconfig/extra'}); repeatable`,
      collect,
    )
    .option('--no-default-fragments', "leave out the project's configs/kconfig/*.config");
}

/** True when any source flag was given. */
export function hasSourceFlags(f: SourceFlags): boolean {
  return [f.tarball, f.tree, f.git, f.ref, f.base].some((v) => v !== undefined);
}

/** True when any flag of addKernelOptions was given (the default-fragments switch only when turned off). */
export function hasKernelFlags(f: KernelFlags): boolean {
  return (
    hasSourceFlags(f) ||
    f.spec !== undefined ||
    (f.patches?.length ?? 0) > 0 ||
    (f.config?.length ?? 0) > 0 ||
    f.defaultFragments === false
  );
}

/** The source flags → a SourceSpec (undefined when none names a source). Paths become absolute. */
export function sourceFromFlags(f: SourceFlags): SourceSpec | undefined {
  const sources = [f.tarball, f.tree, f.git].filter((s) => s !== undefined);
  if (sources.length > 1) throw usageError('give only one of --tarball, --tree and --git');
  if (f.git !== undefined && f.ref === undefined)
    throw usageError('--git needs --ref', 'add --ref HEAD (or a branch, tag or commit)');
  if (f.ref !== undefined && f.git === undefined) throw usageError('--ref needs --git');
  if (f.tarball !== undefined) return { kind: 'tarball', path: resolve(f.tarball) };
  if (f.tree !== undefined) return { kind: 'tree', path: resolve(f.tree) };
  if (f.git !== undefined) return { kind: 'git', repo: resolve(f.git), ref: f.ref! };
  return undefined;
}

/** --base: a make target name as given, a file as an absolute path. */
export function baseFromFlag(base: string): string {
  return /^[a-z0-9_]+config$/.test(base) && !existsSync(base) ? base : resolve(base);
}

/** The source flags applied to a spec: its source and base replaced, the rest kept. */
export function applySourceFlags(spec: KernelSpec, f: SourceFlags): KernelSpec {
  const source = sourceFromFlags(f);
  const out: KernelSpec = { ...spec };
  if (source) {
    out.source = source;
    // The old name described the old source.
    delete out.name;
  }
  if (f.base !== undefined) out.base = baseFromFlag(f.base);
  return out;
}

/** Flags (and an optional --spec file) → KernelSpec. Command-line fragments override the spec's. */
export async function kernelSpecFromFlags(f: KernelFlags): Promise<KernelSpec> {
  // Checked before --spec is read: a usage error is a usage error whatever the file holds.
  sourceFromFlags(f);
  // The YAML reader and its schema validator load only for --spec: a start without it
  // (a cache hit of `zdh build`) does not pay for them.
  const fromFile = f.spec
    ? (await import('../spec/kernel-spec-file.ts')).loadKernelSpecFile(f.spec)
    : defaultKernelSpec();
  const spec = applySourceFlags(fromFile, f);
  spec.patches = [...spec.patches, ...(f.patches ?? []).map((p) => resolve(p))];
  spec.fragments = [...spec.fragments, ...(f.config ?? []).map((ref) => ({ ref, layer: LAYER.commandLine }))];
  if (f.defaultFragments === false) spec.defaultFragments = false;
  return spec;
}

/**
 * --workload, --machine, --patches and --config, each repeatable: what narrows a suite's
 * matrix (`zdh run`) or a bisect's selection, worded by `help` for each command.
 */
export function addNarrowingOptions(
  cmd: Command,
  help: { workload: string; machine: string; patches: string; config: string },
): Command {
  return cmd
    .option('--workload <name>', help.workload, collect)
    .option('--machine <name|file>', help.machine, collect)
    .option('--patches <path>', help.patches, collect)
    .option('--config <fragment>', help.config, collect);
}
