import type { ExitReason } from '../machine/exit-reason.ts';
import { CASE_STATUS } from '../model/labels.ts';
import type { CaseResult, CellExit, CellResult, RunSummary, WorkloadResult } from '../model/result.ts';
import { caseFails } from '../model/status.ts';
import type { Finding } from '../scan/types.ts';

/**
 * How every output (JUnit, HTML, terminal) presents the model, decided once: what a case,
 * a step, a boot and a machine exit show as, which entries are failures, and how findings
 * group. Pure functions over the model; the renderers only format what these return.
 */

/** What a dashboard shows for one entry. */
export type Verdict = 'passed' | 'failed' | 'error' | 'skipped';

export interface Judged {
  verdict: Verdict;
  /** One line saying why; null for a plain pass. */
  message: string | null;
}

/** The name JUnit and the HTML use for the kernel log's entries before the first step. */
export const BOOT = 'boot';

/** True when the user stopped the run before this cell finished (or started). */
export function cellStopped(cell: CellResult): boolean {
  return cell.status === 'interrupted' || cell.status === 'pending';
}

/**
 * The part of a cell id after `<kernel>@<machine>`: '#1' for the first repeat, '#2' for the
 * second, '#1~run-b' for a cell renamed by merge. '' when it is '#1'.
 */
export function cellTag(cell: CellResult): string {
  const prefix = `${cell.kernel.name}@${cell.machine.name}`;
  const rest = cell.id.startsWith(prefix) ? cell.id.slice(prefix.length) : cell.id;
  return rest === '#1' ? '' : rest;
}

const withReason = (text: string, reason: string | null): string => (reason ? `${text}: ${reason}` : text);

/**
 * One test case, as JUnit shows it (model/labels.ts CASE_STATUS). xfail shows as skipped ("expected failure: …"), xpass as a failure; a case
 * that never reported is a failure, except in a cell the user interrupted, where it is skipped.
 */
export function judgeCase(cell: CellResult, c: CaseResult): Judged {
  const verdict = CASE_STATUS[c.status].junit;
  switch (c.status) {
    case 'pass':
      return { verdict, message: c.message };
    case 'fail':
      return { verdict, message: c.message ?? 'failed' };
    case 'skip':
      return { verdict, message: withReason('skipped', c.message) };
    case 'xfail':
      return { verdict, message: withReason('expected failure', c.message) };
    case 'xpass':
      return {
        verdict,
        message: c.message ? `passed unexpectedly (expected to fail: ${c.message})` : 'passed unexpectedly',
      };
    case 'missing':
      return cellStopped(cell)
        ? { verdict: 'skipped', message: withReason('not reported', c.message ?? 'the run was interrupted') }
        : { verdict, message: withReason('never reported', c.message) };
  }
}

/**
 * The step itself, when its status says more than its cases: a timeout, an incomplete or
 * errored step, a step that never ran, or a failed step none of whose cases failed. Null
 * when the cases tell the whole story. A step that never ran is skipped when the user
 * interrupted the run or the cell could not start, and a failure when the machine died.
 */
export function judgeStep(cell: CellResult, w: WorkloadResult): Judged | null {
  const status = w.exitStatus === null ? '' : ` (exit status ${w.exitStatus})`;
  switch (w.status) {
    case 'passed':
      return null;
    case 'failed':
      return w.cases.some(caseFails) ? null : { verdict: 'failed', message: `the step failed${status}` };
    case 'timeout':
      return { verdict: 'failed', message: `the step timed out${status}` };
    case 'error':
      return { verdict: 'error', message: `the step could not run${status}` };
    case 'incomplete':
      return cellStopped(cell)
        ? { verdict: 'skipped', message: 'the run was interrupted during this step' }
        : { verdict: 'failed', message: `the machine stopped during this step${exitSuffix(cell)}` };
    case 'not-run':
      if (cellStopped(cell)) return { verdict: 'skipped', message: 'not run: the run was interrupted' };
      // The cell's error (build failed, QEMU would not start) is the one entry that counts.
      if (cell.error !== null) return { verdict: 'skipped', message: 'not run: the cell could not start' };
      return { verdict: 'failed', message: `not run${exitSuffix(cell)}` };
  }
}

function exitSuffix(cell: CellResult): string {
  return cell.exit && cell.exit.reason.kind !== 'done' ? ` (${exitText(cell.exit)})` : '';
}

export function exitText(exit: CellExit): string {
  return exit.message.trim() === '' ? exit.reason.kind : exit.message;
}

