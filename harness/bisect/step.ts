import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildKernel } from '../build/build-kernel.ts';
import type { BuildRecord } from '../build/types.ts';
import type { AccelRequest } from '../machine/accel.ts';
import type { CellResult, RunSummary } from '../model/result.ts';
import { interrupted } from '../process/interrupt.ts';
import type { Progress } from '../progress/progress.ts';
import { errorText } from '../run/execute-cell.ts';
import { orchestrate } from '../run/orchestrate.ts';
import type { Expectations, PlanCell } from '../run/workload-plan.ts';
import type { StepBuild, StepRecord, StepRole } from './model.ts';
import { type StepPlan, stepCells } from './selection.ts';
import { stepKernelName } from './summary.ts';
import type { StepJudgement } from './verdict.ts';

/**
 * One bisect step, the edge: build the commit through the cache (zdh's own clone in a
 * build slot; a consecutive commit rebuilds incrementally), then boot and run the
 * selected workloads once per repeat, stopping at the first repeat that decides the
 * step (`decided`, e.g. the signature matched). The verdict itself is `judge`'s (pure).
 */
export interface StepDeps {
  planCell: PlanCell;
  expectations: Expectations;
  progress: Progress;
  toolVersion: string;
  qemuVersion: string | null;
  /** Called with each run's summary as it is rewritten (writes the step's own reports). */
  onSummary?: (summary: RunSummary, runDir: string) => void;
  /** Parallel VMs within one run (machines × 1 repeat). */
  jobs?: number;
  /** The cache root (tests). */
  cache?: string;
}

export interface StepRequest {
  index: number;
  role: StepRole;
  /** The repository the commit is built from: zdh's bisect clone, or bisect-step's checkout. */
  repo: string;
  commit: string;
  subject: string;
  plan: StepPlan;
  accel: AccelRequest;
  /** The step's folder (absolute). */
  dir: string;
  /** The bisect's run folder, that `StepRecord.dir` is relative to. */
  baseDir: string;
  command: string[];
  /** True once the runs so far decide the step: the remaining repeats are not run. */
  decided: (cells: readonly CellResult[]) => boolean;
  judge: (buildError: string | null, cells: readonly CellResult[]) => StepJudgement;
}

export interface StepOutcome {
  record: StepRecord;
  runs: { dir: string; summary: RunSummary }[];
  build: BuildRecord | null;
  cells: CellResult[];
}

export async function runStep(req: StepRequest, deps: StepDeps): Promise<StepOutcome> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  mkdirSync(req.dir, { recursive: true });
  const short = req.commit.slice(0, 12);
  const name = stepKernelName(req.index, req.commit);
  const source = { kind: 'git' as const, repo: req.repo, ref: req.commit };
  const { progress } = deps;

  progress.step(`step ${req.index}: building ${short} ${req.subject}`);
  let build: BuildRecord | null = null;
  let buildInfo: StepBuild;
  try {
    build = await buildKernel(
      { ...req.plan.spec, name, source },
      {
        progress,
        logFile: join(req.dir, 'build.log'),
        ...(deps.cache ? { cache: deps.cache } : {}),
      },
    );
    buildInfo = {
      outcome: build.cached ? 'cached' : 'built',
      seconds: build.seconds,
      cacheKey: build.cacheKey,
      kernelRelease: build.kernelRelease,
      error: null,
    };
  } catch (error) {
    buildInfo = {
      outcome: 'failed',
      seconds: Math.round((performance.now() - started) / 100) / 10,
      cacheKey: null,
      kernelRelease: null,
      error: errorText(error).split('\n').slice(0, 12).join('\n'),
    };
  }

  const runs: { dir: string; summary: RunSummary }[] = [];
  const cells: CellResult[] = [];
  if (build && !interrupted()) {
    for (let r = 1; r <= req.plan.repeat && !interrupted(); r++) {
      const runDir = req.plan.repeat > 1 ? join(req.dir, `repeat-${r}`) : req.dir;
      progress.step(
        `step ${req.index}: ${short} run ${r}/${req.plan.repeat} (${req.plan.workloads.map((w) => w.name).join(', ')})`,
      );
      const summary = await orchestrate({
        cells: stepCells(req.plan, name, source, r),
        suite: req.plan.suiteName,
        runDir,
        command: req.command,
        jobs: deps.jobs ?? 1,
        accel: req.accel,
        shard: null,
        planCell: deps.planCell,
        expectations: deps.expectations,
        progress,
        toolVersion: deps.toolVersion,
        qemuVersion: deps.qemuVersion,
        ...(deps.onSummary ? { onSummary: (s: RunSummary) => deps.onSummary?.(s, runDir) } : {}),
      });
      runs.push({ dir: relative(req.baseDir, runDir), summary });
      cells.push(...summary.cells);
      if (req.decided(cells)) break;
    }
  }
  // Ctrl-C: no verdict (the step runs again on --resume), unless a finished run already showed the signature.
  let judgement = req.judge(buildInfo.error, cells);
  if (interrupted() && judgement.verdict !== 'bad') {
    judgement = { ...judgement, verdict: 'interrupted', reason: 'interrupted', evidence: null };
  }
  const record: StepRecord = {
    index: req.index,
    role: req.role,
    commit: req.commit,
    subject: req.subject,
    verdict: judgement.verdict,
    reason: judgement.reason,
    build: buildInfo,
    startedAt,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    dir: relative(req.baseDir, req.dir) || '.',
    evidence: judgement.evidence,
    matchedIn: judgement.matchedIn,
    ran: judgement.ran,
    unrelated: judgement.unrelated,
    tolerated: judgement.tolerated,
  };
  return { record, runs, build, cells };
}
