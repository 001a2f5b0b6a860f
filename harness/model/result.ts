import type { ExitReason } from '../machine/exit-reason.ts';
import type { Finding } from '../scan/types.ts';

/**
 * The one result model. `zdh run` fills it, summary.json is it serialised, and JUnit,
 * HTML, terminal output, `zdh report`, `zdh merge` and `zdh bisect` read it. A new output
 * reads this model; it never re-parses logs. Field names are stable: a change that
 * removes or renames a field bumps SUMMARY_VERSION (docs/summary-schema.md).
 */
export const SUMMARY_VERSION = 2;

export interface RunSummary {
  schema: 'zdh-run-summary';
  version: typeof SUMMARY_VERSION;
  tool: { name: 'zdh'; version: string };
  run: RunInfo;
  cells: CellResult[];
  totals: Totals;
}

export type RunStatus = 'passed' | 'failed' | 'error' | 'interrupted';

export interface RunInfo {
  id: string;
  /** Suite name, or 'default'. */
  suite: string;
  startedAt: string;
  finishedAt: string | null;
  durationS: number;
  status: RunStatus;
  /** argv after `zdh`. */
  command: string[];
  /** The run folder (absolute when written; relative paths below are relative to it). */
  dir: string;
  /** For `--shard I/N` runs. */
  shard: { index: number; count: number } | null;
  /** Runs merged into this one (zdh merge). */
  mergedFrom: string[];
}

export type CellStatus = 'passed' | 'failed' | 'error' | 'interrupted' | 'pending';

/** One matrix cell: a kernel on a machine, one repeat, running a list of workloads. */
export interface CellResult {
  /** Stable across runs of the same suite: `<kernel>@<machine>#<repeat>`. */
  id: string;
  kernel: KernelInfo;
  machine: MachineInfo;
  repeat: number;
  status: CellStatus;
  /** How the machine run ended; null when it never started (e.g. the build failed). */
  exit: CellExit | null;
  /** Why the cell is an error (build failed, QEMU would not start). */
  error: string | null;
  durationS: number;
  workloads: WorkloadResult[];
  /** Kernel-log findings, each attributed to a workload (or 'boot'). */
  findings: Finding[];
  /**
   * The expectations files (configs/expectations/) that speak for this cell's kernel and
   * accelerator: every xfail/xpass was judged by one of them. Empty when none does; absent
   * when the cell never booted, and in older summaries.
   */
  expectations?: ExpectationFileRef[];
  /** Paths relative to the run folder. */
  artifacts: { dir: string; console: string | null; buildLog: string | null; manifest: string | null };
}

/**
 * How a cell's machine run ended: the machine's typed reason (its kind and that kind's
 * fields: the step, the time limit, the oops...), and the same in words for people.
 * Version 1 summaries had `{kind, message}`; report/summary-v1.ts reads them.
 */
export interface CellExit {
  reason: ExitReason;
  message: string;
}

export interface KernelInfo {
  name: string;
  release: string | null;
  cacheKey: string | null;
  source: { kind: string; location: string; id: string | null; ref?: string; commit?: string };
  patches: { name: string; sha256: string }[];
  base: string;
  fragments: { name: string; sha256: string }[];
  configSha256: string | null;
  toolchain: string | null;
  /**
   * The build call behind the cell: its wall time, and whether the cache already had it (then
   * the time is the look-up's). Null when nothing was built; absent in older summaries.
   */
  buildTime?: { seconds: number; cached: boolean } | null;
  /**
   * Requested kconfig options that did not survive but need not: preferences the kernel
   * forces or lacks (configs/kconfig/intent.yaml). Absent when there are none.
   */
  configNotes?: string[];
}

/** An expectations file as a run names it. */
export interface ExpectationFileRef {
  /** Relative to the zdh checkout (configs/expectations/...). */
  file: string;
  description: string | null;
}

export interface MachineInfo {
  name: string;
  accel: string | null;
  /** Why that accelerator (e.g. "KVM did not boot here: fell back to TCG"). */
  accelReason: string | null;
  qemuVersion: string | null;
  cmdline: string[];
}

export type WorkloadStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'incomplete' | 'not-run';

export interface WorkloadResult {
  name: string;
  status: WorkloadStatus;
  /** The step's exit status in the guest. */
  exitStatus: number | null;
  durationS: number | null;
  cases: CaseResult[];
  /** The step's output, relative to the run folder. */
  output: string | null;
  /** The console lines (1-based, inclusive) between the step's markers. */
  consoleLines: [number, number] | null;
}

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'missing' | 'xfail' | 'xpass';

export interface CaseResult {
  name: string;
  status: CaseStatus;
  /** Failure or skip reason, expectation reason for xfail/xpass. */
  message: string | null;
  durationS: number | null;
}

export interface Totals {
  cells: Record<CellStatus, number>;
  cases: Record<CaseStatus, number>;
  findings: number;
  /** Findings counted once per title across cells. */
  distinctFindings: number;
}
