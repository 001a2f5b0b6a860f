/**
 * How a guest program is compiled and what its cache key covers. Pure: programs.ts runs
 * the compiler and reads the files.
 *
 *   probe      gcc -static -O2 -Wall -Werror -I guests/probes -I <ksrc> <source> -o <out> -lpthread
 *              (in guests/probes)
 *   kselftest  gcc -static -O2 -I <ksrc> -I <ksrc>/tools/testing/selftests -I <dir>
 *                  [-isystem <ksrc>/tools/include/uapi] <source> [<extra .c>...] -o <out> -lpthread -lrt
 *              (in <dir> = <ksrc>/tools/testing/selftests/<vm|mm>, so that messages say
 *              "hmm-tests.c:1812")
 *
 * A kselftest is compiled the way its selftests Makefile does: the include folders of the
 * Makefile's CFLAGS and lib.mk (-I $(top_srcdir); the selftests folder, for mainline's
 * "kselftest_harness.h" and <mm/vm_util.h>; the test's own folder; lib.mk's TOOLS_INCLUDES,
 * -isystem tools/include/uapi, when the build record's ksrc has it: mainline's vm_util.c
 * needs that tree's <linux/fs.h> (PAGEMAP_SCAN, PROCMAP_QUERY), not the host's), and linked
 * with the extra C sources the Makefile's rules give the program (kselftestExtraSources):
 * none for hmm-tests on 6.1 and 6.12, vm_util.c and hugepage_settings.c on mainline
 * (`$(TEST_GEN_FILES): vm_util.c hugepage_settings.c`). KHDR_INCLUDES (usr/include from
 * `make headers_install`) is not there; the host's uapi headers stand in for it, as before.
 *
 * The key is the sha256 of the compiler, the flags, and the name and bytes of every file
 * the compiler reads apart from system headers (from `gcc -MM` over every source, the
 * -isystem folders given as -I so that their headers are listed too): editing a probe, a
 * shared header, an extra source or the kernel's uapi header gives a new build; moving the
 * cache does not. */
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
  /** Other C sources compiled and linked with it (a kselftest's Makefile rules), relative to cwd. */
  extraSources: string[];
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

/** Where a kselftest is compiled, as the edge found it. */
export interface KselftestWhere {
  /** <ksrc>/tools/testing/selftests/<dir>: the folder holding the source. */
  kselftestDir?: string;
  /** Extra C sources in that folder the Makefile links in (kselftestExtraSources, existing ones). */
  extraSources?: readonly string[];
  /** Whether <ksrc>/tools/include/uapi exists (build records made before zdh copied it lack it). */
  toolsUapi?: boolean;
}

/** <ksrc>/tools/include/uapi: lib.mk's TOOLS_INCLUDES. */
export const TOOLS_UAPI_DIR = 'tools/include/uapi';

export function compilePlan(
  p: ProgramDecl,
  where: { probesDir: string; ksrc: string } & KselftestWhere,
): CompilePlan {
  const source = sourceName(p);
  const libs = defaultLibs(p);
  if (p.from === 'probe') {
    return {
      cwd: where.probesDir,
      source,
      extraSources: [],
      args: ['-static', '-O2', '-Wall', '-Werror', '-I', where.probesDir, '-I', where.ksrc, source, ...libs],
      keyArgs: ['-static', '-O2', '-Wall', '-Werror', '-I', '<probes>', '-I', '<ksrc>', source, ...libs],
    };
  }
  if (where.kselftestDir === undefined) throw new Error(`kselftest ${p.name}: no folder found`);
  const dir = where.kselftestDir;
  const symbolic = (abs: string): string => {
    const r = posix.relative(where.ksrc, abs);
    return r === '' ? '<ksrc>' : r.startsWith('..') ? abs : `<ksrc>/${r}`;
  };
  const incl = [where.ksrc, posix.join(where.ksrc, SELFTESTS_DIR), dir];
  const sys = where.toolsUapi ? [posix.join(where.ksrc, TOOLS_UAPI_DIR)] : [];
  const extra = (where.extraSources ?? []).filter((f) => f !== source);
  const build = (name: (d: string) => string): string[] => [
    '-static',
    '-O2',
    ...incl.flatMap((d) => ['-I', name(d)]),
    ...sys.flatMap((d) => ['-isystem', name(d)]),
    source,
    ...extra,
    ...libs,
  ];
  return { cwd: dir, source, extraSources: extra, args: build((d) => d), keyArgs: build(symbolic) };
}

