import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepCacheLeftovers } from '../../../harness/build/store.ts';
import {
  pidAlive,
  removeInside,
  SOCKET_DIR_MARK,
  sweepDeadLeftovers,
} from '../../../harness/util/cleanup.ts';

/** The pid of a process that has really lived and ended. */
function deadPid(): number {
  const res = spawnSync('true');
  expect(res.status).toBe(0);
  return res.pid!;
}

const temp = (): string => mkdtempSync(join(tmpdir(), 'zdh-cleanup-test-'));

describe('pidAlive', () => {
  it('tells a running process from one that has ended', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(deadPid())).toBe(false);
  });

  it('never calls a pid it cannot check dead (0, negative, not a number)', () => {
    for (const pid of [0, -1, Number.NaN, 1.5]) expect(pidAlive(pid)).toBe(true);
  });
});

describe('sweepDeadLeftovers', () => {
  it('removes what a dead process left and keeps what a live one is using', async () => {
    const dir = temp();
    const dead = deadPid();
    mkdirSync(join(dir, `.staging-0123-${dead}`, 'modules'), { recursive: true });
    mkdirSync(join(dir, `.staging-4567-${process.pid}`));
    mkdirSync(join(dir, 'unrelated-1'));
    const removed = await sweepDeadLeftovers(dir, /^\.staging-[0-9a-f]+-(\d+)$/);
    expect(removed).toEqual([join(dir, `.staging-0123-${dead}`)]);
    expect(existsSync(join(dir, `.staging-0123-${dead}`))).toBe(false);
    expect(existsSync(join(dir, `.staging-4567-${process.pid}`))).toBe(true);
    expect(existsSync(join(dir, 'unrelated-1'))).toBe(true);
  });

  it('is quiet about a folder that does not exist', async () => {
    expect(await sweepDeadLeftovers(join(temp(), 'none'), /^x-(\d+)$/)).toEqual([]);
  });
});

describe('sweepCacheLeftovers', () => {
  it('sweeps staging, replaced-build, request, tarball and socket leftovers of dead processes only', async () => {
    const cache = temp();
    const tmp = temp();
    const dead = deadPid();
    const live = process.pid;
    const make = (p: string, file = false): string => {
      if (file) {
        mkdirSync(join(p, '..'), { recursive: true });
        writeFileSync(p, 'x');
      } else mkdirSync(p, { recursive: true });
      return p;
    };
    const gone = [
      make(join(cache, 'builds', `.staging-0123456789abcdef-${dead}`)),
      make(join(cache, 'builds', `.old-0123456789abcdef-${dead}`)),
      make(join(cache, 'requests', `.${'cd'.repeat(32)}.${dead}`), true),
      make(join(cache, 'sources', `tarball-0123456789abcdef.tmp-${dead}`)),
    ];
    // A socket folder of a dead zdh: the mark, and sockets (one still bound here).
    const sockets = make(join(tmp, `zdh-sockets-${dead}-AbC123`));
    writeFileSync(join(sockets, SOCKET_DIR_MARK), `${dead}\n`);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(sockets, 'qmp.sock'), resolve));
    gone.push(sockets);
    // Look-alikes in /tmp that are not zdh's socket folders: never touched.
    const noMark = make(join(tmp, `zdh-sockets-${dead}-NoMrk1`));
    const notSockets = make(join(tmp, `zdh-sockets-${dead}-Files1`));
    writeFileSync(join(notSockets, SOCKET_DIR_MARK), 'x');
    writeFileSync(join(notSockets, 'precious.txt'), 'x');
    const linkTarget = make(join(temp(), 'target'));
    writeFileSync(join(linkTarget, SOCKET_DIR_MARK), 'x');
    const link = join(tmp, `zdh-sockets-${dead}-Link12`);
    symlinkSync(linkTarget, link);
    const kept = [
      // zdh-<digits>-XXXXXX is an ordinary mkdtemp name (a user's, a test's): not zdh's to judge.
      make(join(tmp, `zdh-${dead}-AbC123`)),
      noMark,
      join(notSockets, 'precious.txt'),
      link,
      join(linkTarget, SOCKET_DIR_MARK),
      make(join(cache, 'builds', `.staging-0123456789abcdef-${live}`)),
      make(join(cache, 'builds', `.old-0123456789abcdef-${live}`)),
      make(join(cache, 'requests', `.${'cd'.repeat(32)}.${live}`), true),
      make(join(cache, 'sources', `tarball-0123456789abcdef.tmp-${live}`)),
      make(join(tmp, `zdh-sockets-${live}-AbC123`)),
      // Not ours to judge: no pid in the name.
      make(join(tmp, 'zdh-AbC123')),
      make(join(cache, 'sources', 'tarball-0123456789abcdef')),
    ];
    await sweepCacheLeftovers(cache, tmp);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const p of gone) expect(existsSync(p), p).toBe(false);
    for (const p of kept) expect(existsSync(p), p).toBe(true);
  });
});

describe('removeInside', () => {
  it('removes a path strictly inside the root', () => {
    const root = temp();
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    removeInside(root, join(root, 'a'));
    expect(existsSync(join(root, 'a'))).toBe(false);
  });

  it('refuses the root itself and anything outside it, however the path is spelt', () => {
    const root = join(temp(), 'cache');
    const outside = temp();
    mkdirSync(root);
    writeFileSync(join(outside, 'precious'), 'x');
    expect(() => removeInside(root, root)).toThrow(/outside/);
    expect(() => removeInside(root, outside)).toThrow(/outside/);
    expect(() => removeInside(root, join(root, '..', 'elsewhere'))).toThrow(/outside/);
    expect(() => removeInside(root, `${root}-sibling`)).toThrow(/outside/);
    expect(existsSync(join(outside, 'precious'))).toBe(true);
  });

  it('does not follow a symlinked folder out of the root', () => {
    const root = temp();
    const outside = temp();
    mkdirSync(join(outside, 'victim'));
    writeFileSync(join(outside, 'victim', 'precious'), 'x');
    symlinkSync(outside, join(root, 'link'));
    // Through the link: the parent resolves outside the root.
    expect(() => removeInside(root, join(root, 'link', 'victim'))).toThrow(/outside/);
    // The link itself is inside: removing it removes the link, not what it points to.
    removeInside(root, join(root, 'link'));
    expect(existsSync(join(root, 'link'))).toBe(false);
    expect(existsSync(join(outside, 'victim', 'precious'))).toBe(true);
  });
});
