import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ConsoleSlicer, consoleLines, slicerOver } from './console-excerpt.ts';

/**
 * Reading a run folder's console logs for the JUnit and KCIDB excerpts: the edge of
 * console-excerpt.ts, which cuts the excerpts from the text read here.
 */

/**
 * A slicer over the console logs of a run folder. It keeps only the last file it read (cells
 * are rendered in order), so a run with many large logs does not hold them all in memory.
 */
export function consoleSlicer(runDir: string): ConsoleSlicer {
  let cached: { file: string; lines: string[] | null } | undefined;
  return slicerOver((cell) => {
    if (cell.artifacts.console === null) return null;
    const file = resolve(runDir, cell.artifacts.console);
    if (cached?.file !== file) cached = { file, lines: readLines(file) };
    return cached.lines;
  });
}

function readLines(file: string): string[] | null {
  try {
    return consoleLines(readFileSync(file).toString('utf8'));
  } catch {
    return null;
  }
}
