import { describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import type { RunSummary } from '../../../harness/model/result.ts';
import { totals } from '../../../harness/model/status.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import { mergeRuns } from '../../../harness/report/merge.ts';
import { mergeSummaries } from '../../helpers/merge.ts';
import { atRuns, loadFixture, validateJUnitText } from './helpers.ts';

/** The shards as written at /runs/shard-1 and /runs/shard-2. */
const shard1 = (): RunSummary => atRuns(loadFixture('shard-1'), 'shard-1');
const shard2 = (): RunSummary => atRuns(loadFixture('shard-2'), 'shard-2');

describe('mergeRuns: two shards', () => {
  const merged = mergeSummaries([shard1(), shard2()], { dir: '/runs/merged', command: ['merge', 'a', 'b'] });

  it('concatenates the cells in the order the runs are given', () => {
    expect(merged.cells.map((c) => c.id)).toEqual([
      '6.1@q35-pmem#1',
      'next@q35-pmem#1',
      '6.1@tcg-pmem#1',
      'next@tcg-pmem#1',
    ]);
  });

  it('recomputes totals and the run status (a finding in one shard fails the merge)', () => {
    expect(merged.totals).toEqual(totals(merged.cells));
    expect(merged.totals.cells).toEqual({ passed: 3, failed: 1, error: 0, interrupted: 0, pending: 0 });
    expect(merged.totals.cases.pass).toBe(shard1().totals.cases.pass + shard2().totals.cases.pass);
    expect(merged.totals.distinctFindings).toBe(1);
    expect(shard1().run.status).toBe('passed');
    expect(merged.run.status).toBe('failed');
  });

  it('records the runs merged, spans their times, and is no shard itself', () => {
    expect(merged.run.mergedFrom).toEqual(['20251125T204740-shard1', '20251125T204741-shard2']);
    expect(merged.run.id).toMatch(/^merged-[0-9a-f]{12}$/);
    expect(merged.run.suite).toBe('matrix');
    expect(merged.run.startedAt).toBe('2025-11-25T20:47:40.512Z');
    expect(merged.run.finishedAt).toBe('2025-11-25T20:58:51.300Z');
    // shard 2 started 0.49 s after shard 1 and ran 670.3 s.
    expect(merged.run.durationS).toBe(670.79);
    expect(merged.run.shard).toBeNull();
    expect(merged.run.command).toEqual(['merge', 'a', 'b']);
    expect(merged.run.dir).toBe('/runs/merged');
  });

  it('rebases artifact paths onto the merged run folder', () => {
    const c = merged.cells[3]!;
    expect(c.artifacts.console).toBe('../shard-2/cells/next@tcg-pmem#1/console.log');
    expect(c.artifacts.dir).toBe('../shard-2/cells/next@tcg-pmem#1');
    expect(c.workloads[0]!.output).toBe('../shard-2/cells/next@tcg-pmem#1/steps/pmem-fsdax.out');
  });

  it('makes artifact paths absolute when no folder is given', () => {
    const m = mergeSummaries([shard1(), shard2()]);
    expect(m.cells[0]!.artifacts.console).toBe('/runs/shard-1/cells/6.1@q35-pmem#1/console.log');
    expect(m.run.dir).toBe('');
  });

  it('gives the same id for the same parts, and a different one for other parts', () => {
    expect(mergeSummaries([shard1(), shard2()]).run.id).toBe(merged.run.id);
    expect(mergeSummaries([shard1()]).run.id).not.toBe(merged.run.id);
  });

  it('produces JUnit that validates, with every cell of both shards', async () => {
    const xml = renderJUnit(merged, { runDir: '/runs/merged' });
    expect(xml).toContain('name="next@tcg-pmem#1/hmm"');
    expect(xml).toContain('name="6.1@q35-pmem#1/hmm"');
    expect(xml).toContain('[[ATTACHMENT|/runs/shard-2/cells/next@tcg-pmem#1/console.log]]');
    await validateJUnitText(xml);
  });
});

describe('mergeRuns: duplicates', () => {
  it('keeps one copy of cells from the same run given twice, and says so', () => {
    const { summary, notes } = mergeRuns([shard1(), shard2(), shard1()], { dir: '/runs/merged' });
    expect(summary.cells.map((c) => c.id)).toEqual([
      '6.1@q35-pmem#1',
      'next@q35-pmem#1',
      '6.1@tcg-pmem#1',
      'next@tcg-pmem#1',
    ]);
    expect(notes).toEqual([
      'cell 6.1@q35-pmem#1 of run 20251125T204740-shard1 appears twice: kept once',
      'cell next@q35-pmem#1 of run 20251125T204740-shard1 appears twice: kept once',
    ]);
    expect(summary.run.mergedFrom).toEqual(['20251125T204740-shard1', '20251125T204741-shard2']);
  });

  it('keeps both of two different cells with one id, the later renamed <id>~<run id>', () => {
    const other: RunSummary = {
      ...shard1(),
      run: { ...shard1().run, id: 'rerun-7' },
      cells: [{ ...shard1().cells[0]!, durationS: 99 }],
    };
    const { summary, notes } = mergeRuns([shard1(), other], { dir: '/runs/merged' });
    expect(summary.cells.map((c) => c.id)).toEqual([
      '6.1@q35-pmem#1',
      'next@q35-pmem#1',
      '6.1@q35-pmem#1~rerun-7',
    ]);
    expect(notes).toEqual([
      'cell 6.1@q35-pmem#1 of run rerun-7 differs from one already merged: kept as 6.1@q35-pmem#1~rerun-7',
    ]);
    // The renamed cell keeps a distinct JUnit case name, so GitLab does not drop it as a duplicate.
    const xml = renderJUnit(summary, { runDir: '/runs/merged' });
    expect(xml).toContain('name="mount_dax [#1~rerun-7]"');
  });

  it('renames again when a renamed id is taken too, and when one run holds two versions of a cell', () => {
    const changed = { ...shard1().cells[0]!, durationS: 1 };
    const sameRun: RunSummary = { ...shard1(), cells: [changed] };
    const { summary } = mergeRuns([shard1(), sameRun, { ...sameRun, cells: [{ ...changed, durationS: 2 }] }]);
    expect(summary.cells.map((c) => c.id)).toEqual([
      '6.1@q35-pmem#1',
      'next@q35-pmem#1',
      '6.1@q35-pmem#1~20251125T204740-shard1',
      '6.1@q35-pmem#1~20251125T204740-shard1~2',
    ]);
  });
});

describe('mergeRuns: status', () => {
  it('is interrupted when any part was', () => {
    const interrupted = atRuns(loadFixture('interrupted'), 'interrupted');
    const m = mergeSummaries([shard1(), interrupted]);
    expect(m.run.status).toBe('interrupted');
    expect(m.run.finishedAt).toBe('2025-11-25T20:49:38.512Z');
  });

  it('has no finish time while a part has none', () => {
    const running = { ...shard2(), run: { ...shard2().run, finishedAt: null } };
    expect(mergeSummaries([shard1(), running]).run.finishedAt).toBeNull();
  });

  it('lists the original runs for a merge of merges', () => {
    const a = mergeSummaries([shard1()], { id: 'm1' });
    const b = mergeSummaries([a, shard2()], { id: 'm2' });
    expect(b.run.mergedFrom).toEqual(['20251125T204740-shard1', '20251125T204741-shard2']);
  });

  it('refuses an empty list and a relative folder', () => {
    expect(() => mergeSummaries([])).toThrow(ZdhError);
    expect(() => mergeSummaries([shard1()], { dir: 'merged' })).toThrow(/absolute/);
  });

  it('does not change the summaries it merges', () => {
    const parts = [shard1(), shard2()];
    const before = JSON.stringify(parts);
    mergeSummaries(parts, { dir: '/runs/merged' });
    expect(JSON.stringify(parts)).toBe(before);
  });
});
