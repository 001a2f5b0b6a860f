import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cacheRoot, projectRoot } from '../../harness/util/paths.ts';
import { zdh } from '../helpers/zdh.ts';

// Builds the default kernel (Debian's 6.1 source, tinyconfig + configs/kconfig/*.config)
// for real. Cold, this takes minutes; the boot and workload tests reuse the cached build.
const fixtures = join(import.meta.dirname, '..', 'fixtures');

describe('zdh build (real kernel build)', () => {
  it('builds the default kernel with every requested option, then hits the cache', async () => {
    const first = await zdh(['build', '--json']);
    expect(first.stderr).not.toMatch(/internal error/);
    expect(first.code).toBe(0);
    const record = JSON.parse(first.stdout) as Record<string, unknown>;
    for (const key of ['bzImage', 'vmlinux', 'config', 'buildLog'] as const)
      expect(existsSync(String(record[key]))).toBe(true);
    expect(record['kernelRelease']).toMatch(/^6\.1\.\d+/);
    const config = readFileSync(String(record['config']), 'utf8');
    expect(config).toMatch(/^CONFIG_TEST_HMM=m$/m);
    expect(config).toMatch(/^CONFIG_ZONE_DEVICE=y$/m);
    expect(config).toMatch(/^CONFIG_DEVICE_PRIVATE=y$/m);
    expect(config).toMatch(/^CONFIG_FS_DAX=y$/m);
    expect(config).toMatch(/^CONFIG_XFS_FS=y$/m);
    expect(config).toMatch(/^CONFIG_DEBUG_VM=y$/m);
    const release = String(record['kernelRelease']);
    expect(existsSync(join(String(record['modulesDir']), 'lib/modules', release, 'modules.dep'))).toBe(true);
    const modulesDep = readFileSync(
      join(String(record['modulesDir']), 'lib/modules', release, 'modules.dep'),
      'utf8',
    );
    expect(modulesDep).toMatch(/test_hmm\.ko/);
    expect(existsSync(join(String(record['ksrc']), 'lib/test_hmm_uapi.h'))).toBe(true);

    const second = await zdh(['build', '--json']);
    expect(second.code).toBe(0);
    const hit = JSON.parse(second.stdout) as Record<string, unknown>;
    expect(hit['cached']).toBe(true);
    expect(hit['cacheKey']).toBe(record['cacheKey']);
  });

  it('stops with exit 2 naming an option that cannot survive, and the dependency that dropped it', async () => {
    const res = await zdh(['build', '--config', join(fixtures, 'impossible.config')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/did not survive olddefconfig/);
    expect(res.stderr).toMatch(
      /CONFIG_KASAN_SW_TAGS=y \(.*impossible\.config:3\) ended up not set: depends on/,
    );
  });

  it('stops with exit 2 naming a patch that does not apply, its file and hunk', async () => {
    const res = await zdh(['build', '--patches', join(fixtures, 'kernel-patches', 'does-not-apply.patch')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/patch 1\/1 does-not-apply\.patch does not apply/);
    expect(res.stderr).toMatch(/mm\/memremap\.c, hunk #1, at line 10: hunk does not apply/);
  });

  it('leaves no half-patched tree when a later patch of a series fails', async () => {
    const res = await zdh(['build', '--patches', join(fixtures, 'kernel-patches', 'half-applies')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/patch 2\/2 0002-does-not-apply\.patch does not apply/);
    // Patch 1 applied before patch 2 failed; every tarball slot's README must be its
    // pristine source's again (the cache may hold other kernels' slots, e.g. 6.12's).
    const cache = cacheRoot();
    const compared = readdirSync(join(cache, 'slots')).flatMap((slot) => {
      const state = join(cache, 'slots', slot, 'state.json');
      const readme = join(cache, 'slots', slot, 'src', 'README');
      if (!existsSync(state) || !existsSync(readme)) return [];
      const { sourceId } = JSON.parse(readFileSync(state, 'utf8')) as { sourceId: string };
      const pristine = join(cache, 'sources', `tarball-${sourceId.slice(0, 16)}`, 'README');
      if (!existsSync(pristine)) return [];
      const original = readFileSync(pristine, 'utf8');
      expect(original).not.toMatch(/patched by the zdh tests/);
      expect(readFileSync(readme, 'utf8'), slot).toBe(original);
      return [slot];
    });
    expect(compared.length).toBeGreaterThan(0);
  });

  it('leaves no make running 10 s after a SIGKILL of zdh mid-build', async () => {
    // --force rebuilds over the warm slot: make walks the whole tree, long enough to kill.
    // MAKEFLAGS=-s: a make that prints nothing (as while it links) never dies of SIGPIPE
    // on the pipe zdh leaves behind, so only the watchdog can stop it.
    const child = execa(process.execPath, [join(projectRoot, 'bin', 'zdh.js'), 'build', '--force'], {
      env: { MAKEFLAGS: '-s' },
      reject: false,
      stdin: 'ignore',
      buffer: false,
    });
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        if (/building bzImage/.test(d.toString())) resolve();
      });
      child.then(() => reject(new Error('zdh build ended before make started')));
    });
    let groups: number[] = [];
    for (let i = 0; i < 100 && groups.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      groups = slotMakeGroups();
    }
    expect(groups.length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await child;
    // Not only make: the compilers and linkers it started are in its process group.
    let alive = groups;
    for (let i = 0; i < 100 && alive.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = groups.filter(groupAlive);
    }
    for (const pgid of alive) process.kill(-pgid, 'SIGKILL');
    expect(alive).toEqual([]);
  });
});

/** Process groups of the make processes working in one of the cache's build slots. */
function slotMakeGroups(): number[] {
  const ps = execFileSync('ps', ['-eo', 'pgid,args'], { encoding: 'utf8' });
  const slots = join(cacheRoot(), 'slots');
  const lines = ps.split('\n').filter((l) => /^\s*\d+ make /.test(l) && l.includes(slots));
  return [...new Set(lines.map((l) => Number(l.trim().split(/\s+/)[0])))];
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
