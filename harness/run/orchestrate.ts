import { createWriteStream } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join } from 'node:path';
import { buildKernel } from '../build/build-kernel.ts';
import type { BuildRecord } from '../build/types.ts';
import type { AccelRequest } from '../machine/accel.ts';
import { loadProfile } from '../machine/profile.ts';
import type { MachineProfile } from '../machine/profile-rules.ts';
import { emptyCell, unbuiltKernel } from '../model/empty-cell.ts';
import { type CellResult, type RunSummary, SUMMARY_VERSION } from '../model/result.ts';
import { finalise, totals } from '../model/status.ts';
import { interrupted, interruptSignal } from '../process/interrupt.ts';
import { type Progress, teeProgress } from '../progress/progress.ts';
import { writeSummary } from '../report/summary-file.ts';
import { SUMMARY_FILE } from '../report/summary-json.ts';
import type { Cell } from '../suite/matrix.ts';
import { safeFileName } from '../util/file-name.ts';
import { sha256 } from '../util/hash.ts';
import { errorText, executeCell } from './execute-cell.ts';
import { writeRunManifest } from './manifest.ts';
import { linkTopLevel, lockRunFolder, prepareRunDir } from './run-folder.ts';
import type { Expectations, PlanCell } from './workload-plan.ts';

/**
 * Runs matrix cells: builds each distinct kernel once (one at a time: builds use every
 * core), then boots cells in parallel up to `jobs`. After every cell the summary (and
 * whatever `onSummary` renders from it) is rewritten, so an interrupted run keeps what
 * it finished. A kernel that fails to build fails its own cells only.
 */
export interface OrchestrateArgs {
  cells: readonly Cell[];
  suite: string;
  runDir: string;
  command: string[];
  jobs: number;
  accel: AccelRequest;
  shard: { index: number; count: number } | null;
  planCell: PlanCell;
  expectations: Expectations;
  progress: Progress;
  toolVersion: string;
  qemuVersion: string | null;
  /** Machine profiles already loaded (repro passes the saved one); others load by name. */
  profiles?: Map<string, MachineProfile>;
  /**
   * Saves the summary after each cell and at the end, into the run folder: by default
   * summary.json alone; `zdh run` passes report/write-all.ts writeReports (summary.json,
   * junit, html, kcidb). Each publish writes summary.json once.
   */
  onSummary?: (summary: RunSummary) => void;
}

/** Default parallel VMs: one per 2 cores, and each needs its guest RAM plus headroom. */
export function defaultJobs(guestMemBytes: number): number {
  const byCpu = Math.max(1, Math.floor(availableParallelism() / 2));
  const byMem = Math.max(1, Math.floor((freemem() * 0.8) / (guestMemBytes + 512 * 2 ** 20)));
  return Math.min(byCpu, byMem);
}

export async function orchestrate(args: OrchestrateArgs): Promise<RunSummary> {
  // The whole folder is this run's until it ends: a second run given it fails first.
  const release = await lockRunFolder(args.runDir);
  try {
    prepareRunDir(args.runDir);
    const log = createWriteStream(join(args.runDir, 'zdh.log'), { flags: 'a' });
    const a = { ...args, progress: teeProgress(args.progress, (l) => log.write(l)) };
    try {
      return await orchestrateIn(a);
    } finally {
      await new Promise<void>((resolve) => log.end(resolve));
    }
  } finally {
    await release();
  }
}

