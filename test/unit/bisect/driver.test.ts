import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BisectDeps,
  readState,
  resetBisect,
  resumeBisect,
  startBisect,
  stateDirFor,
} from '../../../harness/bisect/driver.ts';
import { bisectExitCode } from '../../../harness/bisect/exit.ts';
import type { Selection, StepRecord } from '../../../harness/bisect/model.ts';
import type { StepRequest } from '../../../harness/bisect/step.ts';
import { defaultKernelSpec } from '../../../harness/build/kernel-spec.ts';
import type { CellResult, RunSummary } from '../../../harness/model/result.ts';
import { silentProgress } from '../../../harness/progress/progress.ts';
import { lockRunFolder } from '../../../harness/run/run-folder.ts';
import { gitIn } from '../../helpers/git.ts';
import { clean, withFinding } from './helpers.ts';

// The driver against real git (a toy repository of 13 commits) with the build and boot
// replaced: commit c6 does not build, c8 and later show the finding.
const T = 'VM_WARN_ON_ONCE_PAGE in dmirror_devmem_alloc_page';
let root: string;
let repo: string;
let ids: string[];

function git(args: string[], cwd = repo): string {
  return gitIn(cwd, args);
}

const sel = (over: Partial<Selection> = {}): Selection => ({
  suite: 'toy',
  workloads: ['hmm-tests'],
  machines: null,
  repeat: 1,
  patches: [],
  config: [],
  base: null,
  defaultFragments: true,
  accel: 'auto',
  ignore: [],
  match: [],
  ...over,
});

interface Fake {
  ran: string[];
  /** Return 'interrupted' for the step with this index, once. */
  interruptAt?: number;
  /** Commits at or after which the good commit already fails a case (baseline). */
  flakyCase?: boolean;
}

function deps(fake: Fake): BisectDeps {
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
    runStep: async (req: StepRequest) => {
      const n = Number(git(['log', '-1', '--format=%s', req.commit], req.repo).slice(1));
      fake.ran.push(`c${n}`);
      const buildError = n === 6 ? 'kernel build failed (make exit 2)' : null;
      const cells: CellResult[] = [];
      if (!buildError) {
        for (let r = 1; r <= req.plan.repeat; r++) {
          const c = n >= 8 && r === req.plan.repeat ? withFinding(T, r) : clean(r);
          cells.push(c);
          if (req.decided(cells)) break;
        }
      }
      let j = req.judge(buildError, cells);
      if (fake.interruptAt === req.index) {
        fake.interruptAt = undefined;
        j = { ...j, verdict: 'interrupted', reason: 'interrupted', evidence: null };
      }
      const record: StepRecord = {
        index: req.index,
        role: req.role,
        commit: req.commit,
        subject: req.subject,
        verdict: j.verdict,
        reason: j.reason,
        build: buildError
          ? { outcome: 'failed', seconds: 1, cacheKey: null, kernelRelease: null, error: buildError }
          : { outcome: 'built', seconds: 1, cacheKey: `k${n}`, kernelRelease: '6.1.0', error: null },
        startedAt: new Date().toISOString(),
        seconds: 1,
        dir: `steps/${req.index}`,
        evidence: j.evidence,
        matchedIn: j.matchedIn,
        ran: j.ran,
        unrelated: j.unrelated,
        tolerated: j.tolerated,
      };
      const summary = { cells } as unknown as RunSummary;
      return { record, runs: [{ dir: record.dir, summary }], build: null, cells };
    },
  };
}

const userState = (): string[] => [
  git(['rev-parse', 'HEAD']),
  readFileSync(join(repo, '.git', 'index')).toString('base64'),
  git(['for-each-ref']),
  git(['status', '--porcelain']),
];

beforeEach(() => {
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
  rmSync(root, { recursive: true, force: true });
});

const start = (fake: Fake, over: Partial<Selection> = {}, good = ids[0]!, bad = 'main') =>
  startBisect(
    { repo, good, bad, selection: sel(over), runDir: join(root, 'run'), command: ['bisect'] },
    deps(fake),
  );

