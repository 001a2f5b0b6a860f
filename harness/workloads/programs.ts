/**
 * Builds the guest programs of the selected workloads on the host, statically, and caches
 * them by content: <cache>/probes/<key>/<name> (kselftests too), with program.json (the case
 * list). The edge of the program stage: runs gcc and reads files; the decisions are in
 * program-build.ts, the case lists come from the program's --list or its source.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { infraError } from '../errors.ts';
import { runCapture, runLogged } from '../process/run.ts';
import { cacheRoot, projectRoot } from '../util/paths.ts';
import { harnessCaseNames } from './kselftest-names.ts';
import {
  type CompilePlan,
  compileFailureSummary,
  compilePlan,
  dependencyIncludes,
  type KselftestWhere,
  keyName,
  kselftestCandidates,
  kselftestExtraSources,
  parseMakeRule,
  planSources,
  programKey,
  SELFTESTS_DIR,
  sourceName,
  TOOLS_UAPI_DIR,
} from './program-build.ts';
import { type BuiltProgram, GUEST_BIN, type ProgramDecl } from './types.ts';

export const PROBES_DIR = join(projectRoot, 'guests', 'probes');

export interface BuildProgramsOptions {
  cache?: string;
  /** The C compiler (default gcc). */
  cc?: string;
  onProgress?: (message: string) => void;
}

interface ProgramJson {
  name: string;
  key: string;
  cases: string[] | null;
  compiler: string;
  args: string[];
}

let compilerIdCache: Promise<string> | undefined;
function compilerId(cc: string): Promise<string> {
  compilerIdCache ??= runCapture(cc, ['--version']).then((s) => s.split('\n')[0] ?? cc);
  return compilerIdCache;
}

function findKselftestDir(p: ProgramDecl, ksrc: string): string {
  const candidates = kselftestCandidates(p, ksrc);
  const dir = candidates.find((d) => existsSync(join(d, sourceName(p))));
  if (!dir) {
    throw infraError(`the kernel tree under test has no ${sourceName(p)} for kselftest ${p.name}`, {
      details: candidates.map((c) => `looked in ${c}`),
      hint: "the build record's ksrc holds tools/testing/selftests of the tree under test; rebuild it or fix the dirs of the program",
    });
  }
  return dir;
}

/**
 * What the edge knows of a kselftest's folder: the extra sources its Makefile links in (those
 * present in the folder) and whether ksrc has lib.mk's TOOLS_INCLUDES folder.
 */
function kselftestWhere(p: ProgramDecl, ksrc: string): KselftestWhere & { missingExtra: string[] } {
  const dir = findKselftestDir(p, ksrc);
  const makefile = join(dir, 'Makefile');
  const named = existsSync(makefile) ? kselftestExtraSources(readFileSync(makefile, 'utf8'), p.name) : [];
  return {
    kselftestDir: dir,
    extraSources: named.filter((f) => existsSync(join(dir, f))),
    missingExtra: named.filter((f) => !existsSync(join(dir, f))),
    toolsUapi: existsSync(join(ksrc, TOOLS_UAPI_DIR)),
  };
}

/** The sources and non-system headers a compile reads (`gcc -MM` over every source, -isystem as -I). */
async function dependencies(cc: string, plan: CompilePlan): Promise<string[]> {
  return parseMakeRule(
    await runCapture(cc, ['-MM', ...dependencyIncludes(plan.args), ...planSources(plan)], { cwd: plan.cwd }),
  );
}

/** Builds (or finds in the cache) one program. */
export async function buildProgram(
  p: ProgramDecl,
  ksrc: string,
  opts: BuildProgramsOptions = {},
): Promise<BuiltProgram> {
  const cc = opts.cc ?? 'gcc';
  const cache = opts.cache ?? cacheRoot();
  const ks = p.from === 'kselftest' ? kselftestWhere(p, ksrc) : undefined;
  const plan = compilePlan(p, { probesDir: PROBES_DIR, ksrc, ...ks });
  if (!existsSync(join(plan.cwd, plan.source))) {
    throw infraError(`no source ${posix.join(plan.cwd, plan.source)} for program ${p.name}`);
  }
  try {
    return await buildWithPlan(p, plan, ks, ksrc, cc, cache, opts);
  } catch (e) {
    // A ksrc copied before zdh copied tools/include cannot compile the extra sources of
    // 6.12's Makefile (vm_util.c wants the tree's <linux/fs.h>), though hmm-tests itself
    // builds alone as it did then: build it alone, and say how to get the Makefile's way.
    if (!ks || ks.toolsUapi || plan.extraSources.length === 0) throw e;
    const alone = compilePlan(p, { probesDir: PROBES_DIR, ksrc, ...ks, extraSources: [] });
    const built = await buildWithPlan(p, alone, ks, ksrc, cc, cache, opts).catch(() => {
      throw e;
    });
    opts.onProgress?.(
      `kselftest ${p.name} built without ${plan.extraSources.join(', ')}: this build's ksrc has no ${TOOLS_UAPI_DIR} (made before zdh copied tools/include); \`zdh build --force\` rebuilds it so that ${p.name} is built as its Makefile does`,
    );
    return built;
  }
}

