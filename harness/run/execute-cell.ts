import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BuildRecord } from '../build/types.ts';
import { ZdhError } from '../errors.ts';
import type { AccelRequest } from '../machine/accel.ts';
import { cellExit, describeExit } from '../machine/exit-reason.ts';
import type { MachineProfile } from '../machine/profile-rules.ts';
import { runMachine } from '../machine/runner.ts';
import { emptyCell } from '../model/empty-cell.ts';
import type { CaseResult, CellResult, KernelInfo, MachineInfo } from '../model/result.ts';
import { cellStatus } from '../model/status.ts';
import type { Cell } from '../suite/matrix.ts';
import { emptyWorkload, workloadOfStep, workloadResults } from './cell-result.ts';
import { cellDirName } from './run-folder.ts';
import { scanConsoleLog } from './scan-console.ts';
import type { Expectations, PlanCell } from './workload-plan.ts';

/**
 * One matrix cell: boot the cell's build on its machine, run its workloads, read the
 * console for findings, and turn it all into a CellResult. The build was made by the
 * orchestrator; a build that failed arrives as `buildError`.
 */
export interface ExecuteCellArgs {
  cell: Cell;
  runDir: string;
  build: BuildRecord | undefined;
  buildError: string | undefined;
  profile: MachineProfile;
  accel: AccelRequest;
  planCell: PlanCell;
  expectations: Expectations;
  qemuVersion: string | null;
  signal: AbortSignal;
  onProgress: (message: string) => void;
}

export async function executeCell(a: ExecuteCellArgs): Promise<CellResult> {
  const started = performance.now();
  const dir = join(a.runDir, 'cells', cellDirName(a.cell.id));
  mkdirSync(dir, { recursive: true });
  // Everything `zdh repro` needs to run this cell again exactly.
  writeFileSync(
    join(dir, 'cell.json'),
    `${JSON.stringify({ cell: a.cell, profile: a.profile, accel: a.accel }, null, 2)}\n`,
  );
  const rel = (p: string | null): string | null => (p ? relative(a.runDir, p) : null);
  const empty = emptyCell({
    id: a.cell.id,
    kernel: kernelInfo(a.cell, a.build),
    machine: a.cell.machine,
    repeat: a.cell.repeat,
    status: 'pending',
    dir: relative(a.runDir, dir),
  });
  const base: CellResult = {
    ...empty,
    machine: { ...empty.machine, qemuVersion: a.qemuVersion },
    workloads: a.cell.workloads.map((w) => emptyWorkload(w.name)),
    artifacts: { ...empty.artifacts, manifest: relative(a.runDir, join(dir, 'cell.json')) },
  };
  if (!a.build) {
    return finish({ ...base, error: a.buildError ?? 'the kernel was not built' }, started);
  }
  const build = a.build;
  const buildLog = join(dir, 'build.log');
  if (existsSync(build.buildLog)) cpSync(build.buildLog, buildLog);
  cpSync(build.config, join(dir, 'config'));
  base.artifacts.buildLog = rel(buildLog);

  let plan: Awaited<ReturnType<PlanCell>>;
  try {
    plan = await a.planCell({
      workloads: a.cell.workloads,
      build,
      profile: a.profile,
      onProgress: a.onProgress,
    });
  } catch (error) {
    return finish({ ...base, error: errorText(error) }, started);
  }
  const steps = plan.workloads.flatMap((w) => w.steps);
  const machine = await runMachine({
    build,
    profile: a.profile,
    steps,
    outDir: dir,
    accel: a.accel,
    image: { files: plan.files },
    cmdlineExtra: plan.cmdlineExtra,
    onProgress: a.onProgress,
    signal: a.signal,
  });
  const machineInfo: MachineInfo = {
    name: a.cell.machine,
    accel: machine.accel.used,
    accelReason: machine.accel.fallback ?? machine.accel.reason,
    qemuVersion: a.qemuVersion,
    cmdline: machine.cmdline,
  };
  const scan = existsSync(machine.consoleLog)
    ? await scanConsoleLog(machine.consoleLog, undefined, machine.markerNonce)
    : undefined;
  const findings = (scan?.findings ?? []).map((f) => ({
    ...f,
    workload: workloadOfStep(f.workload, plan.workloads),
  }));
  const workloads = workloadResults(
    plan.workloads,
    {
      steps: machine.steps,
      stepLines: scan?.stepLines,
      findings,
      ...(machine.exitReason.kind === 'done' ? {} : { machineStop: describeExit(machine.exitReason) }),
      kernelRelease: build.kernelRelease,
      accel: machine.accel.used,
      relative: (p) => relative(a.runDir, p),
    },
    a.expectations,
  );
  return finish(
    {
      ...base,
      machine: machineInfo,
      exit: cellExit(machine.exitReason),
      error: machine.exitReason.kind === 'infrastructure' ? machine.exitReason.message : null,
      status: machine.exitReason.kind === 'interrupted' ? 'interrupted' : 'pending',
      workloads,
      findings,
      expectations: a.expectations.files({ kernelRelease: build.kernelRelease, accel: machine.accel.used }),
      artifacts: { ...base.artifacts, console: rel(machine.consoleLog) },
    },
    started,
  );
}

function finish(cell: CellResult, started: number): CellResult {
  const durationS = Math.round((performance.now() - started) / 100) / 10;
  return { ...cell, durationS, status: cellStatus(cell) };
}

function kernelInfo(cell: Cell, build: BuildRecord | undefined): KernelInfo {
  const s = cell.kernel.spec.source;
  return {
    name: cell.kernel.name,
    release: build?.kernelRelease ?? null,
    cacheKey: build?.cacheKey ?? null,
    source: build
      ? { ...build.inputs.source }
      : {
          kind: s.kind,
          location: s.kind === 'git' ? s.repo : s.path,
          id: null,
          ...(s.kind === 'git' ? { ref: s.ref } : {}),
        },
    patches: build?.inputs.patches ?? cell.kernel.spec.patches.map((p) => ({ name: p, sha256: '' })),
    base: cell.kernel.spec.base,
    fragments: build?.inputs.fragments ?? [],
    configSha256: build?.inputs.configSha256 ?? null,
    toolchain: build?.inputs.toolchain ?? null,
    buildTime: build ? { seconds: build.seconds, cached: build.cached } : null,
    ...(build?.configNotes?.length ? { configNotes: build.configNotes } : {}),
  };
}

export function errorText(error: unknown): string {
  if (error instanceof ZdhError) return [error.message, ...error.details].join('\n');
  return error instanceof Error ? error.message : String(error);
}

export type { CaseResult };