// Real git on a toy repository: slower than pure tests, and slower still on a busy host.
describe('the bisect driver', { timeout: 60_000 }, () => {
  it('confirms both ends, infers the signature, skips the unbuildable commit and names the first bad one', async () => {
    // A bisect of the user's own is in progress in their checkout.
    git(['bisect', 'start', 'main', ids[0]!]);
    const before = userState();
    const fake: Fake = { ran: [] };
    const r = await start(fake);
    expect(userState()).toEqual(before);
    git(['bisect', 'reset']);

    expect(r.outcome).toMatchObject({ kind: 'found', commit: ids[8], subject: 'c8' });
    expect(r.outcome?.kind === 'found' && r.outcome.evidence?.title).toBe(T);
    expect(bisectExitCode(r.outcome)).toBe(0);
    expect(fake.ran.slice(0, 3)).toEqual(['c13', 'c0', 'c6']);
    expect(r.signature).toEqual({ matchers: [{ kind: 'title', text: T }], origin: 'inferred' });
    expect(r.steps.find((s) => s.commit === ids[6])).toMatchObject({
      verdict: 'skip',
      reason: 'build failed: kernel build failed (make exit 2)',
    });
    expect(r.rangeSize).toBe(13);
    expect(r.steps.filter((s) => s.build.outcome === 'built').length).toBeLessThanOrEqual(6);
    expect(r.phase).toBe('done');
    for (const f of ['bisect.json', 'bisect.log', 'summary.json'])
      expect(existsSync(join(root, 'run', f)), f).toBe(true);
    expect(readFileSync(join(root, 'run', 'bisect.log'), 'utf8')).toMatch(
      /# first bad commit: \[[0-9a-f]+\] c8/,
    );
    // A finished bisect does not block the next one.
    const again = await start({ ran: [] });
    expect(again.outcome?.kind).toBe('found');
  });

  it('refuses a run folder that another run holds, before any step and without saving a bisect', async () => {
    const release = await lockRunFolder(join(root, 'run'));
    const fake: Fake = { ran: [] };
    await expect(start(fake)).rejects.toThrow(/run folder .*run is in use by another run/);
    expect(fake.ran).toEqual([]);
    expect(readState(stateDirFor(repo, join(root, 'cache')))).toBeNull();
    await release();
    expect((await start(fake)).outcome?.kind).toBe('found');
  });

  it('with --repeat, one matching run of N makes a step bad and the rest are not run', async () => {
    const fake: Fake = { ran: [] };
    const r = await start(fake, { repeat: 3, match: [T] });
    expect(r.outcome).toMatchObject({ kind: 'found', commit: ids[8] });
    const badStep = r.steps.find((s) => s.role === 'bad');
    expect(badStep).toMatchObject({ verdict: 'bad', matchedIn: 1, ran: 3 });
    expect(r.steps.find((s) => s.role === 'good')).toMatchObject({
      verdict: 'good',
      reason: 'clean in all 3 runs',
    });
  });

  it('stops when --good is not good, or --bad does not show --match', async () => {
    const g = await start({ ran: [] }, {}, ids[9]!);
    expect(g.outcome).toMatchObject({ kind: 'not-confirmed', which: 'good' });
    expect(bisectExitCode(g.outcome)).toBe(2);
    await resetBisect(repo, join(root, 'cache'));
    const b = await start({ ran: [] }, { match: ['WARNING in something else'] });
    expect(b.outcome).toMatchObject({ kind: 'not-confirmed', which: 'bad' });
    expect(b.outcome?.kind === 'not-confirmed' && b.outcome.reason).toMatch(
      /it could not be tested|does not show the signature/,
    );
  });

  it('refuses swapped ends and unknown refs', async () => {
    await expect(start({ ran: [] }, {}, 'main', ids[0]!)).rejects.toThrow(/is an ancestor of --good/);
    await expect(start({ ran: [] }, {}, 'no-such-ref')).rejects.toThrow(/--good no-such-ref is not a commit/);
  });

  it('an interrupted bisect resumes where it stopped; another start is refused until --reset', async () => {
    const fake: Fake = { ran: [], interruptAt: 4 };
    const first = await start(fake);
    expect(first.outcome).toEqual({ kind: 'interrupted' });
    expect(bisectExitCode(first.outcome)).toBe(130);
    const stateDir = stateDirFor(repo, join(root, 'cache'));
    expect(readState(stateDir)?.phase).toBe('bisecting');
    await expect(start({ ran: [] })).rejects.toThrow(/is in progress.*/);

    const rest: Fake = { ran: [] };
    const resumed = await resumeBisect(repo, deps(rest));
    expect(resumed.outcome).toMatchObject({ kind: 'found', commit: ids[8] });
    // The interrupted step ran again; nothing before it did.
    expect(rest.ran[0]).toBe(fake.ran[3]);
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
    await expect(resumeBisect(repo, deps({ ran: [] }))).rejects.toThrow(/no bisect .* to resume/);
  });
});
