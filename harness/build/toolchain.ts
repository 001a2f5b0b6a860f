import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { runCapture } from '../process/run.ts';
import { writeFileAtomic } from '../util/atomic.ts';

/** Where `name` resolves on PATH (the first executable regular file), as a spawn would find it. */
export function whichOnPath(
  name: string,
  path: string | undefined = process.env['PATH'],
): string | undefined {
  const candidates =
    isAbsolute(name) || name.includes('/')
      ? [name]
      : (path ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, name));
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/**
 * What identifies an installed binary without running it: its real path, inode, size and
 * modification time. Installing another version of the package (or another binary under the
 * same name earlier on PATH) changes it.
 */
export function binaryStamp(
  name: string,
  path: string | undefined = process.env['PATH'],
): string | undefined {
  const found = whichOnPath(name, path);
  if (found === undefined) return undefined;
  const real = realpathSync(found);
  const st = statSync(real);
  return `${real}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

const MEMO_FILE = 'toolchain-ids.json';
const MEMO_ENTRIES = 8;

function readMemo(file: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return {};
  }
}

/**
 * The compiler and linker that make the build, as one string for cache keys and manifests:
 * the first lines of `gcc --version` and `ld --version`. Running both costs two processes on
 * every `zdh build`, a cache hit included, so with `cache` the answer is kept in the cache
 * under the binaries' stamps (binaryStamp) and asked again only when one of them changes.
 */
export async function toolchainId(cc = 'gcc', cache?: string): Promise<string> {
  const stamps = [binaryStamp(cc), binaryStamp('ld')];
  const memoFile = cache === undefined ? undefined : join(cache, MEMO_FILE);
  const memoKey = stamps.every((s) => s !== undefined) ? stamps.join(' | ') : undefined;
  const memo = memoFile === undefined ? {} : readMemo(memoFile);
  if (memoKey !== undefined && memo[memoKey] !== undefined) return memo[memoKey];
  const [gcc, ld] = await Promise.all([
    runCapture(cc, ['--version']).then((s) => s.split('\n')[0] ?? ''),
    runCapture('ld', ['--version']).then((s) => s.split('\n')[0] ?? ''),
  ]);
  const id = `${gcc} | ${ld}`;
  if (memoFile !== undefined && memoKey !== undefined) {
    const kept = Object.entries(memo)
      .filter(([k]) => k !== memoKey)
      .slice(-(MEMO_ENTRIES - 1));
    try {
      writeFileAtomic(memoFile, `${JSON.stringify(Object.fromEntries([...kept, [memoKey, id]]), null, 2)}\n`);
    } catch {
      // A read-only cache only costs the two processes next time.
    }
  }
  return id;
}

/** ccache when installed (on PATH); the build works without it, only slower. */
export function hasCcache(): boolean {
  return whichOnPath('ccache') !== undefined;
}
