import { splitConsoleLine } from '../machine/console-log.ts';
import type { CellResult } from '../model/result.ts';

/**
 * Console excerpts for the JUnit and KCIDB writers, from console text the caller has read
 * (console-slice.ts reads a run folder's logs). This is quoting an artifact, not analysing
 * it: verdicts come from the model only. Pure: no file is read here.
 */

/** The console lines `first..last` (1-based, inclusive) of a cell, host timestamps removed; null when unreadable. */
export type ConsoleSlicer = (cell: CellResult, lines: readonly [number, number]) => string[] | null;

/** A slicer for tests and for summaries whose logs are elsewhere: no console text. */
export const noConsole: ConsoleSlicer = () => null;

/** A console.log's text as its lines; the empty line after a final newline is not one. */
export function consoleLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Lines `first..last` (1-based, inclusive; clamped to the log) with their host timestamps removed. */
export function sliceConsole(lines: readonly string[], [first, last]: readonly [number, number]): string[] {
  return lines.slice(Math.max(0, first - 1), Math.max(0, last)).map((l) => splitConsoleLine(l).text);
}

/** A slicer over logs given as lines: `logOf(cell)` is the cell's console.log, or null when it has none. */
export function slicerOver(logOf: (cell: CellResult) => readonly string[] | null): ConsoleSlicer {
  return (cell, range) => {
    const lines = logOf(cell);
    return lines === null ? null : sliceConsole(lines, range);
  };
}
