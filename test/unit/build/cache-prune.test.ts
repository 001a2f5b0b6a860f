import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOCKET_DIR_MARK } from '../../../harness/util/cleanup.ts';
import { withLock } from '../../../harness/util/lock.ts';
import { zdh } from '../../helpers/zdh.ts';
import { layBuildFiles, recordFor, writeLegacyRecord } from './fake-build.ts';

const LONG_AGO = '2000-01-01T00:00:00.000Z';
const temp = (name: string): string => mkdtempSync(join(tmpdir(), `zdh-prune-test-${name}-`));

/** `zdh cache prune` as a user runs it, on the cache `cache`, with /tmp at `tmp`. */
function prune(cache: string, args: string[], tmp = temp('tmp')) {
  return zdh(['cache', 'prune', ...args], {
    env: { ZDH_CACHE_DIR: cache, TMPDIR: tmp },
    timeoutMs: 60_000,
  });
}

/** Holds the lock on `path` as a running build would, until finish() is called. */
function holdUntilFinished(path: string): { finish: () => void; build: Promise<void> } {
  let finish!: () => void;
  const build = withLock(
    path,
    () =>
      new Promise<void>((r) => {
        finish = r;
      }),
  );
  return { finish: () => finish(), build };
}

describe('zdh cache prune', () => {
  it('removes nothing outside the cache, whatever the records in it say', async () => {
    const cache = temp('cache');
    // A record whose folder and bzImage name a folder outside the cache (a copied cache, or a forged one).
    const victim = temp('victim');
    layBuildFiles(victim);
    writeFileSync(join(victim, 'precious'), 'keep me');
    const forged = join(cache, 'builds', '00ff');
    mkdirSync(forged, { recursive: true });
    writeLegacyRecord(forged, recordFor(victim, '00ff'.repeat(16), LONG_AGO));
    // The same with a complete build in the cache's own folder.
    const own = join(cache, 'builds', '00fe');
    layBuildFiles(own);
    writeLegacyRecord(own, recordFor(victim, '00fe'.repeat(16), LONG_AGO));
    // And a builds/ entry that is a symlink to a build outside.
    const linked = temp('linked');
    layBuildFiles(linked);
    writeLegacyRecord(linked, recordFor(linked, '00fd'.repeat(16), LONG_AGO));
    symlinkSync(linked, join(cache, 'builds', '00fd'));

    const res = await prune(cache, ['--older-than', '0', '--keep', '0']);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(join(victim, 'precious'), 'utf8')).toBe('keep me');
    expect(existsSync(join(victim, 'bzImage'))).toBe(true);
    expect(existsSync(join(linked, 'bzImage'))).toBe(true);
    // The cache's own old build does go.
    expect(existsSync(own)).toBe(false);
  }, 60_000);

  it('--all refuses while a kernel build holds the host build lock, and removes nothing', async () => {
    const cache = temp('cache');
    mkdirSync(join(cache, 'slots', '0123456789abcdef', 'obj'), { recursive: true });
    mkdirSync(join(cache, 'ccache'), { recursive: true });
    const { finish, build } = holdUntilFinished(join(cache, 'locks', 'host-build'));
    try {
      const res = await prune(cache, ['--all']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/kernel build is running/);
      expect(existsSync(join(cache, 'slots', '0123456789abcdef', 'obj'))).toBe(true);
      expect(existsSync(join(cache, 'ccache'))).toBe(true);
    } finally {
      finish();
      await build;
    }
  }, 60_000);

  it('--all refuses while a build holds its slot, and removes nothing', async () => {
    const cache = temp('cache');
    const slot = join(cache, 'slots', '0123456789abcdef');
    mkdirSync(join(slot, 'obj'), { recursive: true });
    const { finish, build } = holdUntilFinished(slot);
    try {
      const res = await prune(cache, ['--all']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/kernel build is running/);
      expect(existsSync(join(slot, 'obj'))).toBe(true);
    } finally {
      finish();
      await build;
    }
  }, 60_000);

  it('--all with no build running removes slots, locks and builds', async () => {
    const cache = temp('cache');
    mkdirSync(join(cache, 'slots', '0123456789abcdef', 'obj'), { recursive: true });
    mkdirSync(join(cache, 'locks'), { recursive: true });
    const own = join(cache, 'builds', 'ab'.repeat(32));
    layBuildFiles(own);
    writeLegacyRecord(own, recordFor(own, 'ab'.repeat(32)));
    const res = await prune(cache, ['--all']);
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(join(cache, 'slots', '0123456789abcdef'))).toBe(false);
    expect(existsSync(own)).toBe(false);
    expect(existsSync(join(cache, 'locks', 'host-build.lock'))).toBe(false);
  }, 60_000);

  it('sweeps leftovers of dead zdh processes and keeps those of live ones', async () => {
    const cache = temp('cache');
    const tmp = temp('tmp');
    const dead = spawnSync('true').pid!;
    const live = process.pid;
    const paths = (pid: number) => [
      join(cache, 'builds', `.staging-0123456789abcdef-${pid}`),
      join(cache, 'sources', `tarball-0123456789abcdef.tmp-${pid}`),
      join(tmp, `zdh-sockets-${pid}-AbC123`),
    ];
    for (const p of [...paths(dead), ...paths(live)]) mkdirSync(p, { recursive: true });
    // A socket folder as zdh makes it: the mark (its sockets are gone with their QEMU).
    for (const pid of [dead, live])
      writeFileSync(join(tmp, `zdh-sockets-${pid}-AbC123`, SOCKET_DIR_MARK), `${pid}\n`);
    const res = await prune(cache, [], tmp);
    expect(res.code, res.stderr).toBe(0);
    for (const p of paths(dead)) expect(existsSync(p), p).toBe(false);
    for (const p of paths(live)) expect(existsSync(p), p).toBe(true);
  }, 60_000);
});
