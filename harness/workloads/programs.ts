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
  compilePlan,
  keyName,
  kselftestCandidates,
  parseMakeRule,
  programKey,
  sourceName,
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

/** The sources and non-system headers a compile reads (`gcc -MM` with the same -I folders). */
async function dependencies(
  cc: string,
  cwd: string,
  args: readonly string[],
  source: string,
): Promise<string[]> {
  const incl: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-I' && args[i + 1] !== undefined) incl.push('-I', args[i + 1]!);
  }
  return parseMakeRule(await runCapture(cc, ['-MM', ...incl, source], { cwd }));
}

/** Builds (or finds in the cache) one program. */
export async function buildProgram(
  p: ProgramDecl,
  ksrc: string,
  opts: BuildProgramsOptions = {},
): Promise<BuiltProgram> {
  const cc = opts.cc ?? 'gcc';
  const cache = opts.cache ?? cacheRoot();
  const kselftestDir = p.from === 'kselftest' ? findKselftestDir(p, ksrc) : undefined;
  const plan = compilePlan(p, { probesDir: PROBES_DIR, ksrc, ...(kselftestDir ? { kselftestDir } : {}) });
  if (!existsSync(join(plan.cwd, plan.source))) {
    throw infraError(`no source ${posix.join(plan.cwd, plan.source)} for program ${p.name}`);
  }
  const compiler = await compilerId(cc);
  const deps = await dependencies(cc, plan.cwd, plan.args, plan.source);
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
    throw infraError(`cannot build ${p.from} ${p.name}: ${cc} exited with ${res.exitCode ?? res.signal}`, {
      details: [
        `in ${plan.cwd}: ${cc} ${plan.args.join(' ')}`,
        ...res.tail.filter((l) => l.trim() !== '').slice(-20),
      ],
      hint:
        p.from === 'probe'
          ? 'fix the probe (it is built with -Wall -Werror against the kernel tree under test)'
          : 'the kselftest does not build against this kernel tree; check the tree or the program declaration',
    });
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
