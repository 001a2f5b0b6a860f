/**
 * Runs one machine: what `zdh boot`, `zdh shell` and each cell of a run
 * (run/execute-cell.ts) call. Checks the steps, assembles (or finds) the guest image,
 * chooses the accelerator and boots (attempt.ts). KVM is tried first when it is
 * available; a KVM guest that shows no kernel banner in time makes this host remembered
 * as "KVM broken" and the run starts again under TCG.
 *
 * Run folder:
 *   console.log          the serial console, host time on each line (console-log.ts)
 *   console.kvm-attempt.log   the KVM attempt's console, when it fell back to TCG
 *   qemu.stderr.log      QEMU's own messages
 *   steps/<i>-<name>.out each step's output
 *   machine.json         profile, accelerator, kernel command line, QEMU argv, image
 *   result.json          MachineResult
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildRecord } from '../build/types.ts';
import { configError, usageError } from '../errors.ts';
import { assembleImage } from '../image/assemble.ts';
import type { HostTool } from '../image/host-tools.ts';
import type { ImageFile } from '../image/layout.ts';
import { holdLock } from '../util/lock.ts';
import { type AccelChoice, type AccelRequest, chooseAccel } from './accel.ts';
import { runAttempt } from './attempt.ts';
import { kernelCmdline } from './cmdline.ts';
import type { ExitReason } from './exit-reason.ts';
import { accelFacts, hostMemoryFile, rememberKvm } from './host-memory.ts';
import type { MachineProfile } from './profile-rules.ts';
import { type Accel, QEMU_BINARY } from './qemu-args.ts';
import { type StepResult, type StepSpec, validateSteps } from './steps.ts';

export interface RunMachineOptions {
  build: Pick<BuildRecord, 'bzImage' | 'modulesDir' | 'kernelRelease'>;
  profile: MachineProfile;
  steps: readonly StepSpec[];
  /** The run folder; created if missing. */
  outDir: string;
  accel?: AccelRequest;
  /** 'shell': after the steps, an interactive shell on the console (consoleInput/onConsole). */
  mode?: 'steps' | 'shell';
  timeouts?: {
    /** The whole run; default: boot + the steps' timeouts + a minute. None in shell mode. */
    runS?: number;
    bannerS?: number;
    initS?: number;
  };
  /**
   * What the caller adds to the guest image: files (a run cell's workload programs and
   * helper scripts, workloads/plan.ts) and host programs (default: image/host-tools.ts
   * DEFAULT_TOOLS).
   */
  image?: { files?: readonly ImageFile[]; tools?: readonly HostTool[] };
  cmdlineExtra?: readonly string[];
  onProgress?: (message: string) => void;
  /** A step's output as it arrives. */
  onStepOutput?: (index: number, data: Buffer) => void;
  /** Raw console bytes as they arrive (the shell shows them on the terminal). */
  onConsole?: (data: Buffer) => void;
  /** Bytes typed into the console (shell mode). */
  consoleInput?: NodeJS.ReadableStream;
  terminal?: { rows: number; cols: number };
  /** Keep the NVDIMM backing files and the run's initrd (deleted by default). */
  keepDisks?: boolean;
  signal?: AbortSignal;
}

export interface MachineResult {
  exitReason: ExitReason;
  steps: StepResult[];
  accel: { used: Accel; reason: string; fallback: string | undefined };
  kernelRelease: string | undefined;
  runDir: string;
  consoleLog: string;
  qemuArgv: string[];
  cmdline: string[];
  image: { path: string; key: string; cached: boolean };
  /** Milliseconds from QEMU's start; undefined when it did not happen. */
  timings: {
    bannerMs?: number;
    readyMs?: number;
    firstStepMs?: number;
    endMs: number;
    /** The longest wait between two of the guest's heartbeats (from ready), host time. */
    maxHeartbeatGapMs?: number;
  };
  /** QMP events QEMU sent (SHUTDOWN, RESET, ...). */
  qmpEvents: string[];
  /**
   * The nonce of /init's step markers in this boot's console (steps/markers.ts): give it
   * to the console scan (run/scan-console.ts) so that only those markers count.
   */
  markerNonce: string;
}

