/**
 * Steps: what the host asks the guest to run, and what comes back. A step is one
 * command (an argv or a shell script) with its own timeout; /init runs the steps in
 * order, brackets each with begin/end markers in the kernel log (steps/markers.ts) and
 * returns its output and status on the results channel (channel.ts).
 */
import { STEP_NAME } from '../steps/markers.ts';

export interface StepSpec {
  /** [A-Za-z0-9_.:-]+, unique within a run; it names the step in the log markers. */
  name: string;
  /** Run with exec (no shell). Exactly one of argv and script. */
  argv?: readonly string[];
  /** A busybox sh script body. */
  script?: string;
  /** Seconds the step may run. When they pass, the host asks for a task dump (SysRq w, t). */
  timeoutS: number;
  /**
   * After a timeout and the task dump: 'abort' kills the VM and ends the run as a hang
   * (the default; the right thing when the kernel may be wedged); 'continue' lets /init
   * kill the step's process group and go on with the next step.
   */
  onTimeout?: 'abort' | 'continue';
  env?: Readonly<Record<string, string>>;
  /** Working folder in the guest; default /. */
  cwd?: string;
}

export type StepState =
  /** The guest reported the step's end. */
  | 'finished'
  /** The timeout passed; with onTimeout 'continue' /init killed it and went on. */
  | 'timeout'
  /** Begun but never ended: the run ended (hang, panic, ...) while it ran. */
  | 'incomplete'
  | 'not-run';

export interface StepResult {
  index: number;
  name: string;
  state: StepState;
  /** Exit status (128+signal when killed); undefined unless the guest reported the end. */
  status: number | undefined;
  /**
   * Everything the step wrote to stdout and stderr; past 32 MiB, its first and last 16 MiB
   * with a line between them saying how much was left out (machine/step-output.ts).
   */
  output: string;
  /** The output was longer than what is kept in memory; outputFile has all of it. */
  outputTruncated: boolean;
  /** The same, as a file in the run folder. */
  outputFile: string | undefined;
  /**
   * The run's nonce, which /init hands to the step (not to what the step starts): result
   * markers the step writes into its output carry it (harness/workloads/script.ts).
   */
  nonce: string;
  /** Guest uptime at begin and end, in seconds. */
  guestStart: number | undefined;
  guestEnd: number | undefined;
  /** Host milliseconds since QEMU started. */
  hostStartMs: number | undefined;
  hostEndMs: number | undefined;
}

/** Seconds /init waits, after the host-side timeout, before it kills a 'continue' step itself. */
export const GUEST_KILL_GRACE_S = 20;

export function validateSteps(steps: readonly StepSpec[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const [i, s] of steps.entries()) {
    const at = `step ${i} (${s.name})`;
    if (!STEP_NAME.test(s.name)) errors.push(`${at}: name must match ${STEP_NAME.source}`);
    if (seen.has(s.name)) errors.push(`${at}: duplicate step name`);
    seen.add(s.name);
    if ((s.argv === undefined) === (s.script === undefined))
      errors.push(`${at}: give exactly one of argv and script`);
    if (s.argv !== undefined && s.argv.length === 0) errors.push(`${at}: argv is empty`);
    if (!(Number.isFinite(s.timeoutS) && s.timeoutS > 0))
      errors.push(`${at}: timeoutS must be a positive number`);
    for (const k of Object.keys(s.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) errors.push(`${at}: bad environment variable name ${k}`);
    }
    const texts = [...(s.argv ?? []), s.script ?? '', s.cwd ?? '', ...Object.values(s.env ?? {})];
    if (texts.some((t) => t.includes('\0'))) errors.push(`${at}: NUL bytes cannot be passed to the guest`);
  }
  return errors;
}

/** The seconds /init lets a step run before killing it itself (0: never, the host decides). */
export function guestDeadlineS(step: StepSpec): number {
  return step.onTimeout === 'continue' ? Math.ceil(step.timeoutS) + GUEST_KILL_GRACE_S : 0;
}
