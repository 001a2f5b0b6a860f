import { describe, expect, it } from 'vitest';
import { resolveElfClosure, searchCandidates } from '../../../harness/image/elf-deps.ts';
import type { ElfInfo } from '../../../harness/image/readelf.ts';

const X64 = { elfClass: 'ELF64', machine: 'Advanced Micro Devices X86-64' };
const I386 = { elfClass: 'ELF32', machine: 'Intel 80386' };
const elf = (base: typeof X64, o: Partial<ElfInfo> = {}): ElfInfo => ({
  ...base,
  interp: undefined,
  needed: [],
  rpath: [],
  runpath: [],
  ...o,
});

/** A fake file system: path -> ELF facts (null = exists but not ELF). */
function fakeFs(files: Record<string, ElfInfo | null>) {
  const calls: string[][] = [];
  return {
    calls,
    inspect: async (paths: readonly string[]) => {
      calls.push([...paths]);
      return new Map(paths.map((p) => [p, files[p] ?? null]));
    },
  };
}

const LIBDIRS = ['/lib32', '/lib/x86_64-linux-gnu', '/usr/lib'];

describe('resolveElfClosure', () => {
  it('collects the loader and the libraries, skips other-architecture copies, follows $ORIGIN runpaths', async () => {
    const fs = fakeFs({
      '/usr/bin/ndctl': elf(X64, {
        interp: '/lib64/ld-linux-x86-64.so.2',
        needed: ['libndctl.so.6', 'libc.so.6'],
      }),
      '/lib64/ld-linux-x86-64.so.2': elf(X64),
      '/lib32/libc.so.6': elf(I386), // wrong class: must be skipped
      '/lib/x86_64-linux-gnu/libc.so.6': elf(X64, { needed: ['ld-linux-x86-64.so.2'] }),
      '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2': elf(X64),
      '/lib/x86_64-linux-gnu/libndctl.so.6': elf(X64, {
        needed: ['libplug.so', 'libc.so.6'],
        runpath: ['$ORIGIN/plugins'],
      }),
      '/lib/x86_64-linux-gnu/plugins/libplug.so': elf(X64),
      '/usr/local/bin/script': null,
    });
    const c = await resolveElfClosure(['/usr/bin/ndctl', '/usr/local/bin/script'], {
      libDirs: LIBDIRS,
      inspect: fs.inspect,
    });
    expect(c.files).toEqual([
      '/usr/bin/ndctl',
      '/usr/local/bin/script',
      '/lib64/ld-linux-x86-64.so.2',
      '/lib/x86_64-linux-gnu/libndctl.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/plugins/libplug.so',
      '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    ]);
    expect(c.interpreters).toEqual(['/lib64/ld-linux-x86-64.so.2']);
    expect(c.notElf).toEqual(['/usr/local/bin/script']);
    expect(c.missing).toEqual([]);
    expect(c.libDirs).toContain('/lib/x86_64-linux-gnu/plugins');
    // One inspect call per level of the tree, not one per file.
    expect(fs.calls.length).toBeLessThanOrEqual(4);
  });

  it('reports a library nobody has, with who needed it', async () => {
    const fs = fakeFs({ '/bin/a': elf(X64, { needed: ['libgone.so.1'] }) });
    const c = await resolveElfClosure(['/bin/a'], { libDirs: LIBDIRS, inspect: fs.inspect });
    expect(c.missing).toEqual([{ library: 'libgone.so.1', neededBy: '/bin/a' }]);
  });

  it('a static program has a closure of itself', async () => {
    const fs = fakeFs({ '/bin/busybox': elf(X64) });
    const c = await resolveElfClosure(['/bin/busybox'], { libDirs: LIBDIRS, inspect: fs.inspect });
    expect(c.files).toEqual(['/bin/busybox']);
    expect(c.interpreters).toEqual([]);
  });
});

describe('searchCandidates', () => {
  it('uses RPATH only without RUNPATH, then the library folders; a name with / is a path', () => {
    const info = elf(X64, { rpath: ['/r'], runpath: [] });
    expect(searchCandidates('libz.so', '/bin/x', info, ['/lib'])).toEqual(['/r/libz.so', '/lib/libz.so']);
    const both = elf(X64, { rpath: ['/r'], runpath: ['$ORIGIN/../lib'] });
    expect(searchCandidates('libz.so', '/opt/app/bin/x', both, ['/lib'])).toEqual([
      '/opt/app/lib/libz.so',
      '/lib/libz.so',
    ]);
    expect(searchCandidates('/abs/libq.so', '/bin/x', info, ['/lib'])).toEqual(['/abs/libq.so']);
  });
});
