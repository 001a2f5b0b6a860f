import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { TARBALL_TMP_LEFTOVER } from '../source/tarball.ts';
import { removeInside, sweepDeadLeftovers, sweepSocketDirs } from '../util/cleanup.ts';
import type { BuildRecord, FileFacts } from './types.ts';

/**
 * The content-addressed build cache:
 *   builds/<buildKey>/      bzImage, vmlinux, System.map, .config, modules/, ksrc/, build.log, build.json
 *   requests/<requestKey>   the build key a request resolved to
 * A folder appears whole (staged, fsynced, then renamed) or not at all. Paths are never
 * taken from a build.json: they follow from the folder it was read from, so a moved or
 * copied cache still works and a forged record cannot point zdh elsewhere.
 */
export const buildsDir = (cache: string): string => join(cache, 'builds');
const requestsDir = (cache: string): string => join(cache, 'requests');

export function buildDir(cache: string, key: string): string {
  return join(buildsDir(cache), key);
}

export function stagingDir(cache: string, key: string): string {
  return join(buildsDir(cache), `.staging-${key.slice(0, 16)}-${process.pid}`);
}

/** Where a replaced build waits to be deleted (publish), named like stagingDir so a sweep finds it. */
function asideDir(dest: string): string {
  return join(dirname(dest), `.old-${basename(dest).slice(0, 16)}-${process.pid}`);
}

/** The paths of a build in folder `dir` (BuildRecord's path fields). */
export function buildPaths(
  dir: string,
): Pick<BuildRecord, 'dir' | 'bzImage' | 'vmlinux' | 'config' | 'modulesDir' | 'buildLog' | 'ksrc'> {
  const d = resolve(dir);
  return {
    dir: d,
    bzImage: join(d, 'bzImage'),
    vmlinux: join(d, 'vmlinux'),
    config: join(d, 'config'),
    modulesDir: join(d, 'modules'),
    buildLog: join(d, 'build.log'),
    ksrc: join(d, 'ksrc'),
  };
}

/**
 * The files whose size build.json records and a hit checks, relative to the build folder.
 * bzImage and config also get a sha256 (a few MB at most); vmlinux is too large to hash
 * on every hit. ksrc/ is left out: thousands of small headers, and a torn one fails a
 * guest compile loudly rather than passing a test.
 */
const HASHED = new Set(['bzImage', 'config']);
function recordedFiles(dir: string): string[] {
  const files = ['bzImage', 'vmlinux', 'System.map', 'config', 'build.log'];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = join(rel, name);
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) walk(r);
      else if (st.isFile()) files.push(r);
    }
  };
  if (existsSync(join(dir, 'modules'))) walk('modules');
  return files;
}

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Writes build.json into a finished staging folder: the record plus the file facts readBuild checks. */
export function writeRecord(staging: string, record: BuildRecord): void {
  const files: Record<string, FileFacts> = {};
  for (const rel of recordedFiles(staging)) {
    const path = join(staging, rel);
    if (!existsSync(path)) continue;
    files[rel] = { size: statSync(path).size, ...(HASHED.has(rel) ? { sha256: fileSha256(path) } : {}) };
  }
  writeFileSync(join(staging, 'build.json'), `${JSON.stringify({ ...record, files }, null, 2)}\n`);
}

/** True if the files in `dir` are the ones build.json recorded (a power cut can leave them short). */
function intact(dir: string, record: BuildRecord, hash: boolean): boolean {
  const files = record.files;
  if (!files) {
    // Written before file facts were recorded: a non-empty bzImage is the best evidence left.
    return (statSync(join(dir, 'bzImage'), { throwIfNoEntry: false })?.size ?? 0) > 0;
  }
  if (!files['bzImage']) return false;
  for (const [rel, facts] of Object.entries(files)) {
    if (isAbsolute(rel) || normalize(rel).startsWith('..')) return false;
    const st = statSync(join(dir, rel), { throwIfNoEntry: false });
    if (!st?.isFile() || st.size !== facts.size) return false;
    if (hash && facts.sha256 !== undefined && fileSha256(join(dir, rel)) !== facts.sha256) return false;
  }
  return true;
}

