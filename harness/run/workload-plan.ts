import type { BuildRecord } from '../build/types.ts';
import type { ImageFile } from '../image/layout.ts';
import type { MachineProfile } from '../machine/profile-rules.ts';
import type { StepResult, StepSpec } from '../machine/steps.ts';
import type { CaseResult, ExpectationFileRef } from '../model/result.ts';
import type { WorkloadRef } from '../suite/suite.ts';

/**
 * What the run pipeline needs from the workloads layer for one cell: the guest steps
 * of each workload, the files they need in the guest image, and how to turn the steps'
 * results into cases. A CellWorkload is one workload of a cell's plan (made from a
 * workloads/plan.ts ResolvedWorkload, or standing for a skipped one).
 */
export interface CellWorkload {
  name: string;
  steps: StepSpec[];
  /** Set when the workload cannot run on this machine or kernel (its needs are not met). */
  skipReason?: string;
  /** Cases from this workload's step results (one per test case, 'missing' for those never reported). */
  /**
   * The cases of the step results. `machineStop` says why the machine stopped before every
   * step ran (describeExit of its exit: a hang, a panic), for the cases that never reported.
   */
  cases(results: readonly StepResult[], machineStop?: string): CaseResult[];
}

export interface CellPlan {
  workloads: CellWorkload[];
  files: ImageFile[];
  cmdlineExtra: string[];
}

export type PlanCell = (args: {
  workloads: readonly WorkloadRef[];
  build: BuildRecord;
  profile: MachineProfile;
  onProgress: (message: string) => void;
}) => Promise<CellPlan>;

/**
 * Known failures of a kernel/accelerator (configs/expectations/). `judge` applies them to
 * a workload's cases; the cell's findings come along so that an expectation never hides a
 * kernel BUG. `files` names the expectations files that speak for a kernel and
 * accelerator, for the report.
 */
export interface Expectations {
  judge(args: {
    workload: string;
    cases: CaseResult[];
    kernelRelease: string;
    accel: string;
    findings: readonly { workload: string; title: string }[];
  }): CaseResult[];
  files(facts: { kernelRelease: string; accel: string }): ExpectationFileRef[];
}
