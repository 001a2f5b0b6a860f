import { join } from 'node:path';
import { usageError } from '../errors.ts';
import type { CellResult, RunSummary } from '../model/result.ts';
import type { Cell } from '../suite/matrix.ts';
import { cellDirName } from './run-folder.ts';

/**
 * `zdh repro`'s choices about a saved run. Pure: the command reads the run folder.
 */

/**
 * The cell to run again: the one named, else the first that failed or errored, else the
 * first. A name the run does not have, or a run without cells, is a usage error.
 */
export function reproCell(summary: RunSummary, id: string | undefined, runDir: string): CellResult {
  const chosen = id
    ? summary.cells.find((c) => c.id === id)
    : (summary.cells.find((c) => c.status === 'failed' || c.status === 'error') ?? summary.cells[0]);
  if (!chosen) {
    throw usageError(
      `no cell ${id ?? ''} in ${runDir}`,
      `cells: ${summary.cells.map((c) => c.id).join(', ')}`,
    );
  }
  return chosen;
}

/** Whether a cell's patches (sha256 each, in order, as the run recorded them) differ from the same files now. */
export function patchesChanged(then: readonly string[], now: readonly string[]): boolean {
  return then.length > 0 && then.join() !== now.join();
}

/**
 * The saved cell.json of a cell, relative to the run folder: where the summary says it is
 * (a bisect's run folder keeps each step's cells under steps/), else cells/<cell>/.
 */
export function savedCellPath(cell: CellResult): string {
  return cell.artifacts.manifest ?? join('cells', cellDirName(cell.id), 'cell.json');
}

/**
 * The saved cell with only the named workloads (`zdh repro --workload`), in the cell's own
 * order; none named keeps them all. A name the cell did not run is a usage error.
 */
export function narrowWorkloads(cell: Cell, names: readonly string[]): Cell {
  if (names.length === 0) return cell;
  const known = cell.workloads.map((w) => w.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw usageError(
      `cell ${cell.id} did not run ${unknown.join(', ')}`,
      `its workloads: ${known.join(', ')}`,
    );
  }
  return { ...cell, workloads: cell.workloads.filter((w) => names.includes(w.name)) };
}
