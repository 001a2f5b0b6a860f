/**
 * How a guest program is compiled and what its cache key covers. Pure: programs.ts runs
 * the compiler and reads the files.
 *
 *   probe      gcc -static -O2 -Wall -Werror -I guests/probes -I <ksrc> <source> -o <out> -lpthread
 *              (in guests/probes)
 *   kselftest  gcc -static -O2 -I <ksrc> <source> -o <out> -lpthread -lrt
 *              (in <ksrc>/tools/testing/selftests/<dir>, so that messages say "hmm-tests.c:1812")
 *
 * The key is the sha256 of the compiler, the flags, and the name and bytes of every file
 * the compiler reads apart from system headers (from `gcc -MM`): editing a probe, a shared
 * header or the kernel's uapi header gives a new build; moving the cache does not.
 */
import { posix } from 'node:path';
import { sha256 } from '../util/hash.ts';
import type { ProgramDecl } from './types.ts';

/** Bumped when the way programs are built changes in a way the inputs do not show. */
export const PROGRAM_FORMAT = 'zdh-program-1';

export const SELFTESTS_DIR = 'tools/testing/selftests';

export interface CompilePlan {
  /** Folder gcc runs in. */
  cwd: string;
  /** The source, relative to cwd. */
  source: string;
  /** gcc arguments without -o and the output (added by the edge). */
  args: string[];
  /** Arguments whose text goes into the key (paths replaced by symbolic names). */
  keyArgs: string[];
}

export function defaultLibs(p: ProgramDecl): string[] {
  return p.libs ?? (p.from === 'kselftest' ? ['-lpthread', '-lrt'] : ['-lpthread']);
}

export function sourceName(p: ProgramDecl): string {
  return p.source ?? `${p.name}.c`;
}

/** Candidate folders of a kselftest source, in order: <ksrc>/tools/testing/selftests/<dir>. */
export function kselftestCandidates(p: ProgramDecl, ksrc: string): string[] {
  return (p.dirs ?? []).map((d) => posix.join(ksrc, SELFTESTS_DIR, d));
}

export function compilePlan(
  p: ProgramDecl,
  where: { probesDir: string; ksrc: string; kselftestDir?: string },
): CompilePlan {
  const source = sourceName(p);
  const libs = defaultLibs(p);
  if (p.from === 'probe') {
    return {
      cwd: where.probesDir,
      source,
      args: ['-static', '-O2', '-Wall', '-Werror', '-I', where.probesDir, '-I', where.ksrc, source, ...libs],
      keyArgs: ['-static', '-O2', '-Wall', '-Werror', '-I', '<probes>', '-I', '<ksrc>', source, ...libs],
    };
  }
  if (where.kselftestDir === undefined) throw new Error(`kselftest ${p.name}: no folder found`);
  return {
    cwd: where.kselftestDir,
    source,
    args: ['-static', '-O2', '-I', where.ksrc, source, ...libs],
    keyArgs: ['-static', '-O2', '-I', '<ksrc>', source, ...libs],
  };
}

/** The files of a `gcc -MM` rule ("x.o: a.c b.h \\\n c.h"), in order, without the target. */
export function parseMakeRule(text: string): string[] {
  const joined = text.replace(/\\\n/g, ' ');
  const colon = joined.indexOf(':');
  if (colon < 0) return [];
  return joined
    .slice(colon + 1)
    .split(/\s+/)
    .filter((s) => s !== '');
}

/** A dependency's name for the key: relative to the probes folder, ksrc or cwd, never absolute. */
export function keyName(file: string, roots: { cwd: string; ksrc: string; probesDir: string }): string {
  const abs = posix.isAbsolute(file) ? file : posix.join(roots.cwd, file);
  const norm = posix.normalize(abs);
  for (const [label, root] of [
    ['<ksrc>', roots.ksrc],
    ['<probes>', roots.probesDir],
  ] as const) {
    const r = posix.normalize(root);
    if (norm === r || norm.startsWith(`${r}/`)) return `${label}/${posix.relative(r, norm)}`;
  }
  return `<cwd>/${posix.relative(roots.cwd, norm)}`;
}

export function programKey(
  p: ProgramDecl,
  compiler: string,
  plan: CompilePlan,
  deps: readonly { name: string; bytes: Uint8Array }[],
): string {
  const parts: (string | Uint8Array)[] = [PROGRAM_FORMAT, p.from, p.name, compiler, plan.keyArgs.join(' ')];
  for (const d of [...deps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    parts.push(d.name, d.bytes);
  }
  return sha256(...parts);
}
