import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { splitConsoleLine } from '../machine/console-log.ts';
import type { CellResult } from '../model/result.ts';

/**
 * Reading a cell's console.log between a step's markers, for the JUnit system-out. This is
 * reading an artifact, not analysing it: verdicts come from the model only.
 */

/** The console lines `first..last` (1-based, inclusive) of a cell, host timestamps removed; null when unreadable. */
export type ConsoleSlicer = (cell: CellResult, lines: readonly [number, number]) => string[] | null;

/**
 * A slicer over the console logs of a run folder. It keeps only the last file it read (cells
 * are rendered in order), so a run with many large logs does not hold them all in memory.
 */
export function consoleSlicer(runDir: string): ConsoleSlicer {
  let cached: { file: string; lines: string[] | null } | undefined;
  return (cell, [first, last]) => {
    if (cell.artifacts.console === null) return null;
    const file = resolve(runDir, cell.artifacts.console);
    if (cached?.file !== file) cached = { file, lines: readLines(file) };
    if (cached.lines === null) return null;
    return cached.lines.slice(Math.max(0, first - 1), Math.max(0, last)).map((l) => splitConsoleLine(l).text);
  };
}

function readLines(file: string): string[] | null {
  let text: string;
  try {
    text = readFileSync(file).toString('utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** A slicer for tests and for summaries whose logs are elsewhere: no console text. */
export const noConsole: ConsoleSlicer = () => null;
