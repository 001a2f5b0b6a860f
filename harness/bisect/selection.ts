import type { KernelSpec } from '../build/kernel-spec.ts';
import { configError } from '../errors.ts';
import { LAYER } from '../kconfig/fragments.ts';
import type { Cell } from '../suite/matrix.ts';
import { pickWorkloads } from '../suite/narrow.ts';
import type { Suite } from '../suite/suite.ts';
import type { Selection } from './model.ts';

/**
 * What every bisect step builds and runs, from the selection flags and the suite. Pure
 * (the caller loads the suite, or gives planFor a SuiteLookup). The kernel's configuration
 * comes from the suite's first kernel (its base, fragments and patches), extended by
 * --patches/--config/--base; its source is the commit under test. Workloads and machines
 * come from the suite, narrowed by --workload/--machine.
 */
export interface StepPlan {
  /** The kernel spec without its source (each step sets {kind:'git', repo, ref: commit}). */
  spec: KernelSpec;
  machines: string[];
  workloads: Suite['workloads'];
  repeat: number;
  suiteName: string;
}

export function planSteps(suite: Suite, sel: Selection): StepPlan {
  const kernel = suite.kernels[0];
  if (!kernel) throw configError(`suite ${suite.name} defines no kernel to take the configuration from`);
  const spec: KernelSpec = {
    ...kernel.spec,
    patches: [...kernel.spec.patches, ...sel.patches],
    fragments: [...kernel.spec.fragments, ...sel.config.map((ref) => ({ ref, layer: LAYER.commandLine }))],
    base: sel.base ?? kernel.spec.base,
    defaultFragments: sel.defaultFragments && kernel.spec.defaultFragments,
  };
  const workloads = pickWorkloads(suite.workloads, sel.workloads);
  if (workloads.length === 0) {
    throw configError(`suite ${suite.name} selects no workload`, { hint: 'add --workload NAME' });
  }
  return {
    spec,
    machines: sel.machines ?? suite.machines,
    workloads,
    repeat: sel.repeat,
    suiteName: suite.name,
  };
}

/** Where a selection's suite comes from: suite/suite.ts's loaders at the edge, in-memory suites in tests. */
export interface SuiteLookup {
  /** The names of the suites shipped in configs/suites/. */
  shipped(): readonly string[];
  /** A suite by name or file. */
  load(ref: string): Suite;
  /** The suite `default` names when none is shipped: Debian 6.1 on the default machine, no workloads. */
  builtInDefault(): Suite;
}

/** The plan of a selection: its suite (`default` is the built-in one unless a default suite is shipped), then planSteps. */
export function planFor(sel: Selection, suites: SuiteLookup): StepPlan {
  const builtIn = sel.suite === 'default' && !suites.shipped().includes('default');
  return planSteps(builtIn ? suites.builtInDefault() : suites.load(sel.suite), sel);
}

/** The cells of one run of a step: every machine, one repeat. */
export function stepCells(
  plan: StepPlan,
  kernelName: string,
  source: KernelSpec['source'],
  repeat: number,
): Cell[] {
  const spec: KernelSpec = { ...plan.spec, name: kernelName, source };
  return plan.machines.map((machine) => ({
    id: `${kernelName}@${machine}#${repeat}`,
    kernel: { name: kernelName, spec },
    machine,
    repeat,
    workloads: plan.workloads,
  }));
}
