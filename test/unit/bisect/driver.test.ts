import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BisectDeps,
  readState,
  resetBisect,
  resumeBisect,
  startBisect,
  stateDirFor,
} from '../../../harness/bisect/driver.ts';
import { bisectExitCode } from '../../../harness/bisect/exit.ts';
import type { Selection } from '../../../harness/bisect/model.ts';
import type { BuildOptions } from '../../../harness/build/build-kernel.ts';
import { defaultKernelSpec, type KernelSpec } from '../../../harness/build/kernel-spec.ts';
import type { BuildRecord } from '../../../harness/build/types.ts';
import type { CellResult } from '../../../harness/model/result.ts';
import type { ExecuteCellArgs } from '../../../harness/run/execute-cell.ts';
import { lockRunFolder } from '../../../harness/run/run-folder.ts';
import { gitIn } from '../../helpers/git.ts';
import { silentProgress } from '../../helpers/progress.ts';
import { selection } from '../../helpers/selection.ts';
import { recordFor } from '../build/fake-build.ts';
import { clean, interruptedCell, withFinding } from './helpers.ts';

// The driver against real git (a toy repository of 13 commits), with the real step
// (bisect/step.ts) and the real orchestrator: only the lowest layer is replaced, the
// kernel build and the boot of each cell. Commit c6 does not build; c8 and later show
// the finding, in the second run of each step when --repeat asks for more than one.
const T = 'VM_WARN_ON_ONCE_PAGE in dmirror_devmem_alloc_page';
let root: string;
let repo: string;
let ids: string[];

const lowest = vi.hoisted(() => ({
  build: undefined as undefined | ((spec: KernelSpec, opts: BuildOptions) => Promise<BuildRecord>),
  execute: undefined as undefined | ((a: ExecuteCellArgs) => Promise<CellResult>),
  /** What process/interrupt.ts says: true once the fake boot of `interruptStep` has been "Ctrl-C'd". */
  interrupted: false,
}));
vi.mock('../../../harness/build/build-kernel.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../harness/build/build-kernel.ts')>()),
  buildKernel: (spec: KernelSpec, opts: BuildOptions) => lowest.build!(spec, opts),
}));
vi.mock('../../../harness/run/execute-cell.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../harness/run/execute-cell.ts')>()),
  executeCell: (a: ExecuteCellArgs) => lowest.execute!(a),
}));
vi.mock('../../../harness/process/interrupt.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../harness/process/interrupt.ts')>()),
  interrupted: () => lowest.interrupted,
}));

function git(args: string[], cwd = repo): string {
  return gitIn(cwd, args);
}

const sel = (over: Partial<Selection> = {}): Selection =>
  selection({ suite: 'toy', workloads: ['hmm-tests'], ...over });

interface World {
  /** Each build asked for (the step's own and the run's), as cN. */
  builds: string[];
  /** Each cell booted, as cN#repeat. */
  boots: string[];
  /** The step interrupted by a Ctrl-C (its folder's index), while it builds or while it boots. */
  interruptStep?: number;
  interruptIn?: 'build' | 'boot';
  /** The run of a step (1..repeat) in which c8 and later show the finding; default 1. */
  findingRun?: number;
}

/** A toy commit's number, from its subject (cN). */
function commitNumber(spec: KernelSpec): number {
  if (spec.source.kind !== 'git') throw new Error(`unexpected source ${spec.source.kind}`);
  return Number(git(['log', '-1', '--format=%s', spec.source.ref], spec.source.repo).slice(1));
}

/** The index of the step a path is in (steps/04-<commit>/...). */
const stepOf = (path: string | undefined): number | undefined => {
  const m = /steps\/(\d+)-/.exec(path ?? '');
  return m ? Number(m[1]) : undefined;
};

/** The build cache across the bisects of one test: a second build of a commit is a hit. */
let built: Set<string>;

/** The toy commits' builds and boots: what build-kernel and execute-cell would give. */
function lowestLayer(world: World): void {
  lowest.build = async (spec, opts) => {
    const n = commitNumber(spec);
    world.builds.push(`c${n}`);
    if (world.interruptIn === 'build' && stepOf(opts.logFile) === world.interruptStep) {
      world.interruptStep = undefined;
      lowest.interrupted = true;
      throw new Error('make: *** [Makefile:1234: vmlinux] Interrupt');
    }
    if (n === 6) throw new Error('kernel build failed (make exit 2)');
    const key = `k${n}`;
    const record = { ...recordFor(join(root, 'builds', key), key), cached: built.has(key) };
    built.add(key);
    return record;
  };
  lowest.execute = async (a) => {
    const n = commitNumber(a.cell.kernel.spec);
    const r = a.cell.repeat;
    world.boots.push(`c${n}#${r}`);
    if (world.interruptIn === 'boot' && stepOf(a.runDir) === world.interruptStep) {
      world.interruptStep = undefined;
      lowest.interrupted = true;
      return { ...interruptedCell(r), id: a.cell.id };
    }
    const c = n >= 8 && r === (world.findingRun ?? 1) ? withFinding(T, r) : clean(r);
    return { ...c, id: a.cell.id, artifacts: { ...c.artifacts, console: null, buildLog: null } };
  };
}

