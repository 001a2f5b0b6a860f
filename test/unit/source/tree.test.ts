import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareSlot, slotFor } from '../../../harness/build/slot.ts';
import type { Patch } from '../../../harness/patch/expand.ts';
import { fingerprint, resolveTree } from '../../../harness/source/tree.ts';
import { sha256 } from '../../../harness/util/hash.ts';

// A user's plain tree (`--tree DIR`): its identity follows its files, and a build never writes to it.
let root: string;
let tree: string;
const quiet = new Writable({ write: (_c, _e, cb) => cb() });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'zdh-tree-'));
  tree = join(root, 'linux');
  mkdirSync(join(tree, 'mm'), { recursive: true });
  writeFileSync(join(tree, 'Makefile'), 'all:\n');
  writeFileSync(join(tree, 'Kconfig'), 'source "mm/Kconfig"\n');
  writeFileSync(join(tree, 'mm', 'a.c'), 'a\nb\nc\n');
  writeFileSync(join(tree, 'mm', 'b.c'), 'x\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Every file's content, mode and mtime: what "untouched" means. */
function snapshot(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel))
    .sort()
    .flatMap((name) => {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) return [`${r}/`, ...snapshot(dir, r)];
      return [`${r} ${st.mode} ${st.mtimeMs} ${sha256(readFileSync(join(dir, r)))}`];
    });
}

describe('fingerprint of a plain tree', () => {
  it('is stable while nothing changes', () => {
    expect(fingerprint(tree)).toBe(fingerprint(tree));
  });

  it('changes when one file`s content changes, size kept (an edit saved later)', () => {
    const before = fingerprint(tree);
    const file = join(tree, 'mm', 'a.c');
    const { mtime } = statSync(file);
    writeFileSync(file, 'a\nB\nc\n');
    // An edit saved a second after the last one, as an editor would; the size is the same.
    utimesSync(file, mtime, new Date(mtime.getTime() + 1000));
    expect(fingerprint(tree)).not.toBe(before);
  });

  it('changes when a file grows, appears or disappears', () => {
    const a = fingerprint(tree);
    writeFileSync(join(tree, 'mm', 'b.c'), 'x\ny\n');
    const b = fingerprint(tree);
    writeFileSync(join(tree, 'mm', 'new.c'), '');
    const c = fingerprint(tree);
    rmSync(join(tree, 'mm', 'new.c'));
    rmSync(join(tree, 'mm', 'b.c'));
    const d = fingerprint(tree);
    expect(new Set([a, b, c, d]).size).toBe(4);
  });

  it('leaves the top-level .git out (a commit alone does not change the tree)', () => {
    const before = fingerprint(tree);
    mkdirSync(join(tree, '.git'));
    writeFileSync(join(tree, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    expect(fingerprint(tree)).toBe(before);
  });
});

describe('a --tree build never writes to the user`s tree', () => {
  it('lays the tree into the slot, patches the slot`s copy, restores it, and leaves the tree as it was', async () => {
    const before = snapshot(tree);
    const source = resolveTree(tree);
    const slot = slotFor(join(root, 'cache'), 'e'.repeat(64));
    const text =
      'diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n' +
      'diff --git a/mm/new.c b/mm/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/mm/new.c\n@@ -0,0 +1 @@\n+new\n';
    const p: Patch = {
      name: 'fix.patch',
      file: join(root, 'fix.patch'),
      text,
      strip: 1,
      sha256: sha256(text),
    };
    await prepareSlot(slot, source, [p], quiet, () => {});
    expect(readFileSync(join(slot.src, 'mm', 'a.c'), 'utf8')).toBe('a\nB\nc\n');
    // The next build (no patches) puts the slot back from the user's tree.
    await prepareSlot(slot, source, [], quiet, () => {});
    expect(readFileSync(join(slot.src, 'mm', 'a.c'), 'utf8')).toBe('a\nb\nc\n');

    expect(snapshot(tree)).toEqual(before);
    expect(resolveTree(tree).id).toBe(source.id);
  });

  it('refuses a tree with an in-tree build, which `make O=` would refuse too', () => {
    writeFileSync(join(tree, '.config'), 'CONFIG_64BIT=y\n');
    expect(() => resolveTree(tree)).toThrow(/in-tree build/);
  });
});
