import type { ErrorKind } from '../errors.ts';

/**
 * Every way a zdh command can end, as data. The CLI maps outcomes to exit codes here
 * and nowhere else; bisect has its own mapping to 0/1/125.
 */
export type Outcome =
  | { kind: 'pass' }
  /** Test cases failed or the kernel log had findings. */
  | { kind: 'fail' }
  | { kind: 'error'; error: ErrorKind }
  | { kind: 'interrupted' };

export const EXIT = { pass: 0, fail: 1, error: 2, interrupted: 130 } as const;

export function exitCodeFor(outcome: Outcome): number {
  switch (outcome.kind) {
    case 'pass':
      return EXIT.pass;
    case 'fail':
      return EXIT.fail;
    case 'error':
      return EXIT.error;
    case 'interrupted':
      return EXIT.interrupted;
  }
}