function deps(world: World): BisectDeps {
  lowestLayer(world);
  return {
    planCell: async () => ({ workloads: [], files: [], cmdlineExtra: [] }),
    expectations: { judge: ({ cases }) => cases, files: () => [] },
    progress: silentProgress,
    toolVersion: 'test',
    qemuVersion: null,
    cache: join(root, 'cache'),
    planFor: (s) => ({
      spec: defaultKernelSpec(),
      machines: ['default'],
      workloads: [{ name: 'hmm-tests' }],
      repeat: s.repeat,
      suiteName: 'toy',
    }),
  };
}

const userState = (): string[] => [
  git(['rev-parse', 'HEAD']),
  readFileSync(join(repo, '.git', 'index')).toString('base64'),
  git(['for-each-ref']),
  git(['status', '--porcelain']),
];

beforeEach(() => {
  built = new Set();
  root = mkdtempSync(join(tmpdir(), 'zdh-bisect-driver-'));
  repo = join(root, 'linux');
  git(['init', '-q', '-b', 'main', repo], root);
  ids = [];
  for (let i = 0; i <= 13; i++) {
    writeFileSync(join(repo, 'f'), `${i}\n`);
    git(['add', 'f']);
    git(['commit', '-q', '-m', `c${i}`]);
    ids.push(git(['rev-parse', 'HEAD']));
  }
}, 60_000);

afterEach(() => {
  lowest.interrupted = false;
  rmSync(root, { recursive: true, force: true });
});

const world = (over: Partial<World> = {}): World => ({ builds: [], boots: [], ...over });
const start = (w: World, over: Partial<Selection> = {}, good = ids[0]!, bad = 'main') =>
  startBisect(
    { repo, good, bad, selection: sel(over), runDir: join(root, 'run'), command: ['bisect'] },
    deps(w),
  );

