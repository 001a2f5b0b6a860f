import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { infraError, ZdhError } from '../errors.ts';
import { interruptSignal } from '../process/interrupt.ts';

export interface LockOptions {
  /** Ends a wait for the lock at once (default: the first Ctrl-C, process/interrupt.ts). */
  signal?: AbortSignal;
  /** false: never wait; a held lock rejects at once with LockBusyError. */
  wait?: boolean;
  /** A holder that has not refreshed its lock for this long is dead and is taken over. */
  staleMs?: number;
  /** How often the holder refreshes its lock. */
  updateMs?: number;
  /** How often a waiter tries again. */
  pollMs?: number;
}

/** The lock is held by someone else and the caller asked not to wait. */
export class LockBusyError extends ZdhError {
  readonly lockPath: string;
  constructor(lockPath: string) {
    super('infrastructure', `${lockPath} is held by another zdh`);
    this.lockPath = lockPath;
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs fn while holding an inter-process lock on `path` (a lock directory `path`.lock is
 * made next to it). Waits for other holders until they finish or the wait is interrupted;
 * a holder that died is detected as stale after a minute. Used for build slots, source
 * unpacking, the host's one-build-at-a-time lock and prune.
 *
 * If the lock is lost while held (its folder removed, or taken over after a stall), fn's
 * signal aborts, and withLock rejects with "lost the lock" once fn has settled: fn should
 * stop its work when the signal aborts, and none of it outlives the call.
 */
export async function withLock<T>(
  path: string,
  fn: (lost: AbortSignal) => Promise<T>,
  onWait?: () => void,
  opts: LockOptions = {},
): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const lockPath = `${path}.lock`;
  const interrupt = opts.signal ?? interruptSignal();
  const lost = new AbortController();
  const options = {
    realpath: false,
    stale: opts.staleMs ?? 60_000,
    update: opts.updateMs ?? 15_000,
    retries: 0,
    // proper-lockfile's default throws from a timer, which would crash zdh.
    onCompromised: (error: Error): void =>
      lost.abort(infraError(`lost the lock ${lockPath}: ${error.message}`, { cause: error })),
  };
  let release: (() => Promise<void>) | undefined;
  let waiting = false;
  while (!release) {
    try {
      release = await lockfile.lock(path, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw infraError(`cannot take the lock ${lockPath}`, { cause: error });
      }
      if (opts.wait === false) throw new LockBusyError(lockPath);
      // Checked only when the lock is held: taking a free lock after Ctrl-C (to write
      // results) stays possible.
      if (interrupt.aborted) {
        throw infraError(`interrupted while waiting for the lock ${lockPath}`, { cause: interrupt.reason });
      }
      if (!waiting) {
        waiting = true;
        onWait?.();
      }
      await pause(opts.pollMs ?? 1000, interrupt);
    }
  }
  let result: T;
  try {
    result = await fn(lost.signal);
  } catch (error) {
    // fn failing after the loss was most likely its reaction to it.
    throw lost.signal.aborted ? lost.signal.reason : error;
  } finally {
    await release().catch(() => {});
  }
  if (lost.signal.aborted) throw lost.signal.reason;
  return result;
}

/**
 * Takes the lock on `target` without waiting and holds it until the returned release is
 * called: for a folder one process uses for a long time (a run folder, a bisect's state).
 * A held lock rejects at once with `busy()`. A lock lost while held (the event loop
 * stalled past `stale`) is reported through `onLost` instead of proper-lockfile's
 * default, which throws from a timer and crashes zdh.
 */
export async function holdLock(
  target: string,
  opts: {
    lockfilePath?: string;
    busy: () => Error;
    onLost: (error: Error) => void;
    staleMs?: number;
    updateMs?: number;
  },
): Promise<() => Promise<void>> {
  mkdirSync(opts.lockfilePath ? dirname(opts.lockfilePath) : dirname(target), { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      ...(opts.lockfilePath ? { lockfilePath: opts.lockfilePath } : {}),
      stale: opts.staleMs ?? 60_000,
      update: opts.updateMs ?? 15_000,
      retries: 0,
      onCompromised: opts.onLost,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED')
      throw infraError(`cannot take the lock ${opts.lockfilePath ?? `${target}.lock`}`, { cause: error });
    throw opts.busy();
  }
  return () => release().catch(() => {});
}
