import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareSlot, type Slot, slotFor, slotHead } from '../../../harness/build/slot.ts';
import { ZdhError } from '../../../harness/errors.ts';
import type { Patch } from '../../../harness/patch/expand.ts';
import { resolveGit } from '../../../harness/source/git.ts';
import type { ResolvedSource } from '../../../harness/source/types.ts';
import { sha256 } from '../../../harness/util/hash.ts';
import { gitIn } from '../../helpers/git.ts';

// prepareSlot against real files, real `cp` and real GNU patch: a tiny "unpacked tarball"
// (a Makefile and one source file) stands in for the kernel source.
let root: string;
let pristine: string;
let outside: string;
let victim: string;
let slot: Slot;
let source: ResolvedSource;
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const say = (): void => {};

const patch = (name: string, text: string, strip = 1): Patch => ({
  name,
  file: join(root, name),
  text,
  strip,
  sha256: sha256(text),
});
const edit = (file: string, from: string, to: string): string =>
  `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1,3 +1,3 @@\n a\n-${from}\n+${to}\n c\n`;
const create = (file: string): string =>
  `diff --git a/${file} b/${file}\nnew file mode 100644\n--- /dev/null\n+++ b/${file}\n@@ -0,0 +1 @@\n+new\n`;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'zdh-slot-'));
  pristine = join(root, 'sources', 'linux');
  mkdirSync(join(pristine, 'mm'), { recursive: true });
  writeFileSync(join(pristine, 'Makefile'), 'all:\n');
  writeFileSync(join(pristine, 'mm', 'a.c'), 'a\nb\nc\n');
  outside = join(root, 'home');
  mkdirSync(outside);
  victim = join(outside, 'victim');
  writeFileSync(victim, 'x\ny\nz\n');
  slot = slotFor(join(root, 'cache'), 'f'.repeat(64));
  source = {
    spec: { kind: 'tarball', path: join(root, 'linux.tar.xz') },
    id: 'sha256:test',
    pristine,
    family: 'tarball:test',
  };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('prepareSlot on a plain tree', () => {
  it('applies a series, and after a later series fails puts the tree back to pristine', async () => {
    await prepareSlot(
      slot,
      source,
      [patch('good.patch', edit('mm/a.c', 'b', 'B') + create('mm/new.c'))],
      quiet,
      say,
    );
    expect(readFileSync(join(slot.src, 'mm', 'a.c'), 'utf8')).toBe('a\nB\nc\n');
    expect(existsSync(join(slot.src, 'mm', 'new.c'))).toBe(true);
    // The slot is a hard-link copy: patching it must not write through to the pristine tree.
    expect(readFileSync(join(pristine, 'mm', 'a.c'), 'utf8')).toBe('a\nb\nc\n');

    const series = [
      patch('good.patch', edit('mm/a.c', 'b', 'B') + create('mm/new.c')),
      patch('stale.patch', edit('mm/a.c', 'nope', 'X')),
    ];
    await expect(prepareSlot(slot, source, series, quiet, say)).rejects.toThrow(
      /patch 2\/2 stale\.patch does not apply/,
    );
    expect(readFileSync(join(slot.src, 'mm', 'a.c'), 'utf8')).toBe('a\nb\nc\n');
    expect(existsSync(join(slot.src, 'mm', 'new.c'))).toBe(false);

    await prepareSlot(slot, source, [], quiet, say);
    expect(readFileSync(join(slot.src, 'mm', 'a.c'), 'utf8')).toBe('a\nb\nc\n');
  });

  it('refuses a patch that names a file above the tree, before touching anything', async () => {
    const rel = relative(slot.src, victim);
    expect(rel.startsWith('../')).toBe(true);
    const evil = patch('0001-evil.patch', `${edit('mm/a.c', 'b', 'B')}${edit(rel, 'nope', 'X')}`);
    const err = await prepareSlot(slot, source, [evil], quiet, say).catch((e: unknown) => e);
    expect(readFileSync(victim, 'utf8')).toBe('x\ny\nz\n');
    expect(err).toBeInstanceOf(ZdhError);
    expect((err as ZdhError).kind).toBe('config');
    // The patch file and the line of the first header naming the outside path.
    expect((err as ZdhError).message).toMatch(/0001-evil\.patch:9: /);
    expect((err as ZdhError).message).toContain(rel);
  });

  it('refuses a patch reaching out through a symbolic link in the tree', async () => {
    // A tarball may hold a link to anywhere; `cp -al` copies it as a link.
    symlinkSync(outside, join(pristine, 'home'));
    const evil = patch('evil.patch', edit('home/victim', 'nope', 'X'));
    const err = await prepareSlot(slot, source, [evil], quiet, say).catch((e: unknown) => e);
    expect(readFileSync(victim, 'utf8')).toBe('x\ny\nz\n');
    expect(err).toBeInstanceOf(ZdhError);
    expect((err as ZdhError).message).toMatch(/evil\.patch:1: .*home\/victim/);
  });

  it('does not follow a recorded path out of the tree when restoring (a damaged state.json)', async () => {
    await prepareSlot(slot, source, [], quiet, say);
    const state = JSON.parse(readFileSync(join(slot.dir, 'state.json'), 'utf8')) as { touched: string[] };
    state.touched = [relative(slot.src, victim)];
    writeFileSync(join(slot.dir, 'state.json'), JSON.stringify(state));
    await prepareSlot(slot, source, [], quiet, say);
    expect(readFileSync(victim, 'utf8')).toBe('x\ny\nz\n');
    expect(readFileSync(join(slot.src, 'mm', 'a.c'), 'utf8')).toBe('a\nb\nc\n');
  });
});