async function buildWithPlan(
  p: ProgramDecl,
  plan: CompilePlan,
  ks: (KselftestWhere & { missingExtra: string[] }) | undefined,
  ksrc: string,
  cc: string,
  cache: string,
  opts: BuildProgramsOptions,
): Promise<BuiltProgram> {
  const compiler = await compilerId(cc);
  const deps = await dependencies(cc, plan).catch((e: Error) => {
    throw buildFailure(p, cc, plan, ks, ksrc, e.message.split('\n'), 'cannot list the files it reads');
  });
  const roots = { cwd: plan.cwd, ksrc, probesDir: PROBES_DIR };
  const key = programKey(
    p,
    compiler,
    plan,
    deps.map((d) => ({
      name: keyName(d, roots),
      bytes: readFileSync(posix.isAbsolute(d) ? d : join(plan.cwd, d)),
    })),
  );
  const dir = join(cache, 'probes', key.slice(0, 32));
  const bin = join(dir, p.name);
  const meta = join(dir, 'program.json');
  if (existsSync(meta) && existsSync(bin)) {
    const j = JSON.parse(readFileSync(meta, 'utf8')) as ProgramJson;
    return {
      name: p.name,
      hostPath: bin,
      guestPath: `${GUEST_BIN}/${p.name}`,
      cases: j.cases ?? undefined,
      key,
      cached: true,
    };
  }

  opts.onProgress?.(`building ${p.from} ${p.name} (${plan.source})`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const res = await runLogged(cc, [...plan.args, '-o', join(tmp, p.name)], { cwd: plan.cwd, keepLines: 40 });
  if (res.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw buildFailure(p, cc, plan, ks, ksrc, res.tail, `${cc} exited with ${res.exitCode ?? res.signal}`);
  }
  let cases: string[] | undefined;
  const mode = p.cases ?? (p.from === 'probe' ? 'list' : 'harness');
  if (mode === 'list') {
    const listed = await runCapture(join(tmp, p.name), ['--list'], { timeoutMs: 10_000 });
    cases = listed
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  } else if (mode === 'harness') {
    cases = harnessCaseNames(readFileSync(join(plan.cwd, plan.source), 'utf8'));
    if (cases.length === 0) cases = undefined;
  }
  const json: ProgramJson = { name: p.name, key, cases: cases ?? null, compiler, args: plan.keyArgs };
  writeFileSync(join(tmp, 'program.json'), `${JSON.stringify(json, null, 2)}\n`);
  try {
    renameSync(tmp, dir);
  } catch {
    // Another process published the same key first; its result is the same.
    rmSync(tmp, { recursive: true, force: true });
  }
  return { name: p.name, hostPath: bin, guestPath: `${GUEST_BIN}/${p.name}`, cases, key, cached: false };
}

/** A compile that failed, with what it lacks and, for a kselftest, what it was given. */
function buildFailure(
  p: ProgramDecl,
  cc: string,
  plan: CompilePlan,
  ks: (KselftestWhere & { missingExtra: string[] }) | undefined,
  ksrc: string,
  output: readonly string[],
  what: string,
): Error {
  const lacks = compileFailureSummary(output);
  const details = [
    `in ${plan.cwd}: ${cc} ${plan.args.join(' ')}`,
    ...output.filter((l) => l.trim() !== '').slice(-20),
  ];
  const hints: string[] = [];
  if (ks) {
    const extra = ks.extraSources ?? [];
    details.push(
      extra.length > 0
        ? `linked with ${extra.join(', ')} (named for ${p.name} by the rules of ${posix.join(plan.cwd, 'Makefile')})`
        : `no extra sources: the rules of ${posix.join(plan.cwd, 'Makefile')} name none for ${p.name}`,
    );
    if (ks.missingExtra.length > 0) {
      details.push(`the Makefile names ${ks.missingExtra.join(', ')}, not in ${plan.cwd}`);
    }
    if (!ks.toolsUapi) {
      hints.push(
        `this build's ksrc has no ${TOOLS_UAPI_DIR} (${posix.join(ksrc, TOOLS_UAPI_DIR)}): it was made by a zdh that did not copy tools/include, and the tree's own uapi headers there (e.g. <linux/fs.h>) are what newer selftests need; \`zdh build --force\` rebuilds it with them`,
      );
    }
    hints.push(
      `the kselftest does not build against this kernel tree as its ${SELFTESTS_DIR} Makefile would; check the tree or the program declaration`,
    );
  } else {
    hints.push('fix the probe (it is built with -Wall -Werror against the kernel tree under test)');
  }
  return infraError(
    `cannot build ${p.from} ${p.name}: ${what}${lacks.length > 0 ? ` (${lacks.join(', ')})` : ''}`,
    { details, hint: hints.join('; ') },
  );
}

/** Builds every program of the given declarations once (programs are shared by name). */
export async function buildPrograms(
  programs: readonly ProgramDecl[],
  ksrc: string,
  opts: BuildProgramsOptions = {},
): Promise<Map<string, BuiltProgram>> {
  const out = new Map<string, BuiltProgram>();
  for (const p of programs) {
    if (out.has(p.name)) continue;
    out.set(p.name, await buildProgram(p, ksrc, opts));
  }
  return out;
}

/** Guest helper scripts: guests/probes/*.sh as /usr/lib/zdh/bin/<name without .sh>. */
export function helperScripts(
  dir: string = PROBES_DIR,
): { guestPath: string; hostPath: string; mode: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sh'))
    .sort()
    .map((f) => ({ guestPath: `${GUEST_BIN}/${f.slice(0, -3)}`, hostPath: join(dir, f), mode: 0o755 }));
}
