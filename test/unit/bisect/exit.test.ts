import { constants } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisectExitCode, type StepEnd, stepExitCode, type Verdict } from '../../../harness/bisect/exit.ts';
import type { BisectOutcome } from '../../../harness/bisect/model.ts';

/**
 * How `git bisect run` reads its script's exit code (git-bisect(1), "Bisect run"): 0 good,
 * 125 skip, any other code from 1 to 127 bad, and anything else aborts the whole bisect.
 * The tests below hold bisect-step's codes against this reading, not against a list.
 */
function gitBisectRunReads(code: number): Verdict | 'abort' {
  if (code === 0) return 'good';
  if (code === 125) return 'skip';
  if (code >= 1 && code <= 127) return 'bad';
  return 'abort';
}

/** What a process can exit with (a shell shows 128+N for a death by signal N). */
const isExitStatus = (code: number): boolean => Number.isInteger(code) && code >= 0 && code <= 255;

const VERDICTS: readonly Verdict[] = ['good', 'bad', 'skip'];
const stepEnd: fc.Arbitrary<StepEnd> = fc.oneof(
  fc.constantFrom(...VERDICTS).map((verdict): StepEnd => ({ kind: 'verdict', verdict })),
  fc.string().map((why): StepEnd => ({ kind: 'abort', why })),
  fc.constant<StepEnd>({ kind: 'interrupted' }),
);

describe('bisect-step exit codes, as git bisect run reads them', () => {
  it('every verdict reaches git as that verdict; an abort or an interrupt stops the bisect', () => {
    fc.assert(
      fc.property(stepEnd, (end) => {
        const code = stepExitCode(end);
        expect(isExitStatus(code)).toBe(true);
        expect(gitBisectRunReads(code)).toBe(end.kind === 'verdict' ? end.verdict : 'abort');
      }),
    );
  });

  it('the verdicts have one code each, and an interrupt exits as a shell reports SIGINT', () => {
    expect(new Set(VERDICTS.map((verdict) => stepExitCode({ kind: 'verdict', verdict }))).size).toBe(
      VERDICTS.length,
    );
    expect(stepExitCode({ kind: 'interrupted' })).toBe(128 + constants.signals.SIGINT);
    // A broken set-up is not a Ctrl-C: a wrapper script can tell them apart.
    expect(stepExitCode({ kind: 'abort', why: 'unknown suite' })).not.toBe(
      stepExitCode({ kind: 'interrupted' }),
    );
  });
});

const outcomes: Record<BisectOutcome['kind'] | 'none', BisectOutcome | null> = {
  found: { kind: 'found', commit: 'c', subject: 's', evidence: null, step: 3 },
  inconclusive: { kind: 'inconclusive', candidates: [] },
  'not-confirmed': { kind: 'not-confirmed', which: 'good', reason: 'r' },
  error: { kind: 'error', message: 'm' },
  interrupted: { kind: 'interrupted' },
  none: null,
};

describe('zdh bisect outcome → exit code', () => {
  const code = (k: keyof typeof outcomes): number => bisectExitCode(outcomes[k]);

  it('succeeds only when the first bad commit was found', () => {
    for (const k of Object.keys(outcomes) as (keyof typeof outcomes)[]) {
      expect(isExitStatus(code(k)), k).toBe(true);
      expect(code(k) === 0, k).toBe(k === 'found');
    }
  });

  it('tells an inconclusive bisect from one that could not start, and an interrupt from both', () => {
    // docs/bisect.md: 1 inconclusive (the candidates are listed), 2 not confirmed or an
    // error (nothing was bisected), 130 interrupted (--resume continues).
    expect(code('inconclusive')).toBe(1);
    expect(code('not-confirmed')).toBe(2);
    expect(code('error')).toBe(code('not-confirmed'));
    expect(code('none')).toBe(code('error'));
    expect(code('interrupted')).toBe(128 + constants.signals.SIGINT);
  });
});
