import { describe, expect, it } from 'vitest';
import { CASE_STATUS, caseLabel, countCases, formatCaseCounts } from '../../../harness/model/labels.ts';
import type { CaseStatus } from '../../../harness/model/result.ts';
import { FAILING_CASES } from '../../../harness/model/status.ts';
import { judgeCase } from '../../../harness/report/view.ts';
import { loadFixture } from '../report/helpers.ts';

const ALL: CaseStatus[] = ['pass', 'fail', 'skip', 'missing', 'xfail', 'xpass'];

describe('one vocabulary for case statuses', () => {
  it('has a row for every case status the model has, each with its own label', () => {
    expect(Object.keys(CASE_STATUS).sort()).toEqual([...ALL].sort());
    expect(new Set(ALL.map(caseLabel)).size).toBe(ALL.length);
  });

  it('says xfail and skipped apart, and never calls an xfail skipped', () => {
    expect(caseLabel('xfail')).toBe('xfail');
    expect(caseLabel('skip')).toBe('skipped');
    expect(formatCaseCounts(countCases([{ status: 'pass' }, { status: 'xfail' }, { status: 'skip' }]))).toBe(
      '1 passed, 1 skipped, 1 xfail',
    );
    expect(formatCaseCounts(countCases([]))).toBe('none');
  });

  it('the statuses that fail a cell are the rows marked failing', () => {
    expect([...FAILING_CASES].sort()).toEqual(ALL.filter((s) => CASE_STATUS[s].fails).sort());
    expect([...FAILING_CASES].sort()).toEqual(['fail', 'missing', 'xpass']);
  });

  it('JUnit shows each case as its row says (a missing case in a finished cell fails)', () => {
    const cell = loadFixture('failing').cells[0];
    if (!cell) throw new Error('fixture has a cell');
    for (const status of ALL) {
      expect(judgeCase(cell, { name: 'x', status, message: null, durationS: null }).verdict).toBe(
        CASE_STATUS[status].junit,
      );
    }
  });

  it('maps onto KCIDB by what the test said about the kernel', () => {
    expect(Object.fromEntries(ALL.map((s) => [s, CASE_STATUS[s].kcidb]))).toEqual({
      pass: 'PASS',
      fail: 'FAIL',
      skip: 'SKIP',
      missing: 'MISS',
      xfail: 'FAIL',
      xpass: 'PASS',
    });
  });
});
