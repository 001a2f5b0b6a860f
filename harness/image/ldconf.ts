/**
 * /etc/ld.so.conf as glibc's ldconfig reads it: one directory per line, `#` comments,
 * `include GLOB` lines (relative globs resolve against the including file's folder),
 * and `hwcap` lines, which are ignored. Pure: the edge supplies file contents and globbing.
 */
import { dirname, isAbsolute, join } from 'node:path';

export interface LdConfReader {
  read(path: string): string | undefined;
  /** Files matching a glob pattern, sorted. */
  glob(pattern: string): string[];
}

export function parseLdConf(path: string, reader: LdConfReader, seen: Set<string> = new Set()): string[] {
  if (seen.has(path)) return [];
  seen.add(path);
  const text = reader.read(path);
  if (text === undefined) return [];
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc) {
      for (const pattern of inc[1]!.split(/\s+/)) {
        const abs = isAbsolute(pattern) ? pattern : join(dirname(path), pattern);
        for (const f of reader.glob(abs)) dirs.push(...parseLdConf(f, reader, seen));
      }
      continue;
    }
    if (/^hwcap\s/.test(line)) continue;
    // ldconfig accepts "dir=type" (libc5 era); keep the directory.
    for (const d of line.split(/[\s:,]+/)) {
      const dir = d.replace(/=.*$/, '');
      if (dir.startsWith('/')) dirs.push(dir);
    }
  }
  return [...new Set(dirs)];
}

/** glibc's built-in search path after ld.so.conf (Debian x86_64 also lists its multiarch dirs). */
export const DEFAULT_LIB_DIRS: readonly string[] = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
];
