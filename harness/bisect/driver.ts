import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configError, usageError, ZdhError } from '../errors.ts';
import type { CellResult, RunSummary } from '../model/result.ts';
import { interrupted } from '../process/interrupt.ts';
import { lockRunFolder, writeAtomic } from '../run/run-folder.ts';
import { sha256 } from '../util/hash.ts';
import { holdLock } from '../util/lock.ts';
import { cacheRoot } from '../util/paths.ts';
import { type GoodJudgement, judgeBad, judgeGood } from './confirm.ts';
import type { Verdict } from './exit.ts';
import {
  bisectLog,
  bisectMark,
  bisectReset,
  bisectStart,
  rangeSize,
  resolveRef,
  subjectOf,
  syncClone,
} from './git.ts';
import type { BisectOutput } from './git-output.ts';
import {
  BISECT_VERSION,
  type BisectRecord,
  bisectReport,
  foundOutcome,
  parseRecord,
  replayVerdicts,
  type Selection,
  type StepRecord,
  type StepRole,
} from './model.ts';
import type { StepPlan } from './selection.ts';
import { type Matcher, parseMatch, type Signature } from './signature.ts';
import { runStep, type StepDeps } from './step.ts';
import { bisectRunSummary, type StepRuns } from './summary.ts';
import { judgeStep, type StepJudgement } from './verdict.ts';

/**
 * `zdh bisect`, the edge: confirm --bad is bad and --good is good, then let `git bisect`
 * (in zdh's own bare clone) choose commits while each step builds, boots and runs the
 * selected workloads. The record is saved after every step in the state folder
 * (<cache>/bisect/<repo id>/state.json), so Ctrl-C leaves a bisect that `--resume`
 * continues (git's bisect state is rebuilt from the record) or `--reset` discards.
 */
export interface BisectDeps extends StepDeps {
  /** Writes summary.json, junit.xml and report.html for a summary into a folder. */
  writeReports?: (summary: RunSummary, dir: string) => void;
  /** Turns a selection into what the steps build and run (loads the suite). */
  planFor: (sel: Selection) => StepPlan;
  /** Runs one step (tests replace the build and boot). */
  runStep?: typeof runStep;
}

export interface StartRequest {
  repo: string;
  good: string;
  bad: string;
  selection: Selection;
  runDir: string;
  command: string[];
}

export function stateDirFor(repo: string, cache: string = cacheRoot()): string {
  return join(cache, 'bisect', sha256(repo).slice(0, 16));
}

const statePath = (dir: string): string => join(dir, 'state.json');

export function readState(dir: string): BisectRecord | null {
  const file = statePath(dir);
  if (!existsSync(file)) return null;
  return parseRecord(readFileSync(file, 'utf8'), file);
}

