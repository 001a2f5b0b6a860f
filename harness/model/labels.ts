import type { CaseResult, CaseStatus } from './result.ts';

/**
 * One vocabulary for case statuses. The terminal, report.html, summary.json (its `status`
 * values and `totals.cases`) and kcidb.json name a case's status with the label below, and
 * count cases per label; JUnit and KCIDB have smaller status sets, so each row also says what
 * the case becomes there. docs/reports.md ("Statuses") shows this table; change both together.
 *
 * - `junit`: the JUnit outcome. A `missing` case in a cell the user interrupted is skipped
 *   instead (the run stopped, not the kernel); report/view.ts `judgeCase` applies that.
 * - `kcidb`: the KCIDB test status, which states what the test said about the tested code.
 *   An xfail failed (the kernel is faulty, a known fault) and an xpass passed; zdh's
 *   expectation is triage, carried in the test's `misc` and comment, not in its status.
 */
export type JUnitOutcome = 'passed' | 'failed' | 'skipped';
export type KcidbStatus = 'FAIL' | 'ERROR' | 'MISS' | 'PASS' | 'DONE' | 'SKIP';

export interface CaseStatusRow {
  /** The word every human-facing output uses for the status. */
  label: string;
  /** Counts as a failure of the cell (model/status.ts FAILING_CASES agrees). */
  fails: boolean;
  junit: JUnitOutcome;
  kcidb: KcidbStatus;
}

export const CASE_STATUS: Readonly<Record<CaseStatus, CaseStatusRow>> = {
  pass: { label: 'passed', fails: false, junit: 'passed', kcidb: 'PASS' },
  fail: { label: 'failed', fails: true, junit: 'failed', kcidb: 'FAIL' },
  missing: { label: 'missing', fails: true, junit: 'failed', kcidb: 'MISS' },
  xpass: { label: 'xpass', fails: true, junit: 'failed', kcidb: 'PASS' },
  skip: { label: 'skipped', fails: false, junit: 'skipped', kcidb: 'SKIP' },
  xfail: { label: 'xfail', fails: false, junit: 'skipped', kcidb: 'FAIL' },
};

/** The order counts are listed in: passes, then what fails, then what does not count. */
export const CASE_STATUS_ORDER: readonly CaseStatus[] = ['pass', 'fail', 'missing', 'xpass', 'skip', 'xfail'];

export function caseLabel(status: CaseStatus): string {
  return CASE_STATUS[status].label;
}

export function emptyCaseCounts(): Record<CaseStatus, number> {
  return { pass: 0, fail: 0, skip: 0, missing: 0, xfail: 0, xpass: 0 };
}

export function countCases(cases: readonly Pick<CaseResult, 'status'>[]): Record<CaseStatus, number> {
  const counts = emptyCaseCounts();
  for (const c of cases) counts[c.status]++;
  return counts;
}

/** The non-zero counts in order, each with its label: `8 passed, 2 xfail`. */
export function caseCountParts(counts: Record<CaseStatus, number>): { status: CaseStatus; text: string }[] {
  return CASE_STATUS_ORDER.filter((s) => counts[s] > 0).map((s) => ({
    status: s,
    text: `${counts[s]} ${caseLabel(s)}`,
  }));
}

/** `8 passed, 2 xfail`, or `none`. */
export function formatCaseCounts(counts: Record<CaseStatus, number>): string {
  const parts = caseCountParts(counts).map((p) => p.text);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
