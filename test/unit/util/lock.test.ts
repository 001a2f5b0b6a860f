import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { holdLock, withLock } from '../../../harness/util/lock.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every error that escapes to the process (a throw from a timer) while a test runs. */
const uncaught: unknown[] = [];
const record = (error: unknown): void => {
  uncaught.push(error);
};
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
});
afterEach(() => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
});

describe('withLock', () => {
  it('a lock lost while held (its lock folder removed) aborts the work and rejects, never throws from a timer', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'zdh-lock-test-')), 'slot');
    let sawAbort = false;
    const outcome = withLock(
      path,
      async (signal?: AbortSignal) => {
        // Someone else's prune or a stale-lock takeover: the lock folder goes away.
        rmSync(`${path}.lock`, { recursive: true, force: true });
        await new Promise<void>((resolve) => {
          signal?.addEventListener('abort', () => {
            sawAbort = true;
            resolve();
          });
          setTimeout(resolve, 20_000);
        });
        return 'finished';
      },
      undefined,
      { staleMs: 2000, updateMs: 1000 },
    );
    await expect(outcome).rejects.toThrow(/lost the lock .*slot\.lock/);
    expect(sawAbort).toBe(true);
    await sleep(100);
    expect(uncaught).toEqual([]);
  }, 30_000);

  it('a wait for a held lock stops at once when its signal aborts (the first Ctrl-C)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'zdh-lock-test-')), 'slot');
    let releaseHolder!: () => void;
    const holderCanGo = new Promise<void>((r) => {
      releaseHolder = r;
    });
    const holder = withLock(path, () => holderCanGo);
    await sleep(50);

    const interrupt = new AbortController();
    let waited = false;
    let ran = false;
    const waiter = withLock(
      path,
      async () => {
        ran = true;
      },
      () => {
        waited = true;
      },
      { signal: interrupt.signal },
    );
    // The holder lets go after 5 s; an interrupted wait must end long before that.
    const letGo = setTimeout(releaseHolder, 5000);
    await sleep(300);
    expect(waited).toBe(true);
    const abortedAt = performance.now();
    interrupt.abort(new Error('interrupted by SIGINT'));
    await expect(waiter).rejects.toThrow(/interrupted while waiting for the lock/);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(ran).toBe(false);
    clearTimeout(letGo);
    releaseHolder();
    await holder;
  }, 15_000);

  it('with wait: false, a held lock is reported at once as busy', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'zdh-lock-test-')), 'host-build');
    let releaseHolder!: () => void;
    const holder = withLock(
      path,
      () =>
        new Promise<void>((r) => {
          releaseHolder = r;
        }),
    );
    await sleep(50);
    const started = performance.now();
    await expect(withLock(path, async () => 1, undefined, { wait: false })).rejects.toThrow(
      /is held by another zdh/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    releaseHolder();
    await holder;
    // Free again: taken at once.
    await expect(withLock(path, async () => 2, undefined, { wait: false })).resolves.toBe(2);
  }, 15_000);
});

describe('holdLock (run folders, bisect state)', () => {
  it("refuses a held lock at once with the caller's error", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdh-hold-test-'));
    const busy = () => new Error('in use');
    const release = await holdLock(dir, { busy, onLost: () => {} });
    await expect(holdLock(dir, { busy, onLost: () => {} })).rejects.toThrow('in use');
    await release();
    await (await holdLock(dir, { busy, onLost: () => {} }))();
  });

  it('reports a lock lost while held through onLost, never by throwing from a timer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdh-hold-test-'));
    const lost: Error[] = [];
    const release = await holdLock(dir, {
      busy: () => new Error('in use'),
      onLost: (e) => lost.push(e),
      staleMs: 2000,
      updateMs: 1000,
    });
    rmSync(`${dir}.lock`, { recursive: true, force: true });
    for (let i = 0; i < 50 && lost.length === 0; i++) await sleep(100);
    await release();
    expect(lost).toHaveLength(1);
    expect(uncaught).toEqual([]);
  }, 20_000);
});