// Real git on a toy repository: slower than pure tests, and slower still on a busy host.
describe('the bisect driver', { timeout: 60_000 }, () => {
  it('confirms both ends, infers the signature, skips the unbuildable commit and names the first bad one', async () => {
    // A bisect of the user's own is in progress in their checkout.
    git(['bisect', 'start', 'main', ids[0]!]);
    const before = userState();
    const w = world();
    const r = await start(w);
    expect(userState()).toEqual(before);
    git(['bisect', 'reset']);

    expect(r.outcome).toMatchObject({ kind: 'found', commit: ids[8], subject: 'c8' });
    expect(r.outcome?.kind === 'found' && r.outcome.evidence?.title).toBe(T);
    expect(bisectExitCode(r.outcome)).toBe(0);
    expect(r.steps.slice(0, 3).map((s) => s.subject)).toEqual(['c13', 'c0', 'c6']);
    expect(r.signature).toEqual({ matchers: [{ kind: 'title', text: T }], origin: 'inferred' });
    expect(r.steps.find((s) => s.commit === ids[6])).toMatchObject({
      verdict: 'skip',
      reason: 'build failed: kernel build failed (make exit 2)',
      build: { outcome: 'failed', cacheKey: null },
      ran: 0,
    });
    // A commit that did not build is never booted; every other step booted its commit once.
    expect(w.boots.filter((b) => b.startsWith('c6#'))).toEqual([]);
    expect(w.boots).toEqual(r.steps.filter((s) => s.subject !== 'c6').map((s) => `${s.subject}#1`));
    // Each step's build is its own first build of the commit; its run is in its folder.
    for (const s of r.steps.filter((x) => x.subject !== 'c6')) {
      expect(s.build, s.subject).toMatchObject({ outcome: 'built', cacheKey: `k${s.subject.slice(1)}` });
      expect(existsSync(join(root, 'run', s.dir, 'summary.json')), s.dir).toBe(true);
    }
    expect(r.rangeSize).toBe(13);
    expect(r.steps.length).toBeLessThanOrEqual(2 + 5);
    expect(r.phase).toBe('done');
    for (const f of ['bisect.json', 'bisect.log', 'summary.json'])
      expect(existsSync(join(root, 'run', f)), f).toBe(true);
    expect(readFileSync(join(root, 'run', 'bisect.log'), 'utf8')).toMatch(
      /# first bad commit: \[[0-9a-f]+\] c8/,
    );
    // A finished bisect does not block the next one, which finds the builds in the cache.
    const again = await start(world());
    expect(again.outcome?.kind).toBe('found');
    expect(new Set(again.steps.filter((s) => s.subject !== 'c6').map((s) => s.build.outcome))).toEqual(
      new Set(['cached']),
    );
  });

  it('refuses a run folder that another run holds, before any step and without saving a bisect', async () => {
    const release = await lockRunFolder(join(root, 'run'));
    const w = world();
    await expect(start(w)).rejects.toThrow(/run folder .*run is in use by another run/);
    expect(w.builds).toEqual([]);
    expect(readState(stateDirFor(repo, join(root, 'cache')))).toBeNull();
    await release();
    expect((await start(w)).outcome?.kind).toBe('found');
  });

  it('with --repeat, one matching run of N makes a step bad and the rest are not run', async () => {
    // c8 and later show the finding in the second run of three.
    const w = world({ findingRun: 2 });
    const r = await start(w, { repeat: 3, match: [T] });
    expect(r.outcome).toMatchObject({ kind: 'found', commit: ids[8] });
    const badStep = r.steps.find((s) => s.role === 'bad')!;
    expect(badStep).toMatchObject({ subject: 'c13', verdict: 'bad', matchedIn: 1, ran: 2 });
    expect(w.boots.filter((b) => b.startsWith('c13#'))).toEqual(['c13#1', 'c13#2']);
    // Each run in its own folder.
    const runs = [1, 2, 3].map((n) =>
      existsSync(join(root, 'run', badStep.dir, `repeat-${n}`, 'summary.json')),
    );
    expect(runs).toEqual([true, true, false]);
    expect(r.steps.find((s) => s.role === 'good')).toMatchObject({
      verdict: 'good',
      reason: 'clean in all 3 runs',
      ran: 3,
    });
  });

  it('stops when --good is not good, or --bad does not show --match', async () => {
    const g = await start(world(), {}, ids[9]!);
    expect(g.outcome).toMatchObject({ kind: 'not-confirmed', which: 'good' });
    expect(bisectExitCode(g.outcome)).toBe(2);
    await resetBisect(repo, join(root, 'cache'));
    const b = await start(world(), { match: ['WARNING in something else'] });
    expect(b.outcome).toMatchObject({ kind: 'not-confirmed', which: 'bad' });
    expect(b.outcome?.kind === 'not-confirmed' && b.outcome.reason).toMatch(
      /it could not be tested|does not show the signature/,
    );
  });

  it('refuses swapped ends and unknown refs', async () => {
    await expect(start(world(), {}, 'main', ids[0]!)).rejects.toThrow(/is an ancestor of --good/);
    await expect(start(world(), {}, 'no-such-ref')).rejects.toThrow(/--good no-such-ref is not a commit/);
  });

  it.each(['build', 'boot'] as const)(
    "a bisect interrupted in a step's %s resumes where it stopped; another start is refused until --reset",
    async (phase) => {
      // Ctrl-C while step 4 builds (make fails, which is no verdict) or boots.
      const first = await start(world({ interruptStep: 4, interruptIn: phase }));
      expect(first.outcome).toEqual({ kind: 'interrupted' });
      expect(bisectExitCode(first.outcome)).toBe(130);
      const cut = first.steps.at(-1)!;
      expect(cut).toMatchObject({ index: 4, verdict: 'interrupted', evidence: null });
      const stateDir = stateDirFor(repo, join(root, 'cache'));
      expect(readState(stateDir)?.phase).toBe('bisecting');
      await expect(start(world())).rejects.toThrow(/is in progress.*/);

      lowest.interrupted = false; // a new zdh process
      const rest = world();
      const resumed = await resumeBisect(repo, deps(rest));
      expect(resumed.outcome).toMatchObject({ kind: 'found', commit: ids[8] });
      // The interrupted step ran again; nothing before it did.
      expect(rest.builds[0]).toBe(cut.subject);
      expect(resumed.steps.find((s) => s.index === cut.index + 1)?.commit).toBe(cut.commit);
      expect(resumed.steps.map((s) => s.verdict)).toContain('interrupted');
      expect(resumed.steps.filter((s) => s.verdict !== 'interrupted').map((s) => s.index)).toEqual(
        resumed.steps
          .filter((s) => s.verdict !== 'interrupted')
          .map((s) => s.index)
          .sort((a, b) => a - b),
      );

      const gone = await resetBisect(repo, join(root, 'cache'));
      expect(gone?.outcome?.kind).toBe('found');
      expect(readState(stateDir)).toBeNull();
      await expect(resumeBisect(repo, deps(world()))).rejects.toThrow(/no bisect .* to resume/);
    },
  );
});
