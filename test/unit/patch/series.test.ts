import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandPatches } from '../../../harness/patch/expand.ts';
import {
  orderPatchFiles,
  parseQuiltSeries,
  splitMbox,
  touchedPaths,
  unsafePaths,
} from '../../../harness/patch/series.ts';

const diff = (file: string, from = 'b', to = 'B') =>
  `diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -1,3 +1,3 @@\n a\n-${from}\n+${to}\n c\n`;
const message = (n: number, subject: string, body: string) =>
  `From 1234567890abcdef1234567890abcdef1234567${n} Mon Sep 17 00:00:00 2001\nFrom: Dev <dev@example.org>\nSubject: [PATCH ${n}/2] ${subject}\n\n---\n${body}\n-- \n2.39.5\n`;

describe('patch series ordering', () => {
  it('orders a folder by name in byte order and ignores non-patches', () => {
    expect(
      orderPatchFiles(['0010-b.patch', 'README', '0002-a.patch', '0001-z.diff', 'cover.txt', 'x.mbox']),
    ).toEqual(['0001-z.diff', '0002-a.patch', '0010-b.patch', 'x.mbox']);
  });

  it('reads a quilt series with comments and -p options, and rejects unknown options', () => {
    const { entries, problems } = parseQuiltSeries(
      '# fixes\nfirst.patch\n\nsecond.patch -p0 # trailing\nthird.patch --reverse\n',
    );
    expect(entries).toEqual([
      { file: 'first.patch', strip: 1, line: 2 },
      { file: 'second.patch', strip: 0, line: 4 },
      { file: 'third.patch', strip: 1, line: 5 },
    ]);
    expect(problems).toEqual([{ line: 5, message: expect.stringContaining('--reverse') }]);
  });

  it('splits an mbox into one patch per message, keeping subjects', () => {
    const mbox = message(1, 'mm: first', diff('mm/a.c')) + '\n' + message(2, 'mm: second', diff('mm/b.c'));
    const parts = splitMbox(mbox);
    expect(parts.map((p) => [p.index, p.subject])).toEqual([
      [1, '[PATCH 1/2] mm: first'],
      [2, '[PATCH 2/2] mm: second'],
    ]);
    expect(parts[1]!.text).toContain('mm/b.c');
    expect(parts[1]!.text).not.toContain('mm/a.c');
  });

  it('finds every path a patch touches, including created and renamed files', () => {
    const p = `${diff('mm/a.c')}diff --git a/new.c b/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/new.c\n@@ -0,0 +1 @@\n+x\ndiff --git a/old.h b/new.h\nsimilarity index 100%\nrename from old.h\nrename to new.h\n`;
    expect(touchedPaths(p).sort()).toEqual(['mm/a.c', 'new.c', 'new.h', 'old.h']);
  });

  it('does not take a removed `-- x` or added `++ x` line inside a hunk for a file header', () => {
    const p = `--- a/doc.txt\n+++ b/doc.txt\n@@ -1,3 +1,3 @@\n a\n--- ../../etc/passwd\n+++ /etc/shadow\n c\n`;
    expect(touchedPaths(p)).toEqual(['doc.txt']);
    expect(unsafePaths(p)).toEqual([]);
  });
});

