import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configError, usageError, ZdhError } from '../errors.ts';
import type { CellResult, RunSummary } from '../model/result.ts';
import { interrupted } from '../process/interrupt.ts';
import { readSummary, writeSummary } from '../report/summary-file.ts';
import { SUMMARY_FILE } from '../report/summary-json.ts';
import { lockRunFolder } from '../run/run-folder.ts';
import { resolveRef, subjectOf } from '../source/git.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { sha256 } from '../util/hash.ts';
import { holdLock } from '../util/lock.ts';
import { cacheRoot } from '../util/paths.ts';
import { type GoodJudgement, judgeBad, judgeGood } from './confirm.ts';
import type { Verdict } from './exit.ts';
import { bisectLog, bisectMark, bisectReset, bisectStart, rangeSize, syncClone } from './git.ts';
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
  writeFileAtomic(statePath(stateDir), `${JSON.stringify(r, null, 2)}\n`);
  writeFileAtomic(join(r.runDir, 'bisect.json'), `${JSON.stringify(bisectReport(r), null, 2)}\n`);
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

/** A bisect in progress: its record, each step's runs, and what every step is judged with. */
interface Drive {
  stateDir: string;
  saved: { record: BisectRecord };
  deps: BisectDeps;
  plan: ReturnType<BisectDeps['planFor']>;
  tolerate: Matcher[];
  stepRuns: Map<number, StepRuns>;
  r: BisectRecord;
}

async function driveSteps(
  stateDir: string,
  saved: { record: BisectRecord },
  deps: BisectDeps,
): Promise<BisectRecord> {
  const r = saved.record;
  const d: Drive = {
    stateDir,
    saved,
    deps,
    plan: deps.planFor(r.selection),
    tolerate: r.selection.ignore.map(parseMatch),
    stepRuns: new Map<number, StepRuns>(),
    r,
  };
  // Earlier steps' runs (a resumed bisect), so the combined reports cover every step.
  for (const s of r.steps) d.stepRuns.set(s.index, { step: s, runs: readStepRuns(r.runDir, s) });
  const confirmedBad = await confirmBad(d);
  if (confirmedBad) return confirmedBad;
  const confirmedGood = await confirmGood(d);
  if (confirmedGood) return confirmedGood;
  return bisectRange(d);
}

function save(d: Drive): void {
  d.saved.record = d.r;
  saveRecord(d.stateDir, d.r);
  writeCombinedReports(d.r, d.stepRuns, d.deps);
}

async function finish(d: Drive, outcome: BisectRecord['outcome']): Promise<BisectRecord> {
  // Interrupted and failed bisects keep their phase: `--resume` continues them.
  const final =
    outcome?.kind === 'found' || outcome?.kind === 'inconclusive' || outcome?.kind === 'not-confirmed';
  d.r = { ...d.r, outcome, phase: final ? 'done' : d.r.phase, finishedAt: new Date().toISOString() };
  const log = await bisectLog(d.r.clone).catch(() => '');
  if (log) writeFileSync(join(d.r.runDir, 'bisect.log'), log);
  save(d);
  return d.r;
}

/** Tests one commit: builds, boots, judges; records the step and saves. */
async function runStepOf(
  d: Drive,
  role: StepRole,
  commit: string,
  subject: string,
  judge: (buildError: string | null, cells: readonly CellResult[]) => StepJudgement,
  decided: (cells: readonly CellResult[]) => boolean,
): Promise<{ record: StepRecord; cells: CellResult[] }> {
  const index = d.r.steps.length + 1;
  const dir = join(d.r.runDir, 'steps', `${String(index).padStart(2, '0')}-${commit.slice(0, 12)}`);
  const out = await runStep(
    {
      index,
      role,
      repo: d.r.clone,
      commit,
      subject,
      plan: d.plan,
      accel: d.r.selection.accel,
      dir,
      baseDir: d.r.runDir,
      command: d.r.command,
      decided,
      judge,
    },
    d.deps,
  );
  d.r = { ...d.r, steps: [...d.r.steps, out.record] };
  d.stepRuns.set(index, { step: out.record, runs: out.runs });
  d.deps.progress.step(
    `step ${index}${role === 'bisect' ? '' : ` (--${role})`}: ${commit.slice(0, 12)} ${out.record.verdict}: ${out.record.reason}`,
  );
  save(d);
  return { record: out.record, cells: out.cells };
}

/** 1. --bad must be bad; the bisect's end when it is not (or on Ctrl-C). */
async function confirmBad(d: Drive): Promise<BisectRecord | undefined> {
  // Show the signature, or (without --match) show something to infer it from.
  if (d.r.phase === 'confirm-bad') {
    const signature = d.r.signature;
    const judge = (buildError: string | null, cells: readonly CellResult[]): StepJudgement =>
      judgeBad({ buildError, cells, signature, tolerate: d.tolerate });
    const res = await runStepOf(
      d,
      'bad',
      d.r.bad.commit,
      d.r.bad.subject,
      judge,
      (cells) => judge(null, cells).verdict === 'bad',
    );
    if (res.record.verdict === 'interrupted') return finish(d, { kind: 'interrupted' });
    if (res.record.verdict !== 'bad') {
      const reason =
        res.record.verdict === 'skip'
          ? `it could not be tested: ${res.record.reason}`
          : signature
            ? `it does not show the signature (${res.record.reason})`
            : 'it shows no failure with the selected workloads';
      return finish(d, { kind: 'not-confirmed', which: 'bad', reason });
    }
    d.r = { ...d.r, phase: 'confirm-good' };
    save(d);
  }

  return undefined;
}

