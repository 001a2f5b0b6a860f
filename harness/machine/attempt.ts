/**
 * One QEMU boot of a run, composed of small parts: its files and sockets
 * (attempt-files.ts), QEMU itself, the console and the results channel feeding the
 * supervisor (supervisor-loop.ts runs supervisor.ts against real time) and the record of
 * the steps (step-recorder.ts). Everything it creates is removed again when it ends,
 * however it ends (Cleanups).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { GuestImage } from '../image/assemble.ts';
import { interruptSignal } from '../process/interrupt.ts';
import { type ManagedProcess, spawnManaged } from '../process/run.ts';
import { LineSplitter } from '../util/line-splitter.ts';
import type { AccelChoice } from './accel.ts';
import {
  type AttemptFiles,
  Cleanups,
  prepareAttemptFiles,
  randomId,
  writeMachineJson,
} from './attempt-files.ts';
import { ChannelDecoder, type ChannelEvent } from './channel.ts';
import { hmmModuleOptions } from './cmdline.ts';
import { CONSOLE_LINES, stampLine } from './console-log.ts';
import type { ExitReason } from './exit-reason.ts';
import { renderPlan } from './plan.ts';
import { type Accel, QEMU_BINARY, qemuArgv } from './qemu-args.ts';
import type { MachineResult, RunMachineOptions } from './runner.ts';
import { StepRecorder } from './step-recorder.ts';
import type { StepResult, StepSpec } from './steps.ts';
import { BANNER_RE, DEFAULT_SUPERVISOR_TIMING, type SupervisorConfig } from './supervisor.ts';
import { SupervisorLoop } from './supervisor-loop.ts';

export interface AttemptResult {
  exitReason: ExitReason;
  steps: StepResult[];
  release: string | undefined;
  timings: MachineResult['timings'];
  qemuArgv: string[];
  qmpEvents: string[];
  bannerSeen: boolean;
  lastConsoleLine: string | undefined;
  markerNonce: string;
}

const BOOT_MARGIN_S = 60;

/** The default whole-run limit: boot, each step's timeout, and a margin. */
export function defaultRunTimeoutS(steps: readonly StepSpec[], bannerS: number, initS: number): number {
  const stepsS = steps.reduce((s, st) => s + st.timeoutS + (st.onTimeout === 'continue' ? 60 : 5), 0);
  return Math.ceil(bannerS + initS + stepsS + BOOT_MARGIN_S);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runAttempt(
  opts: RunMachineOptions,
  image: GuestImage,
  choice: AccelChoice,
  cmdline: string[],
): Promise<AttemptResult> {
  const runDir = opts.outDir;
  const profile = opts.profile;
  const mode = opts.mode ?? 'steps';
  const nonce = randomId(16);
  // A second one for the kernel log, which every process in the guest can read: the
  // results channel's must not show up in a workload that prints dmesg.
  const markerNonce = randomId(16);
  const hmm = hmmModuleOptions(profile);
  const plan = renderPlan({
    nonce,
    markerNonce,
    mode,
    steps: opts.steps,
    hugepages: profile.guest.hugepages,
    hungTaskTimeoutS: profile.guest.hungTaskTimeoutS,
    modprobeOptions: hmm.modprobe,
    env: hmm.env,
    ...(opts.terminal ? { terminal: opts.terminal } : {}),
  });
  // Whatever this attempt creates is undone at the end, however the attempt ends.
  const cleanups = new Cleanups();
  try {
    const files = await prepareAttemptFiles(
      { runDir, imagePath: image.path, plan, profile, keepDisks: opts.keepDisks ?? false },
      cleanups,
    );
    const argv = qemuArgv(
      profile,
      choice.accel,
      {
        kernel: opts.build.bzImage,
        initrd: files.initrd,
        resultsSocket: files.resultsPath,
        qmpSocket: files.qmpPath,
        nvdimmFiles: files.nvdimmFiles,
        qboot: files.qboot,
      },
      cmdline,
      `zdh-${randomId(8)}`,
    );
    const limits = attemptLimits(opts, choice, mode);
    await writeMachineJson(runDir, {
      profile,
      accel: choice,
      kernel: opts.build,
      cmdline,
      qemuArgv: [QEMU_BINARY, ...argv],
      image: image.path,
      timeouts: limits,
      steps: opts.steps,
    });
    const cfg = supervisorConfig(opts, limits, markerNonce);
    return await boot({ opts, accel: choice.accel, argv, files, nonce, markerNonce, cfg }, cleanups);
  } finally {
    await cleanups.run();
  }
}

/** The boot's time limits: the profile's, unless the caller gave its own. */
function attemptLimits(
  opts: RunMachineOptions,
  choice: AccelChoice,
  mode: 'steps' | 'shell',
): { bannerS: number; initS: number; runS: number | undefined } {
  const t = opts.profile.timeouts;
  const bannerS = choice.probe ? t.kvmBannerS : (opts.timeouts?.bannerS ?? t.bannerS);
  const initS = opts.timeouts?.initS ?? t.initS;
  const runS =
    mode === 'shell' ? undefined : (opts.timeouts?.runS ?? defaultRunTimeoutS(opts.steps, bannerS, initS));
  return { bannerS, initS, runS };
}

function supervisorConfig(
  opts: RunMachineOptions,
  limits: { bannerS: number; initS: number; runS: number | undefined },
  markerNonce: string,
): SupervisorConfig {
  return {
    steps: opts.steps,
    bannerTimeoutMs: limits.bannerS * 1000,
    initTimeoutMs: limits.initS * 1000,
    runTimeoutMs: limits.runS === undefined ? undefined : limits.runS * 1000,
    markerNonce,
    ...DEFAULT_SUPERVISOR_TIMING,
    oopsQuietMs: opts.profile.timeouts.oopsQuietS * 1000,
    blockedStallMs: opts.profile.timeouts.blockedS * 1000,
  };
}

interface BootArgs {
  opts: RunMachineOptions;
  accel: Accel;
  argv: string[];
  files: AttemptFiles;
  nonce: string;
  markerNonce: string;
  cfg: SupervisorConfig;
}

/** QEMU from start to exit: the console and the results channel into the supervisor and the record. */
async function boot(a: BootArgs, cleanups: Cleanups): Promise<AttemptResult> {
  const { opts, files } = a;
  const runDir = opts.outDir;
  const t0 = performance.now();
  const since = (): number => Math.round(performance.now() - t0);
  const record = new StepRecorder({ runDir, steps: opts.steps, nonce: a.nonce, since });
  const consoleOut: WriteStream = createWriteStream(join(runDir, 'console.log'));
  const stderrOut: WriteStream = createWriteStream(join(runDir, 'qemu.stderr.log'));
  const stderrTail: string[] = [];
  let lastConsoleLine: string | undefined;
  let qemu: ManagedProcess | undefined;
  const loop = new SupervisorLoop(a.cfg, {
    // SysRq over the console: a serial break (QMP), then the key on the console's input.
    sysrq: async (keys) => {
      for (const k of keys) {
        await files.qmp.execute('chardev-send-break', { id: 'con0' });
        await sleep(200);
        qemu?.stdin.write(k);
        await sleep(1000);
      }
    },
    kill: () => qemu?.kill('SIGTERM'),
    progress: (m) => opts.onProgress?.(m),
  });

  // Console: stamp and log each line (its bytes as they came: CONSOLE_LINES is latin1), feed the supervisor.
  const splitter = new LineSplitter((range, start, end) => {
    const text = range.slice(start, end);
    consoleOut.write(stampLine(new Date(), Buffer.from(text, 'latin1')));
    if (text.trim() !== '') lastConsoleLine = text.trim().slice(0, 120);
    if (record.timings.bannerMs === undefined && BANNER_RE.test(text)) record.timings.bannerMs = since();
    loop.dispatch({ type: 'console-line', text });
  }, CONSOLE_LINES);
  const input = new ShellInput(() => qemu);
  const channel = listenToChannel(files.results, a.nonce, (ev) => {
    record.record(ev);
    if (ev.kind === 'output') opts.onStepOutput?.(ev.index, ev.data);
    if (ev.kind === 'note') opts.onProgress?.(`guest: ${ev.text}`);
    if (ev.kind === 'shell') input.shellStarted();
    if (ev.kind !== 'noise') loop.dispatch({ type: 'channel', event: ev });
  });

  const onInterrupt = (): void => loop.dispatch({ type: 'interrupt' });
  const signals = [interruptSignal(), opts.signal].filter((s): s is AbortSignal => s !== undefined);
  for (const s of signals) s.addEventListener('abort', onInterrupt);
  cleanups.add(() => {
    for (const s of signals) s.removeEventListener('abort', onInterrupt);
  });

  opts.onProgress?.(
    `booting ${opts.build.kernelRelease} on '${opts.profile.name}' under ${a.accel.toUpperCase()} (run folder ${runDir})`,
  );
  qemu = await spawnManaged(QEMU_BINARY, a.argv, {
    cwd: runDir,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  cleanups.add(() => {
    // Only reached with QEMU alive when something threw in between.
    if (loop.state.phase !== 'exited') qemu?.kill('SIGKILL');
  });
  loop.begin();
  if (signals.some((s) => s.aborted)) onInterrupt();
  const stdoutDone = new Promise<void>((resolve) => {
    qemu!.stdout.on('end', resolve);
    qemu!.stdout.on('close', resolve);
    qemu!.stdout.on('error', () => resolve());
  });
  qemu.stdout.on('data', (chunk: Buffer) => {
    opts.onConsole?.(chunk);
    splitter.push(chunk);
  });
  qemu.stderr.on('data', (chunk: Buffer) => {
    stderrOut.write(chunk);
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') stderrTail.push(l);
    while (stderrTail.length > 20) stderrTail.shift();
  });
  if (opts.consoleInput) {
    const forward = (chunk: Buffer | string): void => input.write(chunk);
    opts.consoleInput.on('data', forward);
    cleanups.add(() => {
      opts.consoleInput?.off('data', forward);
    });
  }

  const exit = await qemu.exited;
  await stdoutDone;
  splitter.end();
  await channel.drained();
  loop.dispatch({
    type: 'qemu-exit',
    code: exit.exitCode,
    signal: exit.signal,
    ...(exit.spawnError !== undefined ? { spawnError: exit.spawnError } : {}),
    stderr: stderrTail.join('\n'),
  });
  await loop.finished;
  record.timings.endMs = since();
  loop.stop();
  await Promise.all([
    new Promise((r) => consoleOut.end(r)),
    new Promise((r) => stderrOut.end(r)),
    record.finish(),
  ]);
  return {
    exitReason: loop.state.final ?? { kind: 'infrastructure', message: 'the run ended without a reason' },
    steps: record.steps,
    release: record.release,
    timings: record.timings,
    qemuArgv: a.argv,
    qmpEvents: files.qmpEvents,
    bannerSeen: loop.state.bannerSeen,
    lastConsoleLine,
    markerNonce: a.markerNonce,
  };
}

/** Typed input for the guest's shell: held until the shell is up (bytes sent while the serial driver starts are lost). */
class ShellInput {
  #started = false;
  readonly #queued: Buffer[] = [];
  readonly #qemu: () => ManagedProcess | undefined;

  constructor(qemu: () => ManagedProcess | undefined) {
    this.#qemu = qemu;
  }

  write(chunk: Buffer | string): void {
    if (this.#started) this.#qemu()?.stdin.write(chunk);
    else this.#queued.push(Buffer.from(chunk));
  }

  shellStarted(): void {
    this.#started = true;
    for (const chunk of this.#queued.splice(0)) this.#qemu()?.stdin.write(chunk);
  }
}

/**
 * The results channel's bytes as decoded events, once QEMU connects. `drained()` waits
 * (briefly) for the last bytes after QEMU has exited: the socket closes with it.
 */
function listenToChannel(
  connection: Promise<Socket>,
  nonce: string,
  onEvent: (ev: ChannelEvent) => void,
): { drained: () => Promise<void> } {
  const decoder = new ChannelDecoder(nonce);
  const emit = (events: ChannelEvent[]): void => {
    for (const ev of events) onEvent(ev);
  };
  let closed: Promise<void> = Promise.resolve();
  const connected = connection.then((s) => {
    closed = new Promise<void>((resolve) => {
      s.on('data', (chunk: Buffer) => emit(decoder.push(chunk)));
      s.on('error', () => {});
      s.on('close', () => {
        emit(decoder.end());
        resolve();
      });
    });
    return s;
  });
  return {
    drained: async () => {
      if (await Promise.race([connected.then(() => true), sleep(50).then(() => false)])) {
        await Promise.race([closed, sleep(2000)]);
      }
    },
  };
}
