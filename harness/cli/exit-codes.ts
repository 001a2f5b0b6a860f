import type { ErrorKind } from '../errors.ts';
import type { ExitReason } from '../machine/exit-reason.ts';
import type { RunStatus } from '../model/result.ts';

/**
 * Every way a zdh command can end, as data, and its exit code. The CLI's exit codes are
 * decided here and nowhere else: for an outcome (exitCodeFor), a run's status
 * (RUN_EXIT_CODE: run, repro, report, merge) and a machine run (machineExitCode: boot,
 * shell). The one exception is bisect: `zdh bisect` and `zdh bisect-step` speak
 * `git bisect run`'s 0/1/125, in bisect/exit.ts.
 */
export type CommandOutcome =
  | { kind: 'pass' }
  /** Test cases failed or the kernel log had findings. */
  | { kind: 'fail' }
  | { kind: 'error'; error: ErrorKind }
  | { kind: 'interrupted' };

export const EXIT = { pass: 0, fail: 1, error: 2, interrupted: 130 } as const;

export function exitCodeFor(outcome: CommandOutcome): number {
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

/** A run's status (model/status.ts runStatus) as the exit code of the command that ran or read it. */
export const RUN_EXIT_CODE: Record<RunStatus, number> = {
  passed: EXIT.pass,
  failed: EXIT.fail,
  error: EXIT.error,
  interrupted: EXIT.interrupted,
};

/** How a machine run maps to the process exit code; `guestStatus` is used when the run is done. */
export function machineExitCode(reason: ExitReason, guestStatus: number | undefined): number {
  switch (reason.kind) {
    case 'done':
      return guestStatus === undefined ? exitCodeFor({ kind: 'fail' }) : guestStatus & 0xff;
    case 'infrastructure':
      return exitCodeFor({ kind: 'error', error: 'infrastructure' });
    case 'interrupted':
      return exitCodeFor({ kind: 'interrupted' });
    default:
      return exitCodeFor({ kind: 'fail' });
  }
}