/** 2. --good must be good; the bisect's end when it is not. */
async function confirmGood(d: Drive): Promise<BisectRecord | undefined> {
  // Not show the signature. What else it shows is tolerated in every step.
  if (d.r.phase === 'confirm-good') {
    const badCells = cellsOf(
      d.stepRuns,
      d.r.steps.find((s) => s.role === 'bad' && s.verdict === 'bad'),
    );
    const judge = (buildError: string | null, cells: readonly CellResult[]): GoodJudgement =>
      judgeGood({ buildError, cells, signature: d.r.signature, badCells, tolerate: d.tolerate });
    const res = await runStepOf(
      d,
      'good',
      d.r.good.commit,
      d.r.good.subject,
      (buildError, cells) => judge(buildError, cells).judgement,
      (cells) => judge(null, cells).judgement.verdict === 'bad',
    );
    if (res.record.verdict === 'interrupted') return finish(d, { kind: 'interrupted' });
    if (res.record.verdict === 'skip') {
      return finish(d, {
        kind: 'not-confirmed',
        which: 'good',
        reason: `it could not be tested: ${res.record.reason}`,
      });
    }
    if (res.record.verdict === 'bad') {
      return finish(d, {
        kind: 'not-confirmed',
        which: 'good',
        reason: `it shows the signature too (${res.record.reason})`,
      });
    }
    const good = judge(null, res.cells);
    if (!good.signature) {
      const reason = good.inference && !good.inference.ok ? good.inference.reason : 'no signature';
      return finish(d, { kind: 'not-confirmed', which: 'good', reason });
    }
    if (!d.r.signature && good.inference?.ok) {
      d.deps.progress.step(`signature (inferred from --bad): ${good.inference.from.join('; ')}`);
    }
    if (good.baseline.length > 0) {
      d.deps.progress.warn(`--good already shows ${good.baseline.join('; ')}: tolerated in every step`);
    }
    d.r = { ...d.r, signature: good.signature, baseline: good.baseline, phase: 'bisecting' };
    save(d);
  }

  return undefined;
}

/** 3. Bisect: git chooses, zdh tests. */
async function bisectRange(d: Drive): Promise<BisectRecord> {
  const signature = d.r.signature;
  if (!signature) return finish(d, { kind: 'error', message: 'no signature after the confirmations' });
  let out: BisectOutput = await bisectStart(d.r.clone, d.r.bad.commit, d.r.good.commit);
  for (const v of replayVerdicts(d.r)) out = await bisectMark(d.r.clone, v.verdict, v.commit);
  const judge = (buildError: string | null, cells: readonly CellResult[]): StepJudgement =>
    judgeStep({ buildError, cells, signature, tolerate: d.tolerate, baseline: d.r.baseline });
  while (out.kind === 'next') {
    if (interrupted()) return finish(d, { kind: 'interrupted' });
    const res = await runStepOf(
      d,
      'bisect',
      out.commit,
      out.subject,
      judge,
      (cells) => judge(null, cells).verdict === 'bad',
    );
    if (res.record.verdict === 'interrupted') return finish(d, { kind: 'interrupted' });
    out = await bisectMark(d.r.clone, res.record.verdict as Verdict, out.commit);
  }
  switch (out.kind) {
    case 'found':
      return finish(
        d,
        foundOutcome(d.r, out.commit, out.subject ?? (await subjectOf(d.r.clone, out.commit))),
      );
    case 'only-skipped': {
      const candidates = await Promise.all(
        out.candidates.map(async (commit) => ({ commit, subject: await subjectOf(d.r.clone, commit) })),
      );
      return finish(d, { kind: 'inconclusive', candidates });
    }
    case 'error':
      return finish(d, { kind: 'error', message: `git bisect: ${out.message}` });
    default:
      return finish(d, {
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
  const dirs = existsSync(join(stepDir, SUMMARY_FILE))
    ? [s.dir]
    : Array.from({ length: 64 }, (_, i) => `${s.dir}/repeat-${i + 1}`).filter((d) =>
        existsSync(join(runDir, d, SUMMARY_FILE)),
      );
  return dirs.flatMap((d) => {
    try {
      return [
        // Through the reader: a step run by an older zdh may be a version 1 summary.
        { dir: d, summary: readSummary(join(runDir, d, SUMMARY_FILE)) },
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
    else writeSummary(join(r.runDir, SUMMARY_FILE), summary);
  } catch (error) {
    deps.progress.warn(
      `could not write the reports: ${error instanceof ZdhError ? error.message : String(error)}`,
    );
  }
}
