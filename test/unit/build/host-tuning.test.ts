import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hugepageEnv, hugepageTuning, nmMakeArg, parseThpMode } from '../../../harness/build/host-tuning.ts';
import { toolchainId } from '../../../harness/build/toolchain.ts';
import { runCapture } from '../../../harness/process/run.ts';

describe('parseThpMode', () => {
  it('reads the bracketed mode of each kernel spelling', () => {
    expect(parseThpMode('always [madvise] never\n')).toBe('madvise');
    expect(parseThpMode('[always] madvise never\n')).toBe('always');
    expect(parseThpMode('always madvise [never]\n')).toBe('never');
    // 6.8+ per-size files add `inherit`; the top-level file never selects it.
    expect(parseThpMode('always madvise never\n')).toBeUndefined();
    expect(parseThpMode('')).toBeUndefined();
  });
});

describe('nmMakeArg', () => {
  it('points nm at the plugin gcc names when the file is there', () => {
    const path = '/usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so';
    expect(nmMakeArg(`${path}\n`, (p) => p === path)).toBe(`NM=nm --plugin ${path}`);
  });

  it('leaves nm alone when gcc echoes the bare name back or the file is gone', () => {
    expect(nmMakeArg('liblto_plugin.so\n', () => true)).toBeUndefined();
    expect(nmMakeArg('/nowhere/liblto_plugin.so', () => false)).toBeUndefined();
    expect(nmMakeArg('', () => true)).toBeUndefined();
  });
});

describe('hugepageEnv', () => {
  it('adds the library and the malloc tunable to an empty environment', () => {
    expect(hugepageEnv('/c/hp.so', {})).toEqual({
      LD_PRELOAD: '/c/hp.so',
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
    });
  });

  it("keeps the user's own preloads and tunables", () => {
    expect(
      hugepageEnv('/c/hp.so', { LD_PRELOAD: '/u/a.so:/u/b.so', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }),
    ).toEqual({
      LD_PRELOAD: '/c/hp.so /u/a.so /u/b.so',
      GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1',
    });
  });

  it('does not override a malloc huge-page choice the user made, nor list the library twice', () => {
    expect(
      hugepageEnv('/c/hp.so', { LD_PRELOAD: '/c/hp.so', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }),
    ).toEqual({ LD_PRELOAD: '/c/hp.so', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' });
  });
});

describe('hugepageTuning on this host (real gcc)', () => {
  let cache: string | undefined;
  afterEach(() => {
    if (cache) rmSync(cache, { recursive: true, force: true });
  });

  it('builds a preload library that a real program runs with, once', async () => {
    cache = mkdtempSync(join(tmpdir(), 'zdh-tuning-'));
    const toolchain = await toolchainId('gcc');
    const first = await hugepageTuning(cache, toolchain, 'gcc', {});
    if (!first.note.startsWith('huge pages for the compiler: on')) {
      // A host whose THP is not in madvise mode needs no library: nothing is built.
      expect(existsSync(join(cache, 'tools'))).toBe(false);
      expect(first.env).toEqual({});
      return;
    }
    const libs = readdirSync(join(cache, 'tools'));
    expect(libs).toHaveLength(1);
    expect(first.env['LD_PRELOAD']).toBe(join(cache, 'tools', libs[0]!));
    // A process that maps large anonymous memory runs normally with it preloaded.
    const out = await runCapture(
      'node',
      ['-e', 'const b = Buffer.alloc(64 << 20, 1); console.log(b.reduce((a, x) => a + x, 0))'],
      { env: { ...process.env, ...first.env } },
    );
    expect(out.trim()).toBe(String(64 << 20));
    const again = await hugepageTuning(cache, toolchain, 'gcc', {});
    expect(again.env).toEqual(first.env);
    expect(readdirSync(join(cache, 'tools'))).toEqual(libs);
  });

  it('turns huge pages off when asked', async () => {
    cache = mkdtempSync(join(tmpdir(), 'zdh-tuning-'));
    const t = await hugepageTuning(cache, await toolchainId('gcc'), 'gcc', { ZDH_BUILD_HUGEPAGES: '0' });
    expect(t.env).toEqual({});
    expect(t.note).toContain('ZDH_BUILD_HUGEPAGES=0');
    expect(existsSync(join(cache, 'tools'))).toBe(false);
  });
});
