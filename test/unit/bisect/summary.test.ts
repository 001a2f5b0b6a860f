import { describe, expect, it } from 'vitest';
import { bisectRunSummary, rebaseCell, stepKernelName } from '../../../harness/bisect/summary.ts';
import type { RunSummary } from '../../../harness/model/result.ts';
import { clean, withFinding } from './helpers.ts';
import { C, finishedRecord } from './record.ts';

function runOf(cells: RunSummary['cells']): RunSummary {
  return {
    schema: 'zdh-run-summary',
    version: 2,
    tool: { name: 'zdh', version: '0.1.0' },
    run: {
      id: 'x',
      suite: 'default',
      startedAt: '2026-11-25T10:00:00.000Z',
      finishedAt: '2026-11-25T10:01:00.000Z',
      durationS: 60,
      status: 'passed',
      command: [],
      dir: '/runs/bisect/steps/x',
      shard: null,
      mergedFrom: [],
    },
    cells,
    totals: {
      cells: { passed: 0, failed: 0, error: 0, interrupted: 0, pending: 0 },
      cases: { pass: 0, fail: 0, skip: 0, missing: 0, xfail: 0, xpass: 0 },
      findings: 0,
      distinctFindings: 0,
    },
  };
}

describe('bisectRunSummary', () => {
  it('names step kernels so reports sort by step', () => {
    expect(stepKernelName(3, C(6))).toBe('s03-06cccccccccc');
  });

  it('rebases every artifact path onto the bisect run folder', () => {
    const c = rebaseCell(clean(), 'steps/01-abc');
    expect(c.artifacts).toEqual({
      dir: 'steps/01-abc/cells/c',
      console: 'steps/01-abc/cells/c/console.log',
      buildLog: 'steps/01-abc/cells/c/build.log',
      manifest: null,
    });
    expect(c.workloads[0]?.output).toBe('steps/01-abc/cells/c/steps/0-hmm-tests.out');
  });

  it('holds every step’s cells, an error cell per failed build, and derives statuses', () => {
    const r = finishedRecord();
    const steps = r.steps.map((s) => ({
      step: s,
      runs:
        s.build.outcome === 'failed'
          ? []
          : [{ dir: s.dir, summary: runOf([s.verdict === 'bad' ? withFinding('WARNING in x') : clean()]) }],
    }));
    const sum = bisectRunSummary(r, steps, '0.1.0');
    expect(sum.cells).toHaveLength(6);
    expect(sum.cells[2]).toMatchObject({ status: 'error', id: 's03-06cccccccccc-skip@default#1' });
    // The verdict is part of the kernel name, so dashboards tell the story.
    expect(sum.cells.map((c) => c.kernel.name)).toEqual([
      's01-13cccccccccc-bad',
      's02-00cccccccccc-good',
      's03-06cccccccccc-skip',
      's04-07cccccccccc-good',
      's05-08cccccccccc-first-bad',
      's06-10cccccccccc-interrupted',
    ]);
    expect(sum.cells[4]?.id).toBe('s05-08cccccccccc-first-bad@default#1');
    expect(sum.cells[2]?.error).toMatch(
      /^kernel build failed at 06cccccccccc \(subject of 06\): kernel build failed/,
    );
    expect(sum.totals.cells).toMatchObject({ passed: 3, failed: 2, error: 1 });
    expect(sum.run.status).toBe('failed');
    expect(sum.run.suite).toBe('bisect:default');
    expect(sum.run.durationS).toBe(840);
    expect(sum.cells[0]?.artifacts.console).toBe(`${r.steps[0]?.dir}/cells/c/console.log`);
  });
});
