import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { BuildRecord } from './types.ts';

/**
 * The content-addressed build cache:
 *   builds/<buildKey>/      bzImage, vmlinux, System.map, .config, modules/, ksrc/, build.log, build.json
 *   requests/<requestKey>   the build key a request resolved to
 * A folder appears whole (staged, then renamed) or not at all.
 */
export const buildsDir = (cache: string): string => join(cache, 'builds');
const requestsDir = (cache: string): string => join(cache, 'requests');

export function buildDir(cache: string, key: string): string {
  return join(buildsDir(cache), key);
}

export function stagingDir(cache: string, key: string): string {
  return join(buildsDir(cache), `.staging-${key.slice(0, 16)}-${process.pid}`);
}

export function readBuild(dir: string): BuildRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as BuildRecord;
    return existsSync(record.bzImage) ? record : undefined;
  } catch {
    return undefined;
  }
}

export function lookupRequest(cache: string, key: string): BuildRecord | undefined {
  try {
    const buildKey = readFileSync(join(requestsDir(cache), key), 'utf8').trim();
    return readBuild(buildDir(cache, buildKey));
  } catch {
    return undefined;
  }
}

export function recordRequest(cache: string, requestKey: string, buildKey: string): void {
  mkdirSync(requestsDir(cache), { recursive: true });
  const tmp = join(requestsDir(cache), `.${requestKey}.${process.pid}`);
  writeFileSync(tmp, `${buildKey}\n`);
  renameSync(tmp, join(requestsDir(cache), requestKey));
}

/** Moves a finished staging folder into place. If another process won the race, keeps theirs. */
export function publish(staging: string, dest: string): void {
  try {
    renameSync(staging, dest);
  } catch (error) {
    if (existsSync(join(dest, 'build.json'))) {
      rmSync(staging, { recursive: true, force: true });
      return;
    }
    throw error;
  }
}

/** Every finished build, newest first. */
export function listBuilds(cache: string): BuildRecord[] {
  const dir = buildsDir(cache);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .map((n) => readBuild(join(dir, n)))
    .filter((r): r is BuildRecord => r !== undefined)
    .sort((a, b) => b.inputs.createdAt.localeCompare(a.inputs.createdAt));
}

/** Size in bytes of a folder (files only, hard links counted once per walk). */
export function folderSize(path: string): number {
  let total = 0;
  const seen = new Set<number>();
  const walk = (p: string): void => {
    for (const name of readdirSync(p)) {
      const abs = join(p, name);
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(abs);
      else if (!seen.has(st.ino)) {
        seen.add(st.ino);
        total += st.size;
      }
    }
  };
  if (existsSync(path)) walk(path);
  return total;
}

/** Removes request entries whose build is gone. */
export function dropDanglingRequests(cache: string): number {
  const dir = requestsDir(cache);
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const name of readdirSync(dir)) {
    const key = readFileSync(join(dir, name), 'utf8').trim();
    if (!existsSync(join(buildDir(cache, key), 'build.json'))) {
      rmSync(join(dir, name), { force: true });
      n++;
    }
  }
  return n;
}
