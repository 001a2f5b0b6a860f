import { emptyCell, unbuiltKernel } from '../model/empty-cell.ts';
import { type CellResult, type RunSummary, SUMMARY_VERSION } from '../model/result.ts';
import { finalise, totals } from '../model/status.ts';
import type { BisectRecord, StepRecord } from './model.ts';

/**
 * The bisect as one result model, so the JUnit, JSON and HTML reports show every step:
 * the cells of every step's runs (paths rebased onto the bisect's run folder), plus an
 * error cell for each step whose kernel did not build. Pure.
 */
export interface StepRuns {
  step: StepRecord;
  /** Each run of the step (one per repeat) with its folder relative to the bisect's run folder. */
  runs: { dir: string; summary: RunSummary }[];
}

/** The kernel name a step's cells carry: `s03-1234567890ab`, so reports sort by step. */
export function stepKernelName(index: number, commit: string): string {
  return `s${String(index).padStart(2, '0')}-${commit.slice(0, 12)}`;
}

export function bisectRunSummary(
  r: BisectRecord,
  steps: readonly StepRuns[],
  toolVersion: string,
): RunSummary {
  const cells: CellResult[] = [];
  for (const { step, runs } of steps) {
    if (step.build.outcome === 'failed') {
      cells.push(buildFailedCell(r, step));
      continue;
    }
    const label = stepLabel(r, step);
    for (const run of runs)
      for (const c of run.summary.cells) cells.push(relabel(rebaseCell(c, run.dir), label));
  }
  const finishedAt = r.finishedAt;
  const durationS =
    finishedAt === null ? 0 : Math.round((Date.parse(finishedAt) - Date.parse(r.startedAt)) / 100) / 10;
  return finalise(
    {
      schema: 'zdh-run-summary',
      version: SUMMARY_VERSION,
      tool: { name: 'zdh', version: toolVersion },
      run: {
        id: `bisect-${r.bad.commit.slice(0, 12)}-${r.good.commit.slice(0, 12)}`,
        suite: `bisect:${r.selection.suite}`,
        startedAt: r.startedAt,
        finishedAt,
        durationS,
        status: 'passed',
        command: r.command,
        dir: r.runDir,
        shard: null,
        mergedFrom: [],
      },
      cells,
      totals: totals([]), // finalise() counts them
    },
    r.outcome?.kind === 'interrupted',
  );
}

const join = (prefix: string, p: string): string => (prefix ? `${prefix}/${p}` : p);
const rebase = (prefix: string, p: string | null): string | null => (p === null ? null : join(prefix, p));

export function rebaseCell(c: CellResult, prefix: string): CellResult {
  return {
    ...c,
    workloads: c.workloads.map((w) => ({ ...w, output: rebase(prefix, w.output) })),
    artifacts: {
      dir: join(prefix, c.artifacts.dir),
      console: rebase(prefix, c.artifacts.console),
      buildLog: rebase(prefix, c.artifacts.buildLog),
      manifest: rebase(prefix, c.artifacts.manifest),
    },
  };
}

/**
 * What dashboards show as the kernel of a step's cells: `s06-3c83015dfc83-first-bad`,
 * `s04-5dd2ee0ab78c-good`; the verdict is part of the name, so JUnit and HTML tell the story.
 */
export function stepLabel(r: BisectRecord, s: StepRecord): string {
  const first = r.outcome?.kind === 'found' && r.outcome.commit === s.commit && s.verdict === 'bad';
  return `${stepKernelName(s.index, s.commit)}-${first ? 'first-bad' : s.verdict}`;
}

function relabel(c: CellResult, name: string): CellResult {
  const old = c.kernel.name;
  return {
    ...c,
    id: c.id.startsWith(old) ? name + c.id.slice(old.length) : c.id,
    kernel: { ...c.kernel, name },
  };
}

function buildFailedCell(r: BisectRecord, s: StepRecord): CellResult {
  const name = stepLabel(r, s);
  const machine = r.selection.machines?.[0] ?? 'default';
  return {
    ...emptyCell({
      id: `${name}@${machine}#1`,
      kernel: unbuiltKernel({
        name,
        source: { kind: 'git', location: r.clone, id: null, ref: s.commit, commit: s.commit },
        patches: r.selection.patches.map((p) => ({ name: p, sha256: '' })),
        base: r.selection.base ?? 'tinyconfig',
      }),
      machine,
      repeat: 1,
      status: 'error',
      dir: s.dir,
    }),
    error: `kernel build failed at ${s.commit.slice(0, 12)} (${s.subject}): ${s.build.error ?? 'see the build log'}`,
    durationS: s.seconds,
  };
}
