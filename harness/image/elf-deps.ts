/**
 * Shared-library closure of dynamically linked programs, resolved the way lddtree
 * (pax-utils) and ld.so do it, without running the programs:
 *   - the program's PT_INTERP (the dynamic loader) is part of the closure;
 *   - a DT_NEEDED name containing '/' is a path;
 *   - otherwise search DT_RPATH (only when there is no DT_RUNPATH), then DT_RUNPATH,
 *     then the ld.so.conf directories, then the built-in ones; $ORIGIN expands to the
 *     folder of the object that asks;
 *   - a candidate counts only if it is an ELF of the same class and machine as the
 *     program (so /lib/i386-linux-gnu copies are skipped).
 * File access is injected (`inspect`), so the logic is tested over data.
 */
import { dirname, posix } from 'node:path';
import type { ElfInfo } from './readelf.ts';

export interface ElfDepsOptions {
  /** ld.so.conf directories followed by the built-in ones. */
  libDirs: readonly string[];
  /** ELF facts of each path; null when the path is missing or not ELF. One call per batch. */
  inspect(paths: readonly string[]): Promise<Map<string, ElfInfo | null>>;
}

export interface ElfClosure {
  /** Every program and library path in the closure, programs first, then in discovery order. */
  files: string[];
  /** The dynamic loaders named by PT_INTERP (absolute paths, as the guest needs them). */
  interpreters: string[];
  /** Library directories where something was found. */
  libDirs: string[];
  /** Libraries nobody could find, with the object that needed them. */
  missing: { library: string; neededBy: string }[];
  /** Roots that are not ELF at all (scripts): copied as they are. */
  notElf: string[];
}

interface Pending {
  library: string;
  neededBy: string;
  candidates: string[];
  /** Class and machine of the program that pulled this library in. */
  want: { elfClass: string; machine: string };
}

function expandOrigin(dir: string, objectPath: string): string {
  return dir.replace(/\$(ORIGIN|\{ORIGIN\})/g, dirname(objectPath));
}

export function searchCandidates(
  library: string,
  neededBy: string,
  info: ElfInfo,
  libDirs: readonly string[],
): string[] {
  if (library.includes('/')) return [library];
  const dirs = [...(info.runpath.length === 0 ? info.rpath : []), ...info.runpath].map((d) =>
    expandOrigin(d, neededBy),
  );
  const all = [...dirs, ...libDirs];
  return [...new Set(all.map((d) => posix.normalize(posix.join(d, library))))];
}

export async function resolveElfClosure(roots: readonly string[], opts: ElfDepsOptions): Promise<ElfClosure> {
  const files: string[] = [];
  const interpreters: string[] = [];
  const foundDirs: string[] = [];
  const missing: ElfClosure['missing'] = [];
  const notElf: string[] = [];
  const known = new Map<string, ElfInfo | null>();
  const inClosure = new Set<string>();
  const libByName = new Map<string, string>();

  const inspectAll = async (paths: readonly string[]): Promise<void> => {
    const todo = [...new Set(paths)].filter((p) => !known.has(p));
    if (todo.length === 0) return;
    const got = await opts.inspect(todo);
    for (const p of todo) known.set(p, got.get(p) ?? null);
  };

  await inspectAll(roots);
  let pending: Pending[] = [];
  const enqueue = (path: string, info: ElfInfo, want: Pending['want']): void => {
    for (const lib of info.needed) {
      pending.push({
        library: lib,
        neededBy: path,
        candidates: searchCandidates(lib, path, info, opts.libDirs),
        want,
      });
    }
  };
  for (const root of roots) {
    const info = known.get(root);
    if (inClosure.has(root)) continue;
    inClosure.add(root);
    files.push(root);
    if (!info) {
      notElf.push(root);
      continue;
    }
    const want = { elfClass: info.elfClass, machine: info.machine };
    if (info.interp !== undefined) {
      if (!interpreters.includes(info.interp)) interpreters.push(info.interp);
      pending.push({ library: info.interp, neededBy: root, candidates: [info.interp], want });
    }
    enqueue(root, info, want);
  }

  while (pending.length > 0) {
    await inspectAll(pending.flatMap((p) => p.candidates));
    const next: Pending[] = [];
    const saved = pending;
    pending = next;
    for (const p of saved) {
      const cacheKey = `${p.want.elfClass}/${p.want.machine}/${p.library}/${p.candidates.join(':')}`;
      let found = libByName.get(cacheKey);
      if (found === undefined) {
        found = p.candidates.find((c) => {
          const info = known.get(c);
          return info != null && info.elfClass === p.want.elfClass && info.machine === p.want.machine;
        });
        if (found !== undefined) libByName.set(cacheKey, found);
      }
      if (found === undefined) {
        missing.push({ library: p.library, neededBy: p.neededBy });
        continue;
      }
      if (inClosure.has(found)) continue;
      inClosure.add(found);
      files.push(found);
      const dir = dirname(found);
      if (!foundDirs.includes(dir)) foundDirs.push(dir);
      enqueue(found, known.get(found)!, p.want);
    }
  }
  return { files, interpreters, libDirs: foundDirs, missing, notElf };
}