// git must never walk up from zdh's own clone into a repository around it: the cache
// can sit inside a checkout (a CI job's project folder).
describe('git in a build slot whose .git is damaged, inside another repository', () => {
  const git = (cwd: string, ...args: string[]): string => gitIn(cwd, args);
  let parent: string;
  let parentHead: string;

  beforeEach(() => {
    parent = join(root, 'project');
    mkdirSync(parent);
    git(parent, 'init', '-q');
    writeFileSync(join(parent, 'tracked'), 'p\n');
    git(parent, 'add', 'tracked');
    git(parent, 'commit', '-qm', 'parent');
    parentHead = git(parent, 'rev-parse', 'HEAD');
    writeFileSync(join(parent, 'untracked'), 'keep me\n');
    slot = slotFor(join(parent, 'cache'), 'e'.repeat(64));
    mkdirSync(join(slot.src, '.git'), { recursive: true });
  });

  it('slotHead fails instead of answering with the outer repository`s HEAD', async () => {
    const head = await slotHead(slot.src).catch((e: unknown) => e);
    expect(head).not.toBe(parentHead);
    expect(head).toBeInstanceOf(Error);
  });

  it('prepareSlot clones afresh and leaves the outer repository alone', async () => {
    const user = join(root, 'linux');
    mkdirSync(user);
    git(user, 'init', '-q');
    writeFileSync(join(user, 'Makefile'), 'all:\n');
    git(user, 'add', 'Makefile');
    git(user, 'commit', '-qm', 'kernel');
    const src = await resolveGit(user, 'HEAD');
    await prepareSlot(slot, src, [], quiet, say).catch(() => {});
    expect(git(parent, 'rev-parse', 'HEAD')).toBe(parentHead);
    await prepareSlot(slot, src, [], quiet, say);
    expect(await slotHead(slot.src)).toBe(src.commit);
    expect(readFileSync(join(slot.src, 'Makefile'), 'utf8')).toBe('all:\n');
    expect(git(parent, 'rev-parse', 'HEAD')).toBe(parentHead);
    expect(git(parent, 'for-each-ref', '--format=%(refname)')).not.toMatch(/zdh/);
    expect(readFileSync(join(parent, 'untracked'), 'utf8')).toBe('keep me\n');
  });

  it('applies a series with git am in zdh`s clone, and a failing one leaves no am in progress', async () => {
    const user = join(root, 'linux');
    mkdirSync(join(user, 'mm'), { recursive: true });
    git(user, 'init', '-q');
    writeFileSync(join(user, 'Makefile'), 'all:\n');
    writeFileSync(join(user, 'mm', 'a.c'), 'a\nb\nc\n');
    git(user, 'add', '.');
    git(user, 'commit', '-qm', 'kernel');
    const src = await resolveGit(user, 'HEAD');
    const mail = (subject: string, body: string): string =>
      `From: Dev <dev@example.org>\nSubject: [PATCH] ${subject}\n\n---\n${body}`;
    await prepareSlot(slot, src, [patch('1.patch', mail('mm: B', edit('mm/a.c', 'b', 'B')))], quiet, say);
    expect(readFileSync(join(slot.src, 'mm', 'a.c'), 'utf8')).toBe('a\nB\nc\n');
    expect(await slotHead(slot.src)).not.toBe(src.commit);
    const stale = patch('2.patch', mail('mm: X', edit('mm/a.c', 'nope', 'X')));
    await expect(prepareSlot(slot, src, [stale], quiet, say)).rejects.toThrow(/2\.patch does not apply/);
    expect(existsSync(join(slot.src, '.git', 'rebase-apply'))).toBe(false);
    expect(git(parent, 'rev-parse', 'HEAD')).toBe(parentHead);
  });
});
