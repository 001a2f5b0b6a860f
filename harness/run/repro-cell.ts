import { usageError } from '../errors.ts';
import type { CellResult, RunSummary } from '../model/result.ts';

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
