import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { usageError } from '../errors.ts';
import { createProgress, type Progress } from '../progress/progress.ts';
import { cacheRoot } from '../util/paths.ts';
import { buildKernel } from './build-kernel.ts';
import { defaultKernelSpec } from './kernel-spec.ts';
import { buildsDir, readBuild } from './store.ts';
import type { BuildRecord } from './types.ts';

/**
 * What `--kernel BUILD` means everywhere: a build folder, a cache key (or a unique prefix
 * of one), or nothing — the default build, built now if it is not cached.
 */
export async function resolveBuild(
  kernel: string | undefined,
  opts: { progress?: Progress; cache?: string } = {},
): Promise<BuildRecord> {
  const cache = opts.cache ?? cacheRoot();
  if (kernel === undefined) {
    return buildKernel(defaultKernelSpec(), { progress: opts.progress ?? createProgress(), cache });
  }
  const asDir = resolve(kernel);
  if (existsSync(join(asDir, 'build.json'))) {
    const record = readBuild(asDir);
    if (record) return { ...record, cached: true };
  }
  const dir = buildsDir(cache);
  const matches = existsSync(dir)
    ? readdirSync(dir).filter((n) => !n.startsWith('.') && n.startsWith(kernel))
    : [];
  if (matches.length === 1) {
    const record = readBuild(join(dir, matches[0]!));
    if (record) return { ...record, cached: true };
  }
  if (matches.length > 1)
    throw usageError(
      `--kernel ${kernel} matches ${matches.length} builds`,
      'give more characters of the cache key (see `zdh cache ls`)',
    );
  throw usageError(
    `--kernel ${kernel} is neither a build folder nor a cached build key`,
    'pass a folder printed by `zdh build`, a key from `zdh cache ls`, or omit --kernel for the default build',
  );
}