/**
 * The build in folder `dir`, or undefined if there is none or it fails its checks (a miss).
 * `hash: false` checks sizes only, for listings that read every build.
 */
export function readBuild(dir: string, opts: { hash?: boolean } = {}): BuildRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as BuildRecord;
    return intact(dir, record, opts.hash ?? true) ? { ...record, ...buildPaths(dir) } : undefined;
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
  writeFileSync(tmp, `${buildKey}\n`, { flush: true });
  renameSync(tmp, join(requestsDir(cache), requestKey));
  fsyncPath(requestsDir(cache));
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs the files readBuild checks, build.json, and every folder on the way to them. */
function syncStaging(staging: string): void {
  const dirs = new Set<string>([staging]);
  for (const rel of [...recordedFiles(staging), 'build.json']) {
    const path = join(staging, rel);
    if (!existsSync(path)) continue;
    fsyncPath(path);
    for (let d = dirname(path); d.length > staging.length; d = dirname(d)) dirs.add(d);
  }
  for (const d of dirs) fsyncPath(d);
}

/**
 * Moves a finished staging folder into place, on disk for good (fsynced) before it counts.
 * If `dest` holds a sound build and `replace` is not set, another process won the race:
 * keep theirs (same key, same content). A build that fails its checks, or any build when
 * `replace` is set (zdh build --force), is moved aside, the new one moved in, the old one
 * deleted; a reader sees the old build or the new one, never a half.
 */
export function publish(staging: string, dest: string, opts: { replace?: boolean } = {}): void {
  syncStaging(staging);
  const parent = dirname(dest);
  try {
    renameSync(staging, dest);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    if (!opts.replace && readBuild(dest)) {
      rmSync(staging, { recursive: true, force: true });
      return;
    }
    const aside = asideDir(dest);
    removeInside(parent, aside);
    try {
      renameSync(dest, aside);
    } catch (gone) {
      if ((gone as NodeJS.ErrnoException).code !== 'ENOENT') throw gone;
    }
    try {
      renameSync(staging, dest);
    } catch (again) {
      // Another process published between the two renames: theirs is as good as ours.
      if (!readBuild(dest)) throw again;
      rmSync(staging, { recursive: true, force: true });
    }
    fsyncPath(parent);
    removeInside(parent, aside);
  }
  fsyncPath(parent);
}

/** Every finished build, newest first. */
export function listBuilds(cache: string): BuildRecord[] {
  const dir = buildsDir(cache);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .map((n) => readBuild(join(dir, n), { hash: false }))
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
      const st = lstatSync(abs, { throwIfNoEntry: false });
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
    // .<key>.<pid> is a request being written (recordRequest); sweepCacheLeftovers judges those.
    if (name.startsWith('.')) continue;
    const key = readFileSync(join(dir, name), 'utf8').trim();
    if (!existsSync(join(buildDir(cache, key), 'build.json'))) {
      rmSync(join(dir, name), { force: true });
      n++;
    }
  }
  return n;
}

/**
 * What a zdh that died mid-way leaves behind, each named with its owner's pid: staging and
 * replaced builds (stagingDir, asideDir), request entries being written (recordRequest),
 * tarballs being unpacked (source/tarball.ts) and socket folders in /tmp (machine/attempt.ts).
 * Removes those whose owner is dead; returns what it removed.
 */
export async function sweepCacheLeftovers(cache: string, tmp: string = tmpdir()): Promise<string[]> {
  return [
    ...(await sweepDeadLeftovers(buildsDir(cache), /^\.(?:staging|old)-[0-9a-f]+-(\d+)$/)),
    ...(await sweepDeadLeftovers(requestsDir(cache), /^\.[0-9a-f]+\.(\d+)$/)),
    ...(await sweepDeadLeftovers(join(cache, 'sources'), TARBALL_TMP_LEFTOVER)),
    ...(await sweepSocketDirs(tmp)),
  ];
}