describe('patch paths that leave the tree', () => {
  const hunk = '@@ -1 +1 @@\n-x\n+y\n';
  it('accepts ordinary paths, created and deleted files and git renames and copies', () => {
    const ok = `${diff('mm/a.c')}diff --git a/new.c b/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/new.c\n${hunk}diff --git a/gone.c b/gone.c\ndeleted file mode 100644\n--- a/gone.c\n+++ /dev/null\n${hunk}diff --git a/old.h b/new.h\nrename from old.h\nrename to new.h\ndiff --git a/x.h b/y.h\ncopy from x.h\ncopy to y.h\n`;
    expect(unsafePaths(ok)).toEqual([]);
    expect(unsafePaths('--- linux/mm/a.c\n+++ linux/mm/a.c\n' + hunk, 1)).toEqual([]);
  });

  it.each([
    ['--- a/../../x/victim\n+++ b/mm/a.c\n', 1, '../../x/victim'],
    ['--- a/mm/a.c\n+++ b/mm/../../victim\n', 2, 'mm/../../victim'],
    ['diff --git a/../victim b/../victim\n', 1, '../victim'],
    ['diff --git a/ok.c b/ok.c\nrename from ../../victim\nrename to ok.c\n', 2, '../../victim'],
    ['diff --git a/ok.c b/ok.c\nrename from ok.c\nrename to /tmp/victim\n', 3, '/tmp/victim'],
    ['diff --git a/ok.c b/ok.c\ncopy from ok.c\ncopy to ../victim\n', 3, '../victim'],
    ['diff --git a/ok.c b/ok.c\ncopy from /etc/passwd\ncopy to ok.c\n', 2, '/etc/passwd'],
  ])('refuses %j, naming the line', (head, line, path) => {
    const problems = unsafePaths(`${head}${hunk}`);
    expect(problems).toEqual([{ line, message: expect.stringContaining(path) }]);
  });

  it('refuses a path that is absolute once -pN is applied, and not before', () => {
    const p = `--- /etc/passwd\n+++ /etc/passwd\n${hunk}`;
    expect(unsafePaths(p, 1)).toEqual([]);
    expect(unsafePaths(p, 0).map((x) => x.line)).toEqual([1, 2]);
  });
});

describe('expandPatches (reads the file system)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zdh-series-'));
  it('expands a folder, a quilt series and an mbox in order, hashing each patch', () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    writeFileSync(join(folder, '0002-two.patch'), diff('two.c'));
    writeFileSync(join(folder, '0001-one.patch'), diff('one.c'));
    const quilt = join(dir, 'quilt');
    mkdirSync(quilt);
    writeFileSync(join(quilt, 'z.patch'), diff('z.c'));
    writeFileSync(join(quilt, 'a.patch'), diff('a.c'));
    writeFileSync(join(quilt, 'series'), 'z.patch\na.patch\n');
    const mbox = join(dir, 'set.mbox');
    writeFileSync(mbox, `${message(1, 'one', diff('m1.c'))}\n${message(2, 'two', diff('m2.c'))}`);
    const patches = expandPatches([folder, join(quilt, 'series'), mbox]);
    expect(patches.map((p) => p.name)).toEqual([
      '0001-one.patch',
      '0002-two.patch',
      'z.patch',
      'a.patch',
      'set.mbox#1 ([PATCH 1/2] one)',
      'set.mbox#2 ([PATCH 2/2] two)',
    ]);
    expect(new Set(patches.map((p) => p.sha256)).size).toBe(6);
  });

  it('uses a folder`s series file over name order', () => {
    expect(expandPatches([join(dir, 'quilt')]).map((p) => p.name)).toEqual(['z.patch', 'a.patch']);
  });

  it('rejects a file that holds no hunk, and a series line naming a missing patch', () => {
    writeFileSync(join(dir, 'notes.patch'), 'just words\n');
    expect(() => expandPatches([join(dir, 'notes.patch')])).toThrow(/is not a patch/);
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'series'), 'gone.patch\n');
    expect(() => expandPatches([join(bad, 'series')])).toThrow(/series:1: patch gone.patch does not exist/);
  });

  it('refuses a patch naming a file outside the tree, with its file and line', () => {
    const evil = join(dir, 'evil.patch');
    writeFileSync(evil, `Subject: innocent\n\n---\n${diff('mm/a.c')}${diff('../../../../tmp/x/victim')}`);
    expect(() => expandPatches([evil])).toThrow(/evil\.patch:12: .*\.\.\/\.\.\/\.\.\/\.\.\/tmp\/x\/victim/);
    // In an mbox the line counts from the top of the file, not of the message.
    const mbox = join(dir, 'evil.mbox');
    writeFileSync(mbox, `${message(1, 'one', diff('m1.c'))}\n${message(2, 'two', diff('../m2.c'))}`);
    const text = readFileSync(mbox, 'utf8').split('\n');
    const line = text.indexOf('diff --git a/../m2.c b/../m2.c') + 1;
    expect(() => expandPatches([mbox])).toThrow(new RegExp(`evil\\.mbox:${line}: `));
  });
});
