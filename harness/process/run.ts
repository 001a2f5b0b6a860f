import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { ResultPromise } from 'execa';
import { infraError } from '../errors.ts';
import { siblingModule } from '../util/paths.ts';
import { interruptSignal } from './interrupt.ts';

/**
 * The one way zdh starts a subprocess: an argument array (never a shell string), its own
 * process group, and the whole group killed on timeout, on cancel (Ctrl-C) and when zdh exits.
 *
 * Exit hooks do not run when zdh is SIGKILLed, so every group is also registered with the
 * watchdog (watchdog.ts): a process of its own, in its own session, that kills the groups
 * still registered once zdh's pipe to it closes. No QEMU or make outlives zdh.
 */
let watchdog: ChildProcess | undefined;

function watchdogPipe(): Writable | undefined {
  if (watchdog === undefined) {
    watchdog = spawn(process.execPath, [siblingModule('watchdog', import.meta.url), '--zdh-watchdog'], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.on('error', () => {});
    watchdog.stdin?.on('error', () => {});
    // Neither the watchdog nor its pipe keeps zdh alive; the pipe closes when zdh exits.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  return watchdog.stdin ?? undefined;
}

let execaModule: Promise<typeof import('execa')> | undefined;

/**
 * execa, loaded with the first subprocess: it is a tenth of a second of module loading that a
 * start running none (a cache hit of `zdh build`, `--help`) does not pay.
 */
async function loadExeca(): Promise<typeof import('execa')['execa']> {
  execaModule ??= import('execa');
  return (await execaModule).execa;
}

/**
 * What every long-running subprocess shares: its own process group, killed as a whole on
 * cancel (the process-wide interrupt, plus the caller's signal) and when zdh exits.
 */
function groupOptions(opts: {
  cwd?: string;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}) {
  const signals = [interruptSignal(), opts.signal].filter((s): s is AbortSignal => s !== undefined);
  return {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    reject: false,
    buffer: false,
    killDescendants: true,
    cleanup: true,
    forceKillAfterDelay: 5000,
    cancelSignal: AbortSignal.any(signals),
  } as const;
}

/** Registers a started subprocess's group with the watchdog until zdh reaps it. */
function guard<T extends ResultPromise>(sub: T): T {
  const pgid = sub.pid;
  if (pgid === undefined) return sub;
  const pipe = watchdogPipe();
  pipe?.write(`+${pgid}\n`);
  const done = (): void => {
    pipe?.write(`-${pgid}\n`);
  };
  sub.then(done, done);
  return sub;
}
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Every output line (stdout and stderr interleaved) is appended here as it arrives. */
  log?: Writable;
  /** Called for each output line, e.g. to drive progress. */
  onLine?: (line: string) => void;
  /** Kill the group after this many milliseconds. */
  timeoutMs?: number;
  /** Extra cancellation on top of the process-wide interrupt. */
  signal?: AbortSignal;
  /** Bytes fed to stdin. */
  input?: string | Uint8Array;
  /** How many trailing output lines to keep for error messages. */
  keepLines?: number;
}

export interface RunResult {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  canceled: boolean;
  /** The last `keepLines` output lines. */
  tail: string[];
  durationMs: number;
}

export async function runLogged(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const started = performance.now();
  const keep = opts.keepLines ?? 200;
  const tail: string[] = [];
  const execa = await loadExeca();
  const sub = guard(
    execa(file, args, {
      ...groupOptions(opts),
      all: true,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      input: opts.input,
      ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
    }),
  );
  let partial = '';
  sub.all?.on('data', (chunk: Buffer) => {
    opts.log?.write(chunk);
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > keep) tail.shift();
      opts.onLine?.(line);
    }
  });
  const result = await sub;
  if (partial) {
    tail.push(partial);
    if (tail.length > keep) tail.shift();
    opts.onLine?.(partial);
  }
  if (
    result.failed &&
    result.exitCode === undefined &&
    !result.isCanceled &&
    !result.timedOut &&
    !result.signal
  ) {
    throw infraError(`cannot run ${file}: ${result.shortMessage}`, {
      hint: `install ${file} (see the README's set-up command)`,
    });
  }
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    tail,
    durationMs: performance.now() - started,
  };
}

/** Runs a short command and returns its stdout; a failure is an infrastructure error naming the command. */
export async function runCapture(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const execa = await loadExeca();
  const result = await guard(
    execa(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      reject: false,
      killDescendants: true,
      cleanup: true,
      stripFinalNewline: true,
      cancelSignal: interruptSignal(),
      ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
      ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
    }),
  );
  if (result.failed) {
    const why = result.exitCode === undefined ? result.shortMessage : (result.stderr || result.stdout).trim();
    throw infraError(`${file} ${args.join(' ')} failed: ${(why ?? '').split('\n').slice(-5).join(' | ')}`);
  }
  return result.stdout;
}

/**
 * A long-lived subprocess (QEMU) whose streams the caller drives: stdin, stdout and stderr
 * are pipes the caller reads and writes; the process group is still killed on cancel
 * (Ctrl-C), on `kill()` and when zdh exits.
 */
export interface ManagedProcess {
  pid: number | undefined;
  stdin: Writable;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  /** Signals the whole process group (SIGKILL follows after 5 s if it is still alive). */
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the process has exited and its streams have ended; never rejects. */
  exited: Promise<ManagedExit>;
}

export interface ManagedExit {
  exitCode: number | undefined;
  signal: string | undefined;
  canceled: boolean;
  /** Set when the process could not be started at all (e.g. the binary is missing). */
  spawnError: string | undefined;
  durationMs: number;
}

export async function spawnManaged(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; signal?: AbortSignal } = {},
): Promise<ManagedProcess> {
  const execa = await loadExeca();
  const started = performance.now();
  const sub = guard(
    execa(file, args, {
      ...groupOptions(opts),
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      encoding: 'buffer',
    }),
  );
  // Writing to a QEMU that already exited must not crash zdh.
  sub.stdin.on('error', () => {});
  const exited = sub.then(
    (result): ManagedExit => ({
      exitCode: result.exitCode,
      signal: result.signal,
      canceled: result.isCanceled,
      spawnError:
        result.failed && result.exitCode === undefined && !result.isCanceled && !result.signal
          ? result.shortMessage
          : undefined,
      durationMs: performance.now() - started,
    }),
    (error: unknown): ManagedExit => ({
      exitCode: undefined,
      signal: undefined,
      canceled: false,
      spawnError: error instanceof Error ? error.message : String(error),
      durationMs: performance.now() - started,
    }),
  );
  return {
    pid: sub.pid,
    stdin: sub.stdin,
    stdout: sub.stdout,
    stderr: sub.stderr,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      sub.kill(signal);
    },
    exited,
  };
}
