/**
 * One QEMU boot of a run: the run's initrd, fresh sparse NVDIMM files, the two sockets
 * (results channel and QMP, zdh listening, QEMU connecting), QEMU itself, and the event
 * loop that feeds the supervisor (supervisor.ts) and carries out its actions. Everything
 * it creates is removed again when it ends, however it ends.
 */
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestImage } from '../image/assemble.ts';
import { writeRunInitrd } from '../image/initrd.ts';
import { interruptSignal } from '../process/interrupt.ts';
import { type ManagedProcess, spawnManaged } from '../process/run.ts';
import { SOCKET_DIR_MARK } from '../util/cleanup.ts';
import type { AccelChoice } from './accel.ts';
import { ChannelDecoder } from './channel.ts';
import { hmmModuleOptions } from './cmdline.ts';
import { LineSplitter, stampLine } from './console-log.ts';
import type { ExitReason } from './exit-reason.ts';
import { renderPlan } from './plan.ts';
import { QBOOT_ROM, QEMU_BINARY, qemuArgv } from './qemu-args.ts';
import { QmpClient } from './qmp.ts';
import type { MachineResult, RunMachineOptions } from './runner.ts';
import { StepOutput } from './step-output.ts';
import type { StepResult, StepSpec } from './steps.ts';
import {
  BANNER_RE,
  DEFAULT_SUPERVISOR_TIMING,
  type SupervisorAction,
  type SupervisorConfig,
  type SupervisorEvent,
  type SupervisorState,
  start,
  step as supervise,
  type TimerId,
} from './supervisor.ts';

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

