#!/usr/bin/env -S node
/**
 * Build benchmark: prints the three figures issue #2 asks for, on this machine.
 *   1. a cold build of the default kernel (empty zdh cache and empty ccache),
 *   2. a rebuild after a one-file patch (same slot: one object and the link),
 *   3. a cache hit.
 * Usage: node scripts/bench-build.ts [--keep] [--warm]
 *   --warm  skip the cold build and use the normal cache (~/.cache/zdh)
 *   --keep  keep the temporary cache folder
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';

const root = join(import.meta.dirname, '..');
const warm = process.argv.includes('--warm');
const keep = process.argv.includes('--keep');
const cache = warm ? undefined : mkdtempSync(join(tmpdir(), 'zdh-bench-'));
const env: Record<string, string | undefined> = {
  ...process.env,
  ...(cache ? { ZDH_CACHE_DIR: cache } : {}),
};
if (cache) delete env['CCACHE_DIR'];
// A one-file patch that no earlier run has built: the fixture with a unique comment.
const patch = join(mkdtempSync(join(tmpdir(), 'zdh-bench-patch-')), 'one-file.patch');
writeFileSync(
  patch,
  readFileSync(join(root, 'test/fixtures/kernel-patches/one-file-harmless.patch'), 'utf8').replace(
    'forces one object to rebuild.',
    `forces one object to rebuild (${Date.now()}).`,
  ),
);

async function timed(label: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await $({
    env,
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })`node bin/zdh.js build --json ${args}`;
  const s = (performance.now() - t0) / 1000;
  const rec = JSON.parse(out.stdout) as { cached: boolean; kernelRelease: string };
  console.log(
    `${label.padEnd(28)} ${s.toFixed(1).padStart(7)} s   (cached=${rec.cached}, ${rec.kernelRelease})`,
  );
  return s;
}

console.log(
  `zdh build benchmark on ${(await $`nproc`).stdout.trim()} cores; cache: ${cache ?? '~/.cache/zdh (warm)'}`,
);
const figures: Record<string, number> = {};
if (!warm) figures['cold'] = await timed('cold build (empty caches)', []);
figures['onefile'] = await timed('one-file patch rebuild', ['--patches', patch]);
figures['hit'] = await timed('cache hit', []);
console.log(JSON.stringify(figures));
if (cache && !keep) rmSync(cache, { recursive: true, force: true });