/** Holds the state folder's lock for the whole bisect: one bisect per repository at a time. */
async function withStateLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  // A lost lock ends nothing: the bisect's state is written atomically at every step.
  const release = await holdLock(dir, {
    busy: () =>
      usageError(
        `another zdh bisect is running on this repository (lock ${dir}.lock)`,
        'wait for it, or stop it with Ctrl-C; its state can then be resumed or reset',
      ),
    onLost: (error) =>
      process.stderr.write(`zdh: warning: lost the bisect lock ${dir}.lock: ${error.message}\n`),
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Starts a new bisect; refuses when one is in progress for the same repository. */
export async function startBisect(req: StartRequest, deps: BisectDeps): Promise<BisectRecord> {
  const cache = deps.cache ?? cacheRoot();
  const dir = stateDirFor(req.repo, cache);
  return withStateLock(dir, async () => {
    const existing = readState(dir);
    if (existing && existing.phase !== 'done') {
      throw usageError(
        `a bisect of ${req.repo} is in progress (started ${existing.startedAt}, ${existing.steps.length} step(s), run folder ${existing.runDir})`,
        'continue it with `zdh bisect --resume`, or discard it with `zdh bisect --reset`',
      );
    }
    // Parse --match/--ignore and plan the steps before any git or build work: a typo fails at once.
    const signature: Signature | null =
      req.selection.match.length > 0
        ? { matchers: req.selection.match.map(parseMatch), origin: 'match' }
        : null;
    req.selection.ignore.forEach(parseMatch);
    deps.planFor(req.selection);

    const good = await resolveRef(req.repo, req.good, '--good');
    const bad = await resolveRef(req.repo, req.bad, '--bad');
    if (good.commit === bad.commit) throw usageError('--good and --bad are the same commit');
    const clone = join(dir, 'clone.git');
    deps.progress.step(`preparing zdh's own clone of ${req.repo}`);
    await syncClone(req.repo, clone, [good.commit, bad.commit]);
    const size = await rangeSize(clone, good.commit, bad.commit);
    if (size === 0) {
      throw configError(`--bad ${req.bad} is an ancestor of --good ${req.good}: there is nothing to bisect`, {
        hint: 'were --good and --bad swapped?',
      });
    }
    const record: BisectRecord = {
      schema: 'zdh-bisect',
      version: BISECT_VERSION,
      repo: req.repo,
      clone,
      good: { ref: req.good, ...good },
      bad: { ref: req.bad, ...bad },
      rangeSize: size,
      selection: req.selection,
      signature,
      baseline: [],
      runDir: req.runDir,
      command: req.command,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      phase: 'confirm-bad',
      steps: [],
      outcome: null,
    };
    return inRunFolder(record.runDir, async () => {
      saveRecord(dir, record);
      return drive(dir, record, deps);
    });
  });
}

/** Continues the bisect in progress for `repo` (or shows the finished one again). */
export async function resumeBisect(repo: string, deps: BisectDeps): Promise<BisectRecord> {
  const dir = stateDirFor(repo, deps.cache ?? cacheRoot());
  return withStateLock(dir, async () => {
    const record = readState(dir);
    if (!record) {
      throw usageError(
        `there is no bisect of ${repo} to resume`,
        'start one with zdh bisect --good REF --bad REF',
      );
    }
    if (record.phase === 'done') return record;
    deps.progress.step(`resuming the bisect of ${repo} (${record.steps.length} step(s) so far)`);
    await syncClone(repo, record.clone, [record.good.commit, record.bad.commit]);
    return inRunFolder(record.runDir, () => drive(dir, { ...record, outcome: null, finishedAt: null }, deps));
  });
}

/** Runs fn holding the bisect's run folder: another run or bisect given it fails at once. */
async function inRunFolder<T>(runDir: string, fn: () => Promise<T>): Promise<T> {
  const release = await lockRunFolder(runDir);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Discards the bisect state of `repo`: git's bisect in zdh's clone, the record and the clone. */
export async function resetBisect(repo: string, cache: string = cacheRoot()): Promise<BisectRecord | null> {
  const dir = stateDirFor(repo, cache);
  if (!existsSync(dir)) return null;
  return withStateLock(dir, async () => {
    const record = (() => {
      try {
        return readState(dir);
      } catch {
        return null;
      }
    })();
    await bisectReset(join(dir, 'clone.git')).catch(() => {});
    for (const name of ['state.json', 'clone.git']) rmSync(join(dir, name), { recursive: true, force: true });
    return record;
  });
}

function saveRecord(stateDir: string, r: BisectRecord): void {
  writeAtomic(statePath(stateDir), `${JSON.stringify(r, null, 2)}\n`);
  writeAtomic(join(r.runDir, 'bisect.json'), `${JSON.stringify(bisectReport(r), null, 2)}\n`);
}

async function drive(stateDir: string, start: BisectRecord, deps: BisectDeps): Promise<BisectRecord> {
  const saved = { record: start };
  try {
    return await driveSteps(stateDir, saved, deps);
  } catch (error) {
    // Ctrl-C inside git or a build, or git or the host failing: keep what is done, resumable.
    const outcome: BisectRecord['outcome'] = interrupted()
      ? { kind: 'interrupted' }
      : {
          kind: 'error',
          message: error instanceof ZdhError ? [error.message, ...error.details].join('\n') : String(error),
        };
    const r: BisectRecord = { ...saved.record, outcome, finishedAt: new Date().toISOString() };
    saveRecord(stateDir, r);
    if (outcome.kind === 'error' && !(error instanceof ZdhError)) throw error;
    return r;
  }
}

async function driveSteps(
  stateDir: string,
  saved: { record: BisectRecord },
  deps: BisectDeps,
): Promise<BisectRecord> {
  let r = saved.record;
  const plan = deps.planFor(r.selection);
  const tolerate: Matcher[] = r.selection.ignore.map(parseMatch);
  const stepRuns = new Map<number, StepRuns>();
  const save = (): void => {
    saved.record = r;
    saveRecord(stateDir, r);
    writeCombinedReports(r, stepRuns, deps);
  };
  const finish = async (outcome: BisectRecord['outcome']): Promise<BisectRecord> => {
    // Interrupted and failed bisects keep their phase: `--resume` continues them.
    const final =
      outcome?.kind === 'found' || outcome?.kind === 'inconclusive' || outcome?.kind === 'not-confirmed';
    r = { ...r, outcome, phase: final ? 'done' : r.phase, finishedAt: new Date().toISOString() };
    const log = await bisectLog(r.clone).catch(() => '');
    if (log) writeFileSync(join(r.runDir, 'bisect.log'), log);
    save();
    return r;
  };
  // Earlier steps' runs (a resumed bisect), so the combined reports cover every step.
  for (const s of r.steps) stepRuns.set(s.index, { step: s, runs: readStepRuns(r.runDir, s) });

  const step = async (
    role: StepRole,
    commit: string,
    subject: string,
    judge: (buildError: string | null, cells: readonly CellResult[]) => StepJudgement,
    decided: (cells: readonly CellResult[]) => boolean,
  ): Promise<{ record: StepRecord; cells: CellResult[] }> => {
    const index = r.steps.length + 1;
    const dir = join(r.runDir, 'steps', `${String(index).padStart(2, '0')}-${commit.slice(0, 12)}`);
    const out = await (deps.runStep ?? runStep)(
      {
        index,
        role,
        repo: r.clone,
        commit,
        subject,
        plan,
        accel: r.selection.accel,
        dir,
        baseDir: r.runDir,
        command: r.command,
        decided,
        judge,
      },
      deps,
    );
    r = { ...r, steps: [...r.steps, out.record] };
    stepRuns.set(index, { step: out.record, runs: out.runs });
    deps.progress.step(
      `step ${index}${role === 'bisect' ? '' : ` (--${role})`}: ${commit.slice(0, 12)} ${out.record.verdict}: ${out.record.reason}`,
    );
    save();
    return { record: out.record, cells: out.cells };
  };

  // 1. --bad must be bad: show the signature, or (without --match) show something to infer it from.
  if (r.phase === 'confirm-bad') {
    const signature = r.signature;
    const judge = (buildError: string | null, cells: readonly CellResult[]): StepJudgement =>
      judgeBad({ buildError, cells, signature, tolerate });
    const res = await step(
      'bad',
      r.bad.commit,
      r.bad.subject,
      judge,
      (cells) => judge(null, cells).verdict === 'bad',
    );
    if (res.record.verdict === 'interrupted') return finish({ kind: 'interrupted' });
    if (res.record.verdict !== 'bad') {
      const reason =
        res.record.verdict === 'skip'
          ? `it could not be tested: ${res.record.reason}`
          : signature
            ? `it does not show the signature (${res.record.reason})`
            : 'it shows no failure with the selected workloads';
      return finish({ kind: 'not-confirmed', which: 'bad', reason });
    }
    r = { ...r, phase: 'confirm-good' };
    save();
  }

  // 2. --good must be good: not show the signature. What else it shows is tolerated in every step.
  if (r.phase === 'confirm-good') {
    const badCells = cellsOf(
      stepRuns,
      r.steps.find((s) => s.role === 'bad' && s.verdict === 'bad'),
    );
    const judge = (buildError: string | null, cells: readonly CellResult[]): GoodJudgement =>
      judgeGood({ buildError, cells, signature: r.signature, badCells, tolerate });
    const res = await step(
      'good',
      r.good.commit,
      r.good.subject,
      (buildError, cells) => judge(buildError, cells).judgement,
      (cells) => judge(null, cells).judgement.verdict === 'bad',
    );
    if (res.record.verdict === 'interrupted') return finish({ kind: 'interrupted' });
    if (res.record.verdict === 'skip') {
      return finish({
        kind: 'not-confirmed',
        which: 'good',
        reason: `it could not be tested: ${res.record.reason}`,
      });
    }
    if (res.record.verdict === 'bad') {
      return finish({
        kind: 'not-confirmed',
        which: 'good',
        reason: `it shows the signature too (${res.record.reason})`,
      });
    }
    const good = judge(null, res.cells);
    if (!good.signature) {
      const reason = good.inference && !good.inference.ok ? good.inference.reason : 'no signature';
      return finish({ kind: 'not-confirmed', which: 'good', reason });
    }
    if (!r.signature && good.inference?.ok) {
      deps.progress.step(`signature (inferred from --bad): ${good.inference.from.join('; ')}`);
    }
    if (good.baseline.length > 0) {
      deps.progress.warn(`--good already shows ${good.baseline.join('; ')}: tolerated in every step`);
    }
    r = { ...r, signature: good.signature, baseline: good.baseline, phase: 'bisecting' };
    save();
  }

  // 3. Bisect: git chooses, zdh tests.
  const signature = r.signature;
  if (!signature) return finish({ kind: 'error', message: 'no signature after the confirmations' });
  let out: BisectOutput = await bisectStart(r.clone, r.bad.commit, r.good.commit);
  for (const v of replayVerdicts(r)) out = await bisectMark(r.clone, v.verdict, v.commit);
  const judge = (buildError: string | null, cells: readonly CellResult[]): StepJudgement =>
    judgeStep({ buildError, cells, signature, tolerate, baseline: r.baseline });
  while (out.kind === 'next') {
    if (interrupted()) return finish({ kind: 'interrupted' });
    const res = await step(
      'bisect',
      out.commit,
      out.subject,
      judge,
      (cells) => judge(null, cells).verdict === 'bad',
    );
    if (res.record.verdict === 'interrupted') return finish({ kind: 'interrupted' });
    out = await bisectMark(r.clone, res.record.verdict as Verdict, out.commit);
  }
  switch (out.kind) {
    case 'found':
      return finish(foundOutcome(r, out.commit, out.subject ?? (await subjectOf(r.clone, out.commit))));
    case 'only-skipped': {
      const candidates = await Promise.all(
        out.candidates.map(async (commit) => ({ commit, subject: await subjectOf(r.clone, commit) })),
      );
      return finish({ kind: 'inconclusive', candidates });
    }
    case 'error':
      return finish({ kind: 'error', message: `git bisect: ${out.message}` });
    default:
      return finish({
        kind: 'error',
        message: `unexpected git bisect output: ${out.kind === 'unknown' ? out.text.slice(0, 300) : out.kind}`,
      });
  }
}

function cellsOf(stepRuns: Map<number, StepRuns>, s: StepRecord | undefined): CellResult[] {
  if (!s) return [];
  return (stepRuns.get(s.index)?.runs ?? []).flatMap((run) => run.summary.cells);
}

/** A step's runs as its folders hold them (summary.json of each run), for resumed bisects. */
function readStepRuns(runDir: string, s: StepRecord): StepRuns['runs'] {
  const stepDir = resolve(runDir, s.dir);
  const dirs = existsSync(join(stepDir, 'summary.json'))
    ? [s.dir]
    : Array.from({ length: 64 }, (_, i) => `${s.dir}/repeat-${i + 1}`).filter((d) =>
        existsSync(join(runDir, d, 'summary.json')),
      );
  return dirs.flatMap((d) => {
    try {
      return [
        { dir: d, summary: JSON.parse(readFileSync(join(runDir, d, 'summary.json'), 'utf8')) as RunSummary },
      ];
    } catch {
      return [];
    }
  });
}

function writeCombinedReports(r: BisectRecord, stepRuns: Map<number, StepRuns>, deps: BisectDeps): void {
  const steps = r.steps.map((s) => stepRuns.get(s.index) ?? { step: s, runs: [] });
  const summary = bisectRunSummary(r, steps, deps.toolVersion);
  try {
    if (deps.writeReports) deps.writeReports(summary, r.runDir);
    else writeAtomic(join(r.runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  } catch (error) {
    deps.progress.warn(
      `could not write the reports: ${error instanceof ZdhError ? error.message : String(error)}`,
    );
  }
}
