import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { infraError } from '../errors.ts';
import { runLogged } from '../process/run.ts';
import { shortKey } from '../util/hash.ts';
import { sha256File } from '../util/hash-file.ts';
import { withLock } from '../util/lock.ts';
import type { ResolvedSource } from './types.ts';

/**
 * A kernel tarball (Debian's linux-source-6.1.tar.xz by default), hashed once and
 * unpacked once into <cache>/sources/tarball-<sha>/. The hash is remembered by
 * (path, size, mtime, inode) so a cache hit does not re-read 138 MB.
 */
export async function resolveTarball(path: string, cache: string): Promise<ResolvedSource> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) {
    throw infraError(`kernel source tarball ${path} does not exist`, {
      hint: path.startsWith('/usr/src/linux-source-')
        ? "install Debian's linux-source-6.1 (the README's set-up command does)"
        : 'pass an existing tarball, or --tree/--git',
    });
  }
  const id = await tarballId(path, st, cache);
  const pristine = join(cache, 'sources', `tarball-${shortKey(id)}`);
  return { spec: { kind: 'tarball', path }, id, pristine, family: `tarball:${id}` };
}

async function tarballId(
  path: string,
  st: { size: number; mtimeMs: number; ino: number },
  cache: string,
): Promise<string> {
  const memoFile = join(cache, 'sources', 'tarball-ids.json');
  const stamp = `${path}|${st.size}|${st.mtimeMs}|${st.ino}`;
  let memo: Record<string, string> = {};
  try {
    memo = JSON.parse(readFileSync(memoFile, 'utf8')) as Record<string, string>;
  } catch {
    memo = {};
  }
  const known = memo[stamp];
  if (known) return known;
  const id = await sha256File(path);
  memo[stamp] = id;
  mkdirSync(join(cache, 'sources'), { recursive: true });
  writeFileSync(`${memoFile}.tmp`, JSON.stringify(memo, null, 2));
  renameSync(`${memoFile}.tmp`, memoFile);
  return id;
}

/** An unpacking folder (below) whose zdh died; the first group is its pid (store.ts sweeps these). */
export const TARBALL_TMP_LEFTOVER = /^tarball-[0-9a-f]+\.tmp-(\d+)$/;

/** Unpacks the tarball into source.pristine if it is not there yet (atomically, under a lock). */
export async function ensureUnpacked(
  source: ResolvedSource,
  onProgress: (msg: string) => void,
): Promise<string> {
  const dest = source.pristine!;
  if (existsSync(join(dest, 'Makefile'))) return dest;
  await withLock(`${dest}.lock`, async () => {
    if (existsSync(join(dest, 'Makefile'))) return;
    const tmp = `${dest}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    onProgress(`unpacking ${source.spec.kind === 'tarball' ? source.spec.path : ''} (once)`);
    const res = await runLogged('tar', [
      '-xf',
      (source.spec as { path: string }).path,
      '-C',
      tmp,
      '--strip-components=1',
    ]);
    if (res.exitCode !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw infraError(`cannot unpack ${(source.spec as { path: string }).path}`, {
        details: res.tail.slice(-5),
      });
    }
    if (!existsSync(join(tmp, 'Makefile'))) {
      rmSync(tmp, { recursive: true, force: true });
      throw infraError(
        `${(source.spec as { path: string }).path} does not hold a kernel tree (no top-level Makefile)`,
      );
    }
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  });
  return dest;
}
