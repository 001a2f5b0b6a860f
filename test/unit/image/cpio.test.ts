import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseArchivePath, sortForArchive, writeCpio } from '../../../harness/image/cpio.ts';
import { readCpio } from '../../helpers/cpio-reader.ts';

const hdr = (fields: number[], name: string): string =>
  `070701${fields.map((n) => n.toString(16).padStart(8, '0')).join('')}${name}\0`;

describe('cpio newc writer', () => {
  it('writes the exact bytes of a small archive (headers, padding to 4, trailer)', () => {
    const out = writeCpio([
      { type: 'dir', path: '/etc' },
      { type: 'file', path: 'etc/a', data: Buffer.from('hi\n'), mode: 0o600 },
      { type: 'symlink', path: 'sh', target: '/bin/busybox' },
      { type: 'char', path: 'console', major: 5, minor: 1 },
    ]);
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const expected =
      hdr([1, 0o40755, 0, 0, 2, 0, 0, 0, 0, 0, 0, 4, 0], 'etc') + // 110 + 4 = 114 -> pad 2
      '\0\0' +
      hdr([2, 0o100600, 0, 0, 1, 0, 3, 0, 0, 0, 0, 6, 0], 'etc/a') + // 116, no pad
      'hi\n\0' + // data 3 -> pad 1
      hdr([3, 0o120777, 0, 0, 1, 0, 12, 0, 0, 0, 0, 3, 0], 'sh') + // 113 -> pad 3
      '\0\0\0' +
      '/bin/busybox' +
      hdr([4, 0o20600, 0, 0, 1, 0, 0, 0, 0, 5, 1, 8, 0], 'console') + // 118 -> pad 2
      '\0\0' +
      hdr([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0], 'TRAILER!!!') + // 121 -> pad 3
      '\0\0\0';
    expect(out.toString('latin1')).toBe(expected);
    expect(out.length % 4).toBe(0);
  });

  it('reads back what it wrote, also from concatenated archives', () => {
    const a = writeCpio([{ type: 'file', path: 'x', data: Buffer.from([0, 1, 2, 255]) }]);
    const b = writeCpio([{ type: 'file', path: 'zdh/plan.sh', data: Buffer.from('A=1\n'), mode: 0o644 }]);
    const recs = readCpio(Buffer.concat([a, b]));
    expect(recs.map((r) => r.name)).toEqual(['x', 'zdh/plan.sh']);
    expect([...recs[0]!.data]).toEqual([0, 1, 2, 255]);
    expect(recs[1]!.mode).toBe(0o100644);
  });

  it('round-trips arbitrary names and contents byte for byte', () => {
    const name = fc
      .array(fc.stringMatching(/^[A-Za-z0-9_.+-]{1,12}$/), { minLength: 1, maxLength: 4 })
      .filter((parts) => parts.every((p) => p !== '.' && p !== '..'))
      .map((parts) => parts.join('/'));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, fc.uint8Array({ maxLength: 70 })), {
          selector: (t) => t[0],
          maxLength: 8,
        }),
        (files) => {
          // a file may not also be a parent folder of another
          const names = files.map((f) => f[0]);
          fc.pre(!names.some((n) => names.some((m) => m.startsWith(`${n}/`))));
          const entries = files.map(([path, data]) => ({ type: 'file' as const, path, data }));
          const back = readCpio(writeCpio(sortForArchive(entries)));
          for (const [path, data] of files) {
            const rec = back.find((r) => r.name === path);
            expect(rec).toBeDefined();
            expect(Buffer.compare(rec!.data, Buffer.from(data))).toBe(0);
          }
        },
      ),
    );
  });

  it('rejects duplicates and paths that climb out', () => {
    expect(() =>
      writeCpio([
        { type: 'dir', path: 'a' },
        { type: 'dir', path: '/a/' },
      ]),
    ).toThrow(/duplicate/);
    expect(() => normaliseArchivePath('a/../../etc')).toThrow(/\.\./);
    expect(() => normaliseArchivePath('/')).toThrow(/empty/);
    expect(normaliseArchivePath('/./usr//bin/')).toBe('usr/bin');
  });
});

describe('sortForArchive', () => {
  it('adds missing parent folders and puts every folder before its contents', () => {
    const sorted = sortForArchive([
      { type: 'file', path: 'usr/bin/ndctl', data: Buffer.alloc(1) },
      { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
      { type: 'dir', path: 'usr', mode: 0o700 },
    ]);
    expect(sorted.map((e) => `${e.type}:${e.path}`)).toEqual([
      'dir:bin',
      'symlink:bin/sh',
      'dir:usr',
      'dir:usr/bin',
      'file:usr/bin/ndctl',
    ]);
    expect(sorted.find((e) => e.path === 'usr')).toMatchObject({ mode: 0o700 });
  });

  it('refuses a file that would have to be a folder', () => {
    expect(() =>
      sortForArchive([
        { type: 'file', path: 'lib', data: Buffer.alloc(0) },
        { type: 'file', path: 'lib/x.so', data: Buffer.alloc(0) },
      ]),
    ).toThrow(/not a directory/);
  });
});
