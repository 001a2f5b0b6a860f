import { basename } from 'node:path';
import { defaultKernelSpec, type KernelSpec } from '../build/kernel-spec.ts';
import { LAYER } from '../kconfig/fragments.ts';
import type { SourceSpec } from '../source/types.ts';
import type { Suite, WorkloadRef } from './suite.ts';

/**
 * Command-line narrowing and extension of a suite, without editing it (`zdh run`'s
 * --workload, --machine, --patches, --config, --repeat and source flags). Pure: the flags
 * come in parsed, paths already absolute (cli/commands/run.ts).
 */
export interface SuiteNarrowing {
  /** --tarball/--tree/--git: one kernel from this source replaces the suite's kernels. */
  source: SourceSpec | null;
  /** --base for every kernel: a make target, or an absolute path. */
  base: string | null;
  /** --patches, absolute: after each kernel's own. */
  patches: readonly string[];
  /** --config fragment refs: after each kernel's own, on the command-line layer. */
  config: readonly string[];
  /** --machine: these machines instead of the suite's. */
  machines: readonly string[] | null;
  /** --workload: these workloads instead of the suite's. */
  workloads: readonly string[] | null;
  /** --repeat: the suite's repeats replaced. */
  repeat: number | null;
}

/**
 * Workloads by name, in the order given: a suite's workload keeps its settings (params,
 * timeout), any other name stands alone. null keeps all of the suite's.
 */
export function pickWorkloads(workloads: WorkloadRef[], names: readonly string[] | null): WorkloadRef[] {
  return names ? names.map((name) => workloads.find((w) => w.name === name) ?? { name }) : workloads;
}

/**
 * A source flag replaces the suite's kernels with that one kernel, on the default
 * configuration; the matrix's machines, workloads and repeats stay.
 */
export function narrowSuite(suite: Suite, n: SuiteNarrowing): Suite {
  const rebased = (spec: KernelSpec): KernelSpec =>
    n.base === null ? { ...spec } : { ...spec, base: n.base };
  const kernels = n.source
    ? [{ name: kernelNameFor(n.source), spec: rebased({ ...defaultKernelSpec(), source: n.source }) }]
    : suite.kernels.map((k) => ({ ...k, spec: rebased(k.spec) }));
  const name = kernels[0]?.name;
  return {
    ...suite,
    // The one kernel runs on every machine any of the suite's kernels was included on; an
    // exclude that named one of the suite's kernels does not apply to it.
    matrix: n.source
      ? {
          include: suite.matrix.include
            ? suite.matrix.include.map((p) => (p.kernel === undefined ? p : { ...p, kernel: name }))
            : null,
          exclude: suite.matrix.exclude.filter((p) => p.kernel === undefined),
        }
      : suite.matrix,
    kernels: kernels.map((k) => ({
      ...k,
      spec: {
        ...k.spec,
        patches: [...k.spec.patches, ...n.patches],
        fragments: [...k.spec.fragments, ...n.config.map((ref) => ({ ref, layer: LAYER.commandLine }))],
      },
    })),
    machines: n.machines ? [...n.machines] : suite.machines,
    workloads: pickWorkloads(suite.workloads, n.workloads),
    repeats: n.repeat ?? suite.repeats,
  };
}

/** A short name for a kernel from the command line: the tarball's, tree's or repository's name (and the ref). */
export function kernelNameFor(source: SourceSpec): string {
  switch (source.kind) {
    case 'tarball':
      return basename(source.path).replace(/\.tar(\.\w+)?$|\.tgz$/, '');
    case 'tree':
      return basename(source.path);
    case 'git':
      return `${basename(source.repo)}@${source.ref}`;
  }
}
