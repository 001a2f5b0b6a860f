import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CellResult } from '../../../harness/model/result.ts';
import {
  consoleLines,
  noConsole,
  sliceConsole,
  slicerOver,
} from '../../../harness/report/console-excerpt.ts';
import { consoleSlicer } from '../../../harness/report/console-slice.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import { renderKcidb, serialiseKcidb } from '../../../harness/report/kcidb.ts';
import { atRuns, FIXTURES, fixtureDir, goldenDir, loadFixture } from './helpers.ts';

const log = [
  '2025-11-25T20:47:41.123Z [    1.448753] Run /init as init process',
  '2025-11-25T20:47:41.200Z <4>[    1.5] second',
  'no stamp here',
];

describe('console excerpts from text in memory', () => {
  it('consoleLines: one entry per line; a final newline adds none', () => {
    expect(consoleLines('a\nb\n')).toEqual(['a', 'b']);
    expect(consoleLines('a\nb')).toEqual(['a', 'b']);
    expect(consoleLines('')).toEqual([]);
    expect(consoleLines('\n')).toEqual(['']);
    expect(consoleLines('a\r\n')).toEqual(['a\r']);
  });

  it('sliceConsole: 1-based inclusive lines, host stamps removed, clamped to the log', () => {
    expect(sliceConsole(log, [1, 2])).toEqual([
      '[    1.448753] Run /init as init process',
      '<4>[    1.5] second',
    ]);
    expect(sliceConsole(log, [3, 3])).toEqual(['no stamp here']);
    expect(sliceConsole(log, [0, Number.MAX_SAFE_INTEGER])).toHaveLength(3);
    expect(sliceConsole(log, [3, 2])).toEqual([]);
    expect(sliceConsole(log, [5, 9])).toEqual([]);
    expect(sliceConsole([], [1, 1])).toEqual([]);
  });

  it('slicerOver: a cell without a log gives null, others their slice', () => {
    const cells = { a: log, b: null } as Record<string, readonly string[] | null>;
    const slicer = slicerOver((c) => cells[c.id] ?? null);
    const cell = (id: string) => ({ id }) as CellResult;
    expect(slicer(cell('a'), [2, 2])).toEqual(['<4>[    1.5] second']);
    expect(slicer(cell('b'), [1, 1])).toBeNull();
    expect(noConsole(cell('a'), [1, 1])).toBeNull();
  });
});

describe('JUnit and KCIDB from logs read by the caller', () => {
  /** Every console log of a fixture, read up front into memory by cell id. */
  const inMemory = (name: (typeof FIXTURES)[number]) => {
    const logs = new Map<string, string[]>();
    for (const c of loadFixture(name).cells) {
      if (c.artifacts.console === null) continue;
      try {
        logs.set(c.id, consoleLines(readFileSync(resolve(fixtureDir(name), c.artifacts.console), 'utf8')));
      } catch {
        // A log the run never wrote: no excerpt, as with the folder reader.
      }
    }
    return slicerOver((c) => logs.get(c.id) ?? null);
  };

  it.each(FIXTURES)('%s: the same bytes as from the run folder, and as the goldens', (name) => {
    const summary = atRuns(loadFixture(name), name);
    const opts = { runDir: `/runs/${name}` };
    const fromMemory = renderJUnit(summary, { ...opts, console: inMemory(name) });
    expect(fromMemory).toBe(renderJUnit(summary, { ...opts, console: consoleSlicer(fixtureDir(name)) }));
    const golden = join(goldenDir, `${name}.junit.xml`);
    if (existsSync(golden)) expect(fromMemory).toBe(readFileSync(golden, 'utf8'));
    expect(serialiseKcidb(renderKcidb(summary, { console: inMemory(name) }))).toBe(
      serialiseKcidb(renderKcidb(summary, { console: consoleSlicer(fixtureDir(name)) })),
    );
  });
});
