import { CASE_STATUS, emptyCaseCounts } from './labels.ts';
import type {
  CaseResult,
  CaseStatus,
  CellResult,
  CellStatus,
  RunStatus,
  RunSummary,
  Totals,
  WorkloadResult,
} from './result.ts';

/**
 * Verdicts derived from the model, in one place: which cases count as failures, when a
 * cell fails, and what a run's status is. The CLI maps RunStatus to an exit code (cli/exit-codes.ts).
 */
export const FAILING_CASES: ReadonlySet<CaseStatus> = new Set(
  (Object.keys(CASE_STATUS) as CaseStatus[]).filter((s) => CASE_STATUS[s].fails),
);

export function caseFails(c: CaseResult): boolean {
  return FAILING_CASES.has(c.status);
}

export function workloadFails(w: WorkloadResult): boolean {
  return w.status !== 'passed' || w.cases.some(caseFails);
}

/** A cell fails on any failing case, any kernel finding, a failing workload or a kernel crash/hang. */
export function cellStatus(cell: Omit<CellResult, 'status'> & { status?: CellStatus }): CellStatus {
  if (cell.status === 'interrupted') return 'interrupted';
  if (cell.error !== null) return 'error';
  // Neither an error nor a machine run: the cell has not run (yet).
  if (cell.exit === null) return 'pending';
  if (cell.exit.reason.kind === 'infrastructure') return 'error';
  if (cell.findings.length > 0) return 'failed';
  if (cell.exit.reason.kind !== 'done') return 'failed';
  if (cell.workloads.some(workloadFails)) return 'failed';
  return 'passed';
}

/** failed beats error beats passed: a kernel BUG in one cell is the headline even if another cell could not build. */
export function runStatus(cells: readonly CellResult[], interrupted: boolean): RunStatus {
  if (interrupted) return 'interrupted';
  if (cells.some((c) => c.status === 'failed')) return 'failed';
  if (cells.some((c) => c.status === 'error' || c.status === 'pending')) return 'error';
  return 'passed';
}

export function totals(cells: readonly CellResult[]): Totals {
  const t: Totals = {
    cells: { passed: 0, failed: 0, error: 0, interrupted: 0, pending: 0 } satisfies Record<
      CellStatus,
      number
    >,
    cases: emptyCaseCounts(),
    findings: 0,
    distinctFindings: 0,
  };
  const titles = new Set<string>();
  for (const c of cells) {
    t.cells[c.status]++;
    for (const w of c.workloads) for (const k of w.cases) t.cases[k.status]++;
    t.findings += c.findings.length;
    for (const f of c.findings) titles.add(f.title);
  }
  t.distinctFindings = titles.size;
  return t;
}

/** Recomputes every derived field (cell statuses, run status, totals). */
export function finalise(
  summary: RunSummary,
  interrupted = summary.run.status === 'interrupted',
): RunSummary {
  const cells = summary.cells.map((c) => ({ ...c, status: cellStatus(c) }));
  return {
    ...summary,
    cells,
    totals: totals(cells),
    run: { ...summary.run, status: runStatus(cells, interrupted) },
  };
}