export async function runMachine(opts: RunMachineOptions): Promise<MachineResult> {
  const problems = validateSteps(opts.steps);
  if (problems.length > 0) throw configError('invalid machine steps', { details: problems });
  const runDir = opts.outDir;
  await mkdir(join(runDir, 'steps'), { recursive: true });
  // Two runs in one folder would delete each other's sockets and disks.
  const release = await holdLock(runDir, {
    lockfilePath: join(runDir, '.lock'),
    busy: () =>
      usageError(`the run folder ${runDir} is in use by another run`, 'give each run its own folder (--out)'),
    onLost: (error) =>
      process.stderr.write(`zdh: warning: lost the lock on the run folder ${runDir}: ${error.message}\n`),
  });
  try {
    return await runLocked(opts, runDir);
  } finally {
    await release();
  }
}

async function runLocked(opts: RunMachineOptions, runDir: string): Promise<MachineResult> {
  const progress = opts.onProgress ?? (() => {});

  const image = await assembleImage({
    build: opts.build,
    ...(opts.image?.files ? { files: opts.image.files } : {}),
    ...(opts.image?.tools ? { tools: opts.image.tools } : {}),
  });
  progress(
    `guest image ${image.key.slice(0, 12)} (${(image.bytes / 1e6).toFixed(1)} MB, ${image.cached ? 'cached' : 'new'})`,
  );

  const memoryFile = hostMemoryFile();
  let choice: AccelChoice = chooseAccel(opts.accel ?? 'auto', accelFacts(memoryFile));
  progress(`accelerator: ${choice.reason}`);
  let fallback: string | undefined;
  const cmdline = kernelCmdline(opts.profile, opts.cmdlineExtra ?? []);

  let attempt = await runAttempt(opts, image, choice, cmdline);
  if (choice.probe && !attempt.bannerSeen && attempt.exitReason.kind !== 'interrupted') {
    const stuck = attempt.exitReason.kind === 'boot-timeout';
    const last =
      attempt.lastConsoleLine === undefined
        ? 'no console output at all'
        : `last console line: "${attempt.lastConsoleLine}"`;
    fallback = stuck
      ? `KVM showed no kernel banner within ${opts.profile.timeouts.kvmBannerS} s (${last})`
      : `QEMU failed under KVM before the kernel started (${attempt.exitReason.kind === 'infrastructure' ? attempt.exitReason.message : attempt.exitReason.kind})`;
    if (stuck) await rememberKvm(true, fallback, memoryFile);
    progress(
      `${fallback}; falling back to TCG${stuck ? ` and remembering that for this host in ${memoryFile}` : ''} (--accel kvm forces KVM)`,
    );
    if (existsSync(join(runDir, 'console.log')))
      await rename(join(runDir, 'console.log'), join(runDir, 'console.kvm-attempt.log'));
    choice = { accel: 'tcg', reason: `TCG (fallback: ${fallback})`, probe: false };
    attempt = await runAttempt(opts, image, choice, cmdline);
  }

  const result: MachineResult = {
    exitReason: attempt.exitReason,
    steps: attempt.steps,
    accel: { used: choice.accel, reason: choice.reason, fallback },
    kernelRelease: attempt.release,
    runDir,
    consoleLog: join(runDir, 'console.log'),
    qemuArgv: [QEMU_BINARY, ...attempt.qemuArgv],
    cmdline,
    image: { path: image.path, key: image.key, cached: image.cached },
    timings: attempt.timings,
    qmpEvents: attempt.qmpEvents,
    markerNonce: attempt.markerNonce,
  };
  const forJson = { ...result, steps: result.steps.map((s) => ({ ...s, output: undefined })) };
  await writeFile(join(runDir, 'result.json'), `${JSON.stringify(forJson, null, 2)}\n`);
  return result;
}
