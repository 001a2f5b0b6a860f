/**
 * How often a bug happened in the run: per kernel and machine, the cells (repeats) that
 * showed it and the cells that ran the same thing and did not. "Ran the same thing" is:
 * for a kernel finding, a workload it was seen in (or, for one seen during boot, a boot);
 * for a probe's hang, one of its cases reporting a verdict (passed, failed, xfail, xpass).
 * Cells that never got there (build failed, interrupted, the workload not run) count
 * neither way. Pure.
 */
import type { CellResult } from '../../model/result.ts';
import { BOOT } from '../view.ts';
import type { Bug, CellFolder } from './types.ts';

export interface CellSighting {
  cell: CellResult;
  /** Reports in that cell (a finding's count in its log; a probe's cases). */
  count: number;
  /** Where: the workloads (findings) or `workload case` (probes). */
  where: string[];
}

export interface KernelGroup {
  kernel: string;
  release: string | null;
  machine: string;
  seen: CellSighting[];
  /** Cells of this kernel and machine that ran it and did not show it. */
  clean: CellResult[];
}

export function kernelGroups(cells: readonly CellFolder[], bug: Bug): KernelGroup[] {
  const groups = new Map<string, KernelGroup>();
  const group = (c: CellResult): KernelGroup => {
    const key = `${c.kernel.name}\u0000${c.kernel.release ?? ''}\u0000${c.machine.name}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { kernel: c.kernel.name, release: c.kernel.release, machine: c.machine.name, seen: [], clean: [] };
      groups.set(key, g);
    }
    return g;
  };
  const ran = ranTheSame(bug);
  for (const { cell } of cells) {
    const own = bug.occurrences.filter((o) => o.cell.cell === cell);
    if (own.length > 0) {
      group(cell).seen.push({
        cell,
        count: own.reduce((n, o) => n + (o.kind === 'finding' ? o.finding.count : 1), 0),
        where: [
          ...new Set(own.map((o) => (o.kind === 'finding' ? o.workload : `${o.workload} ${o.case.name}`))),
        ],
      });
    } else if (ran(cell)) group(cell).clean.push(cell);
  }
  return [...groups.values()];
}

const VERDICTS = new Set(['pass', 'fail', 'xfail', 'xpass']);

function ranTheSame(bug: Bug): (cell: CellResult) => boolean {
  if (bug.kind === 'probe') {
    const cases = new Set(
      bug.occurrences.map((o) => `${o.workload}\u0000${o.kind === 'probe' ? o.case.name : ''}`),
    );
    return (cell) =>
      cell.workloads.some((w) =>
        w.cases.some((c) => cases.has(`${w.name}\u0000${c.name}`) && VERDICTS.has(c.status)),
      );
  }
  const workloads = new Set(bug.occurrences.map((o) => o.workload));
  return (cell) =>
    cell.error === null &&
    ((workloads.has(BOOT) && cell.exit !== null) ||
      cell.workloads.some((w) => workloads.has(w.name) && w.status !== 'not-run'));
}