/** The sources of a plan (the source, then the extra ones), relative to its cwd. */
export function planSources(plan: CompilePlan): string[] {
  return [plan.source, ...plan.extraSources];
}

/**
 * The include options for `gcc -MM`: -isystem folders given as -I (after the -I ones, so the
 * search order is unchanged), because -MM leaves out every header found in a system folder.
 */
export function dependencyIncludes(args: readonly string[]): string[] {
  const incl: string[] = [];
  const sys: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (next === undefined) continue;
    if (args[i] === '-I') incl.push('-I', next);
    else if (args[i] === '-isystem') sys.push('-I', next);
  }
  return [...incl, ...sys];
}

/** One logical line per Makefile line: continuations joined, recipes and comments dropped. */
function makefileLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('\t'))
    .map((l) => l.replace(/(^|[^\\])#.*$/, '$1').trim())
    .filter((l) => l !== '');
}

const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)\s*(\+=|:=|\?=|=)\s*(.*)$/;

/**
 * The extra C sources a selftests Makefile links into one program, in order, without
 * repeats: the .c prerequisites of the rules whose targets name the program
 * (`$(OUTPUT)/madv_populate: vm_util.c`) or a list it is in (`$(TEST_GEN_FILES): vm_util.c
 * hugepage_settings.c` with a `TEST_GEN_FILES += hmm-tests` line). Lists are read from every
 * `VAR = / := / += words` line, whatever conditional it stands in (the programs zdh builds
 * are in the unconditional part). Target-specific variables (`x: LDLIBS += -lnuma`), static
 * pattern rules (`$(B): $(OUTPUT)/%_32: %.c`) and recipes are not such rules.
 */
export function kselftestExtraSources(makefile: string, program: string): string[] {
  const lines = makefileLines(makefile);
  const lists = new Map<string, Set<string>>();
  for (const l of lines) {
    const m = ASSIGN.exec(l);
    if (!m) continue;
    const name = m[1]!;
    const op = m[2]!;
    const words = m[3]!.split(/\s+/).filter((w) => w !== '');
    if (op === '?=' && lists.has(name)) continue;
    const set = op === '+=' ? (lists.get(name) ?? new Set<string>()) : new Set<string>();
    for (const w of words) set.add(w);
    lists.set(name, set);
  }
  const namesProgram = (target: string): boolean => {
    if (target === program || target === `$(OUTPUT)/${program}`) return true;
    const v = /^\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]$/.exec(target);
    return v !== null && (lists.get(v[1]!)?.has(program) ?? false);
  };
  const out: string[] = [];
  for (const l of lines) {
    if (ASSIGN.test(l)) continue;
    const m = /^([^:=]+?)\s*:(?![:=])\s*(.*)$/.exec(l);
    if (!m) continue;
    const prereqs = m[2]!;
    if (/^[A-Za-z_][A-Za-z0-9_]*\s*(\+=|:=|\?=|=)/.test(prereqs) || prereqs.includes(':')) continue;
    if (!m[1]!.split(/\s+/).some(namesProgram)) continue;
    for (const w of prereqs.split(/\s+/)) {
      if (/^[^$%()]+\.c$/.test(w) && !out.includes(w)) out.push(w);
    }
  }
  return out;
}

/** The files of `gcc -MM` rules ("x.o: a.c b.h \\\n c.h", one per source), in order, each once, without targets. */
export function parseMakeRule(text: string): string[] {
  const out: string[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    for (const f of line.slice(colon + 1).split(/\s+/)) {
      if (f !== '' && !out.includes(f)) out.push(f);
    }
  }
  return out;
}

/** What a failed compile lacks, from the compiler's output: headers not found and symbols not resolved, each once. */
export function compileFailureSummary(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const h = /fatal error: ([^:]+): No such file or directory/.exec(l);
    const u = /undefined reference to [`'"]([^`'"]+)['`"]/.exec(l);
    const s = h ? `missing header ${h[1]}` : u ? `undefined symbol ${u[1]}` : undefined;
    if (s !== undefined && !out.includes(s)) out.push(s);
  }
  return out;
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
