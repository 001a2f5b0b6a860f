import { lstatSync, readdirSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { infraError } from '../errors.ts';

/**
 * Removing things safely: only inside a folder zdh owns, and only what a dead process
 * left behind. Every recursive delete of the cache goes through removeInside.
 */

/** True unless `pid` is certainly gone (ESRCH). Unknown or unsignalable pids count as alive. */
export function pidAlive(pid: number): boolean {
  // 0 and negative pids address process groups; never judge those.
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep);
}

/**
 * The path to remove for `path`, or undefined if there is nothing: `path` must lie strictly
 * inside `root`, spelt and resolved (its parent, symlinks followed, inside root's real path).
 * A symlink at `path` itself is removed as a link, never followed.
 */
function checkedInside(root: string, path: string): string | undefined {
  const absRoot = resolve(root);
  const abs = resolve(path);
  let realRoot = absRoot;
  let realParent = dirname(abs);
  try {
    realRoot = realpathSync(absRoot);
    realParent = realpathSync(dirname(abs));
  } catch (error) {
    // Nothing there to remove.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const real = join(realParent, relative(dirname(abs), abs));
  if (!inside(absRoot, abs) || !inside(realRoot, real)) {
    throw infraError(`refusing to remove ${path}: it is outside ${root}`);
  }
  return real;
}

/** rm -rf `path`, but only strictly inside `root` (checkedInside). */
export function removeInside(root: string, path: string): void {
  const real = checkedInside(root, path);
  if (real) rmSync(real, { recursive: true, force: true });
}

/**
 * removeInside without blocking the event loop: a large tree (ccache, an unpacked kernel)
 * can take a minute, and held locks must go on being refreshed meanwhile.
 */
export async function removeInsideAsync(root: string, path: string): Promise<void> {
  const real = checkedInside(root, path);
  if (real) await rm(real, { recursive: true, force: true });
}

/**
 * Removes the entries of `dir` whose name matches `pattern` (first group: the owner's pid)
 * and whose owner is dead. Returns the paths removed; never throws (a sweep is a courtesy).
 */
export async function sweepDeadLeftovers(dir: string, pattern: RegExp): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (Number.isNaN(pid) || pidAlive(pid)) continue;
    try {
      await removeInsideAsync(dir, join(dir, name));
      removed.push(join(dir, name));
    } catch {
      // Someone else's (another user's /tmp folder) or gone meanwhile.
    }
  }
  return removed;
}

/** The file that marks a folder as zdh's socket folder in /tmp (machine/attempt.ts). */
export const SOCKET_DIR_MARK = '.zdh-sockets';
/** zdh-sockets-<pid>-XXXXXX: the owner's pid in the name, for the sweep. */
export const SOCKET_DIR_PATTERN = /^zdh-sockets-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Removes socket folders a dead zdh left in `tmp`. /tmp is everyone's, so a name alone
 * proves nothing: a folder goes only when its name matches SOCKET_DIR_PATTERN, its owner
 * is dead, it is a real folder of this user, it holds the mark zdh wrote, and everything
 * else in it is a socket. Then those entries are removed one by one and the folder with
 * rmdir, never recursively: a folder that is not what zdh makes stays as it is.
 */
export async function sweepSocketDirs(tmp: string): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = Number(SOCKET_DIR_PATTERN.exec(name)?.[1]);
    if (Number.isNaN(pid) || pidAlive(pid)) continue;
    const dir = join(tmp, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      const entries = readdirSync(dir);
      if (!entries.includes(SOCKET_DIR_MARK)) continue;
      const ours = entries.every((e) => {
        const es = lstatSync(join(dir, e));
        return e === SOCKET_DIR_MARK ? es.isFile() : es.isSocket();
      });
      if (!ours) continue;
      for (const e of entries) rmSync(join(dir, e), { force: true });
      rmdirSync(dir);
      removed.push(dir);
    } catch {
      // Another user's, or gone meanwhile: a sweep is a courtesy.
    }
  }
  return removed;
}