function randomId(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Unix socket paths are limited to 107 bytes; long run folders get their sockets in /tmp,
 * in zdh-sockets-<pid>-XXXXXX with a mark file, so that a sweep (util/cleanup.ts
 * sweepSocketDirs) can tell a dead zdh's from anything else in /tmp.
 */
async function socketDir(runDir: string): Promise<{ dir: string; temporary: boolean }> {
  if (Buffer.byteLength(join(runDir, 'results.sock')) <= 100) return { dir: runDir, temporary: false };
  const dir = await mkdtemp(join(tmpdir(), `zdh-sockets-${process.pid}-`));
  await writeFile(join(dir, SOCKET_DIR_MARK), `${process.pid}\n`);
  return { dir, temporary: true };
}

/** A server for one connection from QEMU. */
async function listenOnce(path: string): Promise<{ server: Server; connection: Promise<Socket> }> {
  await rm(path, { force: true });
  const server = createServer();
  const connection = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return { server, connection };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function sparseFile(path: string, size: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

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
  const runId = randomId(8);

  // The run's initrd: the cached image plus this run's plan.
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
  const initrd = join(runDir, 'initrd.cpio');
  // Whatever this attempt creates is undone in `finally`, however the attempt ends.
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    if (!opts.keepDisks) cleanups.push(() => rm(initrd, { force: true }));
    await writeRunInitrd(image.path, plan, initrd);

    // Fresh sparse backing files: labels live in them, so reuse would bring back old namespaces.
    const nvdimmFiles: string[] = [];
    for (const [i, d] of profile.nvdimms.entries()) {
      const f = join(runDir, `nvdimm${i}.img`);
      await rm(f, { force: true });
      if (!opts.keepDisks) cleanups.push(() => rm(f, { force: true }));
      await sparseFile(f, d.fileSize);
      nvdimmFiles.push(f);
    }

    const sockets = await socketDir(runDir);
    if (sockets.temporary) cleanups.push(() => rm(sockets.dir, { recursive: true, force: true }));
    const resultsPath = join(sockets.dir, 'results.sock');
    const qmpPath = join(sockets.dir, 'qmp.sock');
    cleanups.push(
      () => rm(resultsPath, { force: true }),
      () => rm(qmpPath, { force: true }),
    );
    const results = await listenOnce(resultsPath);
    cleanups.push(() => {
      results.server.close();
      void results.connection.then((s) => s.destroy());
    });
    const qmpServer = await listenOnce(qmpPath);
    const qmp = new QmpClient();
    cleanups.push(() => {
      qmp.close();
      qmpServer.server.close();
    });
    const qmpEvents: string[] = [];
    qmp.onEvent = (e) => qmpEvents.push(e.event);
    void qmpServer.connection.then((s) => qmp.attach(s));

    const argv = qemuArgv(
      profile,
      choice.accel,
      {
        kernel: opts.build.bzImage,
        initrd,
        resultsSocket: resultsPath,
        qmpSocket: qmpPath,
        nvdimmFiles,
        qboot: existsSync(QBOOT_ROM) ? QBOOT_ROM : undefined,
      },
      cmdline,
      `zdh-${runId}`,
    );
    const bannerS = choice.probe
      ? profile.timeouts.kvmBannerS
      : (opts.timeouts?.bannerS ?? profile.timeouts.bannerS);
    const initS = opts.timeouts?.initS ?? profile.timeouts.initS;
    const runS =
      mode === 'shell' ? undefined : (opts.timeouts?.runS ?? defaultRunTimeoutS(opts.steps, bannerS, initS));
    await writeFile(
      join(runDir, 'machine.json'),
      `${JSON.stringify(
        {
          profile,
          accel: choice,
          kernel: opts.build,
          cmdline,
          qemuArgv: [QEMU_BINARY, ...argv],
          image: image.path,
          timeouts: { bannerS, initS, runS },
          steps: opts.steps,
        },
        null,
        2,
      )}\n`,
    );

    const cfg: SupervisorConfig = {
      steps: opts.steps,
      bannerTimeoutMs: bannerS * 1000,
      initTimeoutMs: initS * 1000,
      runTimeoutMs: runS === undefined ? undefined : runS * 1000,
      markerNonce,
      ...DEFAULT_SUPERVISOR_TIMING,
      oopsQuietMs: profile.timeouts.oopsQuietS * 1000,
      blockedStallMs: profile.timeouts.blockedS * 1000,
    };

    const consoleOut: WriteStream = createWriteStream(join(runDir, 'console.log'));
    const stderrOut: WriteStream = createWriteStream(join(runDir, 'qemu.stderr.log'));
    const stderrTail: string[] = [];
    const stepResults: StepResult[] = opts.steps.map((s, index) => ({
      index,
      name: s.name,
      state: 'not-run',
      status: undefined,
      output: '',
      outputTruncated: false,
      outputFile: undefined,
      nonce,
      guestStart: undefined,
      guestEnd: undefined,
      hostStartMs: undefined,
      hostEndMs: undefined,
    }));
    const outputs = new Map<number, { kept: StepOutput; file: WriteStream }>();
    const timings: MachineResult['timings'] = { endMs: 0 };
    let release: string | undefined;
    let shellStarted = false;
    let lastConsoleLine: string | undefined;
    const queuedInput: Buffer[] = [];

    const t0 = performance.now();
    const since = (): number => Math.round(performance.now() - t0);
    const timers = new Map<TimerId, NodeJS.Timeout>();
    let qemu: ManagedProcess | undefined;
    let sup: { state: SupervisorState } = { state: undefined as unknown as SupervisorState };
    let settle: (() => void) | undefined;
    const finished = new Promise<void>((r) => {
      settle = r;
    });

    const perform = (actions: SupervisorAction[]): void => {
      for (const a of actions) {
        switch (a.type) {
          case 'arm': {
            clearTimeout(timers.get(a.id));
            timers.set(
              a.id,
              setTimeout(() => dispatch({ type: 'timer', id: a.id }), a.ms),
            );
            break;
          }
          case 'disarm':
            clearTimeout(timers.get(a.id));
            timers.delete(a.id);
            break;
          case 'sysrq':
            void sendSysrq(a.keys).catch((e: unknown) =>
              opts.onProgress?.(`task dump request failed: ${e instanceof Error ? e.message : String(e)}`),
            );
            break;
          case 'kill':
            qemu?.kill('SIGTERM');
            break;
          case 'progress':
            opts.onProgress?.(a.message);
            break;
        }
      }
    };
    const dispatch = (ev: SupervisorEvent): void => {
      const r = supervise(sup.state, cfg, ev);
      perform(r.actions);
      if (r.state.final !== undefined) settle?.();
    };

    /** SysRq over the console: a serial break (QMP), then the key on the console's input. */
    const sendSysrq = async (keys: readonly string[]): Promise<void> => {
      for (const k of keys) {
        await qmp.execute('chardev-send-break', { id: 'con0' });
        await sleep(200);
        qemu?.stdin.write(k);
        await sleep(1000);
      }
    };

    // Console: stamp and log each line, feed the supervisor.
    const splitter = new LineSplitter((line) => {
      consoleOut.write(stampLine(new Date(), line));
      const text = line.toString('latin1');
      if (text.trim() !== '') lastConsoleLine = text.trim().slice(0, 120);
      if (timings.bannerMs === undefined && BANNER_RE.test(text)) timings.bannerMs = since();
      dispatch({ type: 'console-line', text });
    });

    // Results channel.
    const decoder = new ChannelDecoder(nonce);
    let lastBeatMs: number | undefined;
    const onChannel = (events: ReturnType<ChannelDecoder['push']>): void => {
      for (const ev of events) {
        switch (ev.kind) {
          case 'ready':
            release = ev.release;
            timings.readyMs = since();
            lastBeatMs = timings.readyMs;
            break;
          case 'alive': {
            const now = since();
            if (lastBeatMs !== undefined) {
              timings.maxHeartbeatGapMs = Math.max(
                timings.maxHeartbeatGapMs ?? 0,
                Math.round(now - lastBeatMs),
              );
            }
            lastBeatMs = now;
            break;
          }
          case 'begin': {
            const r = stepResults[ev.index];
            if (r) {
              if (timings.firstStepMs === undefined) timings.firstStepMs = since();
              r.state = 'incomplete';
              r.guestStart = ev.uptime;
              r.hostStartMs = since();
              const file = join(runDir, 'steps', `${ev.index}-${safeName(ev.name)}.out`);
              r.outputFile = file;
              outputs.set(ev.index, { kept: new StepOutput(), file: createWriteStream(file) });
            }
            break;
          }
          case 'output': {
            const o = outputs.get(ev.index);
            o?.kept.push(ev.data);
            o?.file.write(ev.data);
            opts.onStepOutput?.(ev.index, ev.data);
            break;
          }
          case 'end': {
            const r = stepResults[ev.index];
            if (r) {
              r.state = ev.timedOut ? 'timeout' : 'finished';
              r.status = ev.status;
              r.guestEnd = ev.uptime;
              r.hostEndMs = since();
            }
            outputs.get(ev.index)?.file.end();
            break;
          }
          case 'note':
            opts.onProgress?.(`guest: ${ev.text}`);
            break;
          case 'shell':
            shellStarted = true;
            for (const chunk of queuedInput.splice(0)) qemu?.stdin.write(chunk);
            break;
          case 'noise':
            break;
          default:
            break;
        }
        if (ev.kind !== 'noise') dispatch({ type: 'channel', event: ev });
      }
    };
    let channelClosed: Promise<void> = Promise.resolve();
    const channelSocket = results.connection.then((s) => {
      channelClosed = new Promise<void>((resolve) => {
        s.on('data', (chunk: Buffer) => onChannel(decoder.push(chunk)));
        s.on('error', () => {});
        s.on('close', () => {
          onChannel(decoder.end());
          resolve();
        });
      });
      return s;
    });

    const onInterrupt = (): void => dispatch({ type: 'interrupt' });
    const signals = [interruptSignal(), opts.signal].filter((s): s is AbortSignal => s !== undefined);
    for (const s of signals) s.addEventListener('abort', onInterrupt);
    cleanups.push(() => {
      for (const s of signals) s.removeEventListener('abort', onInterrupt);
    });

    opts.onProgress?.(
      `booting ${opts.build.kernelRelease} on '${profile.name}' under ${choice.accel.toUpperCase()} (run folder ${runDir})`,
    );
    const started = start(cfg);
    sup = { state: started.state };
    qemu = spawnManaged(QEMU_BINARY, argv, { cwd: runDir, ...(opts.signal ? { signal: opts.signal } : {}) });
    cleanups.push(() => {
      // Only reached with QEMU alive when something threw in between.
      if (sup.state.phase !== 'exited') qemu?.kill('SIGKILL');
    });
    perform(started.actions);
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
    // Typed input waits for the guest's shell: bytes sent while the serial driver starts are lost.
    const forwardInput = (chunk: Buffer | string): void => {
      if (shellStarted) qemu?.stdin.write(chunk);
      else queuedInput.push(Buffer.from(chunk));
    };
    opts.consoleInput?.on('data', forwardInput);
    cleanups.push(() => {
      opts.consoleInput?.off('data', forwardInput);
    });

    const exit = await qemu.exited;
    await stdoutDone;
    splitter.flush();
    // The results socket closes with QEMU; wait for its last bytes.
    if (await Promise.race([channelSocket.then(() => true), sleep(50).then(() => false)])) {
      await Promise.race([channelClosed, sleep(2000)]);
    }
    dispatch({
      type: 'qemu-exit',
      code: exit.exitCode,
      signal: exit.signal,
      ...(exit.spawnError !== undefined ? { spawnError: exit.spawnError } : {}),
      stderr: stderrTail.join('\n'),
    });
    await finished;
    timings.endMs = since();

    for (const t of timers.values()) clearTimeout(t);
    await Promise.all([
      new Promise((r) => consoleOut.end(r)),
      new Promise((r) => stderrOut.end(r)),
      ...[...outputs.values()].map((o) => new Promise((r) => o.file.end(r))),
    ]);
    for (const [i, o] of outputs) {
      const r = stepResults[i];
      if (r) {
        r.output = o.kept.text();
        r.outputTruncated = o.kept.truncated;
      }
    }

    return {
      exitReason: sup.state.final ?? { kind: 'infrastructure', message: 'the run ended without a reason' },
      steps: stepResults,
      release,
      timings,
      qemuArgv: argv,
      qmpEvents,
      bannerSeen: sup.state.bannerSeen,
      lastConsoleLine,
      markerNonce,
    };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // best effort: the rest still runs
      }
    }
  }
}
