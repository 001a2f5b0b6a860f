import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { infraError } from '../errors.ts';

/**
 * Runs fn while holding an inter-process lock on `path` (a lock directory `path`.lock is
 * made next to it). Waits for other holders; a holder that died is detected as stale
 * after a minute. Used for build slots, source unpacking and cache publishing.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, onWait?: () => void): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  let release: (() => Promise<void>) | undefined;
  try {
    release = await lockfile.lock(path, { realpath: false, stale: 60_000, update: 15_000, retries: 0 });
  } catch {
    onWait?.();
    try {
      release = await lockfile.lock(path, {
        realpath: false,
        stale: 60_000,
        update: 15_000,
        retries: { retries: 100_000, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
      });
    } catch (error) {
      throw infraError(`cannot take the lock ${path}.lock`, { cause: error });
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
