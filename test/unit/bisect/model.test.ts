import { describe, expect, it } from 'vitest';
import {
  bisectReport,
  buildBound,
  counts,
  foundOutcome,
  parseRecord,
  replayVerdicts,
} from '../../../harness/bisect/model.ts';
import { C, finishedRecord } from './record.ts';

describe('bisect record', () => {
  it('counts steps, builds by their cached flag, and verdicts; interrupted steps do not count', () => {
    expect(counts(finishedRecord())).toEqual({
      steps: 5,
      confirmations: 2,
      bisection: 3,
      builds: 3,
      cachedBuilds: 1,
      failedBuilds: 1,
      good: 2,
      bad: 2,
      skip: 1,
      buildBound: 6,
      seconds: 720,
    });
  });

  it('bounds builds by ⌈log2 N⌉ + 2', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 13, 16, 17, 1000].map(buildBound)).toEqual([
      2, 3, 4, 4, 5, 5, 6, 6, 6, 7, 12,
    ]);
  });

  it('replays only bisection verdicts, in order, without interrupted steps', () => {
    expect(replayVerdicts(finishedRecord())).toEqual([
      { commit: C(6), verdict: 'skip' },
      { commit: C(7), verdict: 'good' },
      { commit: C(8), verdict: 'bad' },
    ]);
  });

  it('takes the found commit’s evidence from the step that tested it bad', () => {
    const o = foundOutcome(finishedRecord(), C(8), 'subject');
    expect(o).toMatchObject({ kind: 'found', commit: C(8), subject: 'subject', step: 5 });
    expect(o.kind === 'found' && o.evidence?.workload).toBe('hmm-tests');
    expect(foundOutcome(finishedRecord(), C(13), null)).toMatchObject({ step: 1, subject: 'subject of 13' });
  });

  it('serialises with its counts, and refuses a file of another kind', () => {
    const text = JSON.stringify(bisectReport(finishedRecord()));
    expect(parseRecord(text, 'x').outcome?.kind).toBe('found');
    expect(JSON.parse(text).counts.builds).toBe(3);
    expect(() => parseRecord('{"schema":"zdh-run-summary"}', 'summary.json')).toThrow(
      /not a zdh bisect state/,
    );
  });
});
