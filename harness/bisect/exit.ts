import type { BisectOutcome } from './model.ts';

/**
 * Exit codes of `zdh bisect-step` and `zdh bisect`, decided here and nowhere else.
 *
 * `git bisect run` reads its script's exit code: 0 good, 125 skip, 1–127 (but 125) bad,
 * and anything else (< 0 or > 127) aborts the whole bisect. bisect-step therefore exits
 * 0, 1 or 125 for a verdict, and above 127 only on purpose:
 *   128  the set-up is broken (bad flags, unknown suite or workload, missing QEMU): the
 *        same for every commit, so marking commits would only mislead git
 *   130  interrupted (Ctrl-C / SIGTERM)
 */
export type Verdict = 'good' | 'bad' | 'skip';

export type StepEnd =
  | { kind: 'verdict'; verdict: Verdict }
  | { kind: 'abort'; why: string }
  | { kind: 'interrupted' };

export const STEP_EXIT = { good: 0, bad: 1, skip: 125, abort: 128, interrupted: 130 } as const;

export function stepExitCode(end: StepEnd): number {
  switch (end.kind) {
    case 'verdict':
      return STEP_EXIT[end.verdict];
    case 'abort':
      return STEP_EXIT.abort;
    case 'interrupted':
      return STEP_EXIT.interrupted;
  }
}

/**
 * How a `zdh bisect` ended:
 *   found         the first bad commit is known                         → 0
 *   inconclusive  only skipped commits are left; the report names them  → 1
 *   not-confirmed --good is not good or --bad is not bad (or shows nothing to bisect on) → 2
 *   error         set-up or git failure                                 → 2
 *   interrupted   Ctrl-C; `zdh bisect --resume` continues                → 130
 */
export type BisectEnd = 'found' | 'inconclusive' | 'not-confirmed' | 'error' | 'interrupted';

export const BISECT_EXIT: Record<BisectEnd, number> = {
  found: 0,
  inconclusive: 1,
  'not-confirmed': 2,
  error: 2,
  interrupted: 130,
};

export function bisectEnd(outcome: BisectOutcome | null): BisectEnd {
  switch (outcome?.kind) {
    case 'found':
      return 'found';
    case 'inconclusive':
      return 'inconclusive';
    case 'not-confirmed':
      return 'not-confirmed';
    case 'interrupted':
      return 'interrupted';
    default:
      return 'error';
  }
}

export function bisectExitCode(outcome: BisectOutcome | null): number {
  return BISECT_EXIT[bisectEnd(outcome)];
}