async function orchestrateIn(a: OrchestrateArgs): Promise<RunSummary> {
  const startedAt = new Date();
  let summary: RunSummary = {
    schema: 'zdh-run-summary',
    version: SUMMARY_VERSION,
    tool: { name: 'zdh', version: a.toolVersion },
    run: {
      id: sha256(a.runDir, startedAt.toISOString()).slice(0, 12),
      suite: a.suite,
      startedAt: startedAt.toISOString(),
      finishedAt: null,
      durationS: 0,
      status: 'passed',
      command: a.command,
      dir: a.runDir,
      shard: a.shard,
      mergedFrom: [],
    },
    cells: a.cells.map((c) => pendingCell(c)),
    totals: totals([]), // finalise() counts them
  };
  const publish = (): void => {
    summary = finalise(
      {
        ...summary,
        run: { ...summary.run, durationS: Math.round((Date.now() - startedAt.getTime()) / 100) / 10 },
      },
      interrupted(),
    );
    if (a.onSummary) a.onSummary(summary);
    else writeSummary(join(a.runDir, SUMMARY_FILE), summary);
  };
  publish();

  // Builds: each distinct kernel spec once, in order.
  const builds = new Map<string, { record?: BuildRecord; error?: string }>();
  for (const cell of a.cells) {
    const key = JSON.stringify(cell.kernel.spec);
    if (builds.has(key) || interrupted()) continue;
    a.progress.step(`building kernel ${cell.kernel.name}`);
    try {
      const record = await buildKernel(cell.kernel.spec, {
        progress: a.progress,
        logFile: join(a.runDir, `build-${safeFileName(cell.kernel.name)}.log`),
      });
      a.progress.step(
        `kernel ${cell.kernel.name}: ${record.kernelRelease} (${record.cached ? 'cached' : `built in ${record.seconds}s`})`,
      );
      // A fresh build said these as it configured; a cached one says them here.
      if (record.cached) for (const n of record.configNotes ?? []) a.progress.warn(`kconfig note: ${n}`);
      builds.set(key, { record });
    } catch (error) {
      a.progress.warn(`kernel ${cell.kernel.name} did not build: ${errorText(error).split('\n')[0]}`);
      builds.set(key, { error: errorText(error) });
    }
  }
  writeRunManifest(a.runDir, {
    toolVersion: a.toolVersion,
    command: a.command,
    suite: a.suite,
    qemuVersion: a.qemuVersion,
    builds: [...builds.values()].flatMap((b) => (b.record ? [b.record] : [])),
  });

  // Cells, up to `jobs` at once.
  const profiles = new Map<string, MachineProfile>(a.profiles ?? []);
  const queue = a.cells.map((cell, index) => ({ cell, index }));
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next && !interrupted(); next = queue.shift()) {
      const { cell, index } = next;
      const b = builds.get(JSON.stringify(cell.kernel.spec)) ?? { error: 'interrupted before the build' };
      let profile = profiles.get(cell.machine);
      let result: CellResult;
      try {
        profile ??= loadProfile(cell.machine);
        profiles.set(cell.machine, profile);
        a.progress.step(`[${index + 1}/${a.cells.length}] ${cell.id}: booting`);
        result = await executeCell({
          cell,
          runDir: a.runDir,
          build: b.record,
          buildError: b.error,
          profile,
          accel: a.accel,
          planCell: a.planCell,
          expectations: a.expectations,
          qemuVersion: a.qemuVersion,
          signal: interruptSignal(),
          onProgress: (m) => a.progress.detail(`${cell.id}: ${m}`),
        });
      } catch (error) {
        result = { ...pendingCell(cell), error: errorText(error) };
      }
      summary.cells[index] = result;
      if (index === 0) {
        // The first cell's logs at the top of the run folder, where a person looks first.
        if (result.artifacts.console)
          linkTopLevel(a.runDir, 'console.log', join(a.runDir, result.artifacts.console));
        if (result.artifacts.buildLog)
          linkTopLevel(a.runDir, 'build.log', join(a.runDir, result.artifacts.buildLog));
      }
      const f = result.findings.length;
      a.progress.step(
        `[${index + 1}/${a.cells.length}] ${cell.id}: ${result.status}${f ? ` (${f} kernel finding${f > 1 ? 's' : ''})` : ''}`,
      );
      publish();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(a.jobs, a.cells.length)) }, worker));
  if (interrupted()) {
    summary.cells = summary.cells.map((c) => (c.status === 'pending' ? { ...c, status: 'interrupted' } : c));
  }
  summary = { ...summary, run: { ...summary.run, finishedAt: new Date().toISOString() } };
  publish();
  return summary;
}

function pendingCell(cell: Cell): CellResult {
  const s = cell.kernel.spec.source;
  return emptyCell({
    id: cell.id,
    kernel: unbuiltKernel({
      name: cell.kernel.name,
      source: { kind: s.kind, location: s.kind === 'git' ? s.repo : s.path, id: null },
      patches: cell.kernel.spec.patches.map((p) => ({ name: p, sha256: '' })),
      base: cell.kernel.spec.base,
    }),
    machine: cell.machine,
    repeat: cell.repeat,
    status: 'pending',
    dir: '',
  });
}
