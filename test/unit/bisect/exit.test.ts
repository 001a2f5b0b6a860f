import { describe, expect, it } from 'vitest';
import { BISECT_EXIT, STEP_EXIT, stepExitCode } from '../../../harness/bisect/exit.ts';

describe('bisect-step exit codes', () => {
  it('are what git bisect run expects for each verdict', () => {
    expect(stepExitCode({ kind: 'verdict', verdict: 'good' })).toBe(0);
    expect(stepExitCode({ kind: 'verdict', verdict: 'bad' })).toBe(1);
    expect(stepExitCode({ kind: 'verdict', verdict: 'skip' })).toBe(125);
  });

  it('exceed 127 only to abort on purpose', () => {
    expect(stepExitCode({ kind: 'abort', why: 'bad flag' })).toBe(128);
    expect(stepExitCode({ kind: 'interrupted' })).toBe(130);
    const above = Object.entries(STEP_EXIT)
      .filter(([, code]) => code > 127)
      .map(([k]) => k);
    expect(above.sort()).toEqual(['abort', 'interrupted']);
  });

  it('zdh bisect: 0 found, 1 inconclusive, 2 not confirmed or error, 130 interrupted', () => {
    expect(BISECT_EXIT).toEqual({
      found: 0,
      inconclusive: 1,
      'not-confirmed': 2,
      error: 2,
      interrupted: 130,
    });
  });
});

describe('zdh bisect outcome → exit code', () => {
  it('maps every outcome', async () => {
    const { bisectExitCode } = await import('../../../harness/bisect/exit.ts');
    expect(bisectExitCode({ kind: 'found', commit: 'c', subject: 's', evidence: null, step: 3 })).toBe(0);
    expect(bisectExitCode({ kind: 'inconclusive', candidates: [] })).toBe(1);
    expect(bisectExitCode({ kind: 'not-confirmed', which: 'good', reason: 'r' })).toBe(2);
    expect(bisectExitCode({ kind: 'error', message: 'm' })).toBe(2);
    expect(bisectExitCode({ kind: 'interrupted' })).toBe(130);
    expect(bisectExitCode(null)).toBe(2);
  });
});