/**
 * Which JUnit entry a machine exit counts against: the boot (it never got to the steps,
 * or the machine could not run at all), the machine exit entry (the kernel failed after
 * booting), or none (it finished, or was interrupted).
 */
function exitEntry(r: ExitReason): 'none' | 'boot-error' | 'boot-failed' | 'machine' {
  switch (r.kind) {
    case 'done':
    case 'interrupted':
      return 'none';
    case 'infrastructure':
      return 'boot-error';
    case 'boot-timeout':
      return 'boot-failed';
    case 'panic':
    case 'hang':
    case 'run-timeout':
    case 'guest-exit':
      return 'machine';
    default: {
      const unhandled: never = r;
      throw new Error(`unhandled exit reason ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Getting the cell to run: the build and the boot (before any step). */
export function judgeBoot(cell: CellResult): Judged {
  if (cell.error !== null) return { verdict: 'error', message: cell.error };
  if (cell.exit === null) {
    return cellStopped(cell)
      ? {
          verdict: 'skipped',
          message: cell.status === 'pending' ? 'not started' : 'not started: the run was interrupted',
        }
      : { verdict: 'passed', message: null };
  }
  const entry = exitEntry(cell.exit.reason);
  if (entry === 'boot-error') return { verdict: 'error', message: exitText(cell.exit) };
  if (entry === 'boot-failed') return { verdict: 'failed', message: exitText(cell.exit) };
  return { verdict: 'passed', message: null };
}

/** A machine run that ended badly after booting: panic, hang, run timeout, guest exit. */
export function judgeExit(cell: CellResult): Judged | null {
  const e = cell.exit;
  if (e === null || exitEntry(e.reason) !== 'machine') return null;
  return { verdict: 'failed', message: exitText(e) };
}

/** The cell's findings attributed to one workload (or 'boot'). */
export function findingsFor(cell: CellResult, workload: string): Finding[] {
  return cell.findings.filter((f) => f.workload === workload);
}

/** Findings attributed to a workload the cell does not list (other than boot). */
export function strayWorkloads(cell: CellResult): string[] {
  const known = new Set([BOOT, ...cell.workloads.map((w) => w.name)]);
  return [...new Set(cell.findings.map((f) => f.workload).filter((n) => !known.has(n)))];
}

/** One failing entry for the failure lists (terminal and HTML). */
export interface Problem {
  cell: CellResult;
  /** The workload, 'boot' for build, boot and machine exit. */
  workload: string;
  /** The case or entry name ('boot', 'machine exit', 'step'). */
  name: string;
  verdict: 'failed' | 'error';
  message: string;
}

/** Every failed or errored entry, in model order. Findings are listed separately. */
export function problems(summary: RunSummary): Problem[] {
  const out: Problem[] = [];
  const add = (cell: CellResult, workload: string, name: string, j: Judged | null): void => {
    if (j && (j.verdict === 'failed' || j.verdict === 'error')) {
      out.push({ cell, workload, name, verdict: j.verdict, message: j.message ?? j.verdict });
    }
  };
  for (const cell of summary.cells) {
    add(cell, BOOT, 'boot', judgeBoot(cell));
    add(cell, BOOT, 'machine exit', judgeExit(cell));
    for (const w of cell.workloads) {
      add(cell, w.name, 'step', judgeStep(cell, w));
      for (const c of w.cases) add(cell, w.name, c.name, judgeCase(cell, c));
    }
  }
  return out;
}

/** One finding title across the run: where it was seen and the first report's details. */
export interface FindingGroup {
  title: string;
  /** The first occurrence (its excerpt, page and frames are shown). */
  first: Finding;
  firstCell: CellResult;
  occurrences: { cell: CellResult; finding: Finding }[];
  /** Reports in all cells together. */
  total: number;
}

/** Findings grouped by title; refcount problems first, then in order of appearance. */
export function findingGroups(summary: RunSummary): FindingGroup[] {
  const byTitle = new Map<string, FindingGroup>();
  for (const cell of summary.cells) {
    for (const f of cell.findings) {
      const g = byTitle.get(f.title);
      if (g) {
        g.occurrences.push({ cell, finding: f });
        g.total += f.count;
      } else {
        byTitle.set(f.title, {
          title: f.title,
          first: f,
          firstCell: cell,
          occurrences: [{ cell, finding: f }],
          total: f.count,
        });
      }
    }
  }
  const groups = [...byTitle.values()];
  return [...groups.filter((g) => g.first.refcount), ...groups.filter((g) => !g.first.refcount)];
}
