/**
 * The run's decisions, as a pure state machine: events in (console lines, channel
 * frames, timers, QEMU's exit), actions out (arm/disarm a timer, ask for a task dump,
 * kill QEMU). The edge (runner.ts) performs the actions and feeds the events; tests drive
 * it with event lists.
 *
 * Timeouts: boot (no banner; banner but no ready from /init), per step, the whole run.
 * When one passes after the kernel is up, the guest is asked for a task dump (SysRq w and
 * t), the console is given time to print it, then QEMU is killed. A panic line ends the
 * run at once and wins over any timeout.
 *
 * A step's end is announced twice: /init writes the `end` frame on the results channel
 * (ttyS1, interrupt-driven), then `zdh: step end <name> status=N` to the kernel log (the
 * console, polled). When the console shows the end but the frame does not follow within
 * resultsStallMs, the guest has stopped servicing interrupts (seen: one CPU oopsed, the
 * other spun in rwsem_down_read_slowpath with interrupts off): that is a hang too, and
 * waiting for the step's own timeout would only waste it.
 *
 * From /init's ready frame on, the guest also sends a heartbeat every few seconds on the
 * results channel. When none comes for heartbeatStallMs while steps run, the guest has
 * stopped (seen: an oops cut off mid-register-dump, then nothing on either port for
 * minutes): a hang, stopped at once instead of at the step's timeout.
 *
 * And when the kernel, after an oops (`Oops: 0002 [#1]`, `invalid opcode: 0000 [#1]`,
 * `general protection fault, …: 0000 [#1]`), reports a stall (RCU, soft or hard lockup),
 * the CPU that oopsed is wedged (seen: `note: hmm-tests[1849] exited with irqs disabled`,
 * then RCU stalls every minute while the heartbeat still came from the other CPU). Nothing
 * more will come of the run: task dump, then stop.
 *
 * Two more rules judge a step stuck long before its own time limit (a bisect or a nightly
 * run pays every minute of waiting at every bad step):
 * - a fatal report (the oops header of die(): a kernel BUG, a fault, a GPF) while a step
 *   runs, and then no output from the step for oopsQuietMs. Seen: a double put after
 *   device-private migration oopsed 1.7 s into hmm-tests, and each later case then sat in
 *   kselftest's 30 s limit, for minutes. A step that still makes progress after an oops
 *   runs on: its later cases are worth having;
 * - the hung-task detector reporting the same task twice in a row (at its next check, so
 *   it stayed blocked without a single context switch between the two) while a step runs.
 *   Tasks it reported before the step began (left over from an earlier step that was
 *   killed) are not held against this one. /init sets the detector's timeout to a few
 *   seconds (profile guest.hungTaskTimeoutS), so this is ten seconds or so, not minutes.
 * - a task of the step in D state that makes no progress (the same context-switch count)
 *   for blockedStallMs, from /init's list of the step's blocked tasks with each heartbeat.
 *   The hung-task detector says so sooner; this holds on kernels without one, and after it
 *   has used up its warnings (kernel.hung_task_warnings, 10 by default).
 * All three end the run like any hang: task dump (SysRq w, t), then QEMU is stopped; the steps
 * not run are reported as not run because of it (workloads/results.ts).
 *
 * Guest user space can put lines on the console too: through /dev/kmsg, or by writing to
 * the console device. None of them counts as the kernel's: a line the console shows as a
 * /dev/kmsg record (a facility other than the kernel's, console-log.ts lineOrigin) is
 * never a banner, panic, oops or stall; a step end counts only as a printk record that
 * carries the boot's marker nonce (steps/markers.ts).
 */
import { markerOf } from '../steps/markers.ts';
import type { ChannelEvent } from './channel.ts';
import { lineOrigin } from './console-log.ts';
import type { ExitReason } from './exit-reason.ts';
import { GUEST_KILL_GRACE_S, type StepSpec } from './steps.ts';

export type TimerId =
  | 'banner'
  | 'init'
  | 'run'
  | `step:${number}`
  | `backstop:${number}`
  | 'dump-quiet'
  | 'dump-max'
  | 'shutdown'
  | 'panic-grace'
  | 'results-stall'
  | 'heartbeat'
  | 'oops-quiet';

export interface SupervisorConfig {
  steps: readonly Pick<StepSpec, 'name' | 'timeoutS' | 'onTimeout'>[];
  bannerTimeoutMs: number;
  /** From the banner to /init's ready frame. */
  initTimeoutMs: number;
  /** The whole run, from QEMU's start; undefined for none (interactive shell). */
  runTimeoutMs: number | undefined;
  /** The task dump is over when the console has been quiet this long... */
  dumpQuietMs: number;
  /** ...or after this long at most. */
  dumpMaxMs: number;
  /** After /init's done frame, QEMU should exit by itself (poweroff) within this. */
  shutdownMs: number;
  /** After a panic line, QEMU should exit by itself (panic=-1, -no-reboot) within this. */
  panicGraceMs: number;
  /** A 'continue' step that /init failed to kill: how long after its guest deadline to give up. */
  backstopMs: number;
  /** The console said a step ended: its end frame must arrive within this. */
  resultsStallMs: number;
  /** While steps run, the guest's heartbeat must come at least this often. */
  heartbeatStallMs: number;
  /** This boot's nonce in /init's kernel-log step markers (steps/markers.ts). */
  markerNonce: string;
  /** After a fatal report in a step, the step must show output at least this often. */
  oopsQuietMs: number;
  /** A task of the step in D state without a context switch this long is stuck. */
  blockedStallMs: number;
}

export const DEFAULT_SUPERVISOR_TIMING = {
  dumpQuietMs: 3000,
  dumpMaxMs: 30_000,
  shutdownMs: 20_000,
  panicGraceMs: 5000,
  backstopMs: 30_000,
  resultsStallMs: 30_000,
  // /init beats every 5 s: a minute without one is 12 missed beats. The longest gap between
  // beats in 136 runs of 2026-12-05/06 (passing and failing, TCG, a busy 2-core host) was 5.6 s.
  heartbeatStallMs: 60_000,
  oopsQuietMs: 15_000,
  blockedStallMs: 60_000,
};

export type SupervisorEvent =
  | { type: 'console-line'; text: string }
  | { type: 'channel'; event: ChannelEvent }
  | { type: 'timer'; id: TimerId }
  | {
      type: 'qemu-exit';
      code: number | undefined;
      signal: string | undefined;
      spawnError?: string;
      stderr: string;
    }
  | { type: 'interrupt' }
  /** A channel or the monitor broke, or an action failed. */
  | { type: 'infrastructure'; message: string };

export type SupervisorAction =
  | { type: 'arm'; id: TimerId; ms: number }
  | { type: 'disarm'; id: TimerId }
  | { type: 'sysrq'; keys: string[] }
  | { type: 'kill' }
  | { type: 'progress'; message: string };

export type Phase = 'boot' | 'kernel' | 'running' | 'shell' | 'dumping' | 'stopping' | 'exited';

export interface SupervisorState {
  phase: Phase;
  bannerSeen: boolean;
  readySeen: boolean;
  doneSeen: boolean;
  panic: string | undefined;
  /** The reason decided before QEMU exited (a timeout, an interrupt). */
  pending: ExitReason | undefined;
  /** Set once QEMU has exited. */
  final: ExitReason | undefined;
  currentStep: number | undefined;
  /** The first oops header on the console (x86 die(): `…: NNNN [#N]`), if any. */
  oops: string | undefined;
  /** The first fatal report (oops header) while the current step runs. */
  stepOops: string | undefined;
  /** Hung-task reports while the current step runs, by task (`comm:pid`). */
  hungReports: Record<string, number>;
  /** Tasks the hung-task detector reported before the current step began (leftovers). */
  hungBefore: string[];
  /** The step's tasks in D state at /init's last report, with the guest uptime each was first seen so. */
  blocked: Record<number, { switches: number; comm: string; sinceUptime: number }>;
  /** The console's `zdh: step end` line of the current step, while its end frame is awaited. */
  consoleEnd: { step: number; status: number } | undefined;
  timedOutSteps: number[];
  armed: TimerId[];
}

export const BANNER_RE = /Linux version \d+\.\d+\S* /;
export const PANIC_RE = /Kernel panic - not syncing: ?(.*)$/;
/** x86 die()'s header: `Oops: 0002 [#1] PREEMPT SMP`, `invalid opcode: 0000 [#1] …`, `general protection fault, …: 0000 [#1] …`. */
export const OOPS_RE =
  /\] ((?:Oops|invalid opcode|general protection fault\b[^:]*): [0-9a-f]{4} \[#\d+\].*)$/;
/** The kernel saying a CPU or task is stuck. */
/** The hung-task detector (kernel/hung_task.c check_hung_task, 3.x to mainline). */
export const HUNG_TASK_RE = /(?:^|\] )INFO: task (.+):(\d+) blocked for more than (\d+) seconds\./;
export const STALL_RE =
  /(?:^|\] )((?:rcu: INFO: rcu_\w+ (?:detected stalls?|self-detected stall)|watchdog: BUG: soft lockup|NMI watchdog: Watchdog detected hard LOCKUP).*)$/;

export function initialState(): SupervisorState {
  return {
    phase: 'boot',
    bannerSeen: false,
    readySeen: false,
    doneSeen: false,
    panic: undefined,
    pending: undefined,
    final: undefined,
    currentStep: undefined,
    oops: undefined,
    stepOops: undefined,
    hungReports: {},
    hungBefore: [],
    blocked: {},
    consoleEnd: undefined,
    timedOutSteps: [],
    armed: [],
  };
}

export function start(cfg: SupervisorConfig): { state: SupervisorState; actions: SupervisorAction[] } {
  const state = initialState();
  const actions: SupervisorAction[] = [];
  arm(state, actions, 'banner', cfg.bannerTimeoutMs);
  if (cfg.runTimeoutMs !== undefined) arm(state, actions, 'run', cfg.runTimeoutMs);
  return { state, actions };
}

function arm(state: SupervisorState, actions: SupervisorAction[], id: TimerId, ms: number): void {
  if (!state.armed.includes(id)) state.armed.push(id);
  actions.push({ type: 'arm', id, ms });
}

function disarm(state: SupervisorState, actions: SupervisorAction[], id: TimerId): void {
  const i = state.armed.indexOf(id);
  if (i < 0) return;
  state.armed.splice(i, 1);
  actions.push({ type: 'disarm', id });
}

function disarmAll(state: SupervisorState, actions: SupervisorAction[], keep: readonly TimerId[] = []): void {
  for (const id of [...state.armed]) if (!keep.includes(id)) disarm(state, actions, id);
}

function stepName(cfg: SupervisorConfig, i: number | undefined): string | undefined {
  return i === undefined ? undefined : (cfg.steps[i]?.name ?? `#${i}`);
}

/** Ask for a task dump, then kill once the console has printed it. */
function dumpThenKill(
  state: SupervisorState,
  cfg: SupervisorConfig,
  actions: SupervisorAction[],
  reason: ExitReason,
): void {
  state.pending = reason;
  disarmAll(state, actions);
  state.phase = 'dumping';
  actions.push({ type: 'sysrq', keys: ['w', 't'] });
  arm(state, actions, 'dump-quiet', cfg.dumpQuietMs);
  arm(state, actions, 'dump-max', cfg.dumpMaxMs);
}

function kill(state: SupervisorState, actions: SupervisorAction[]): void {
  disarmAll(state, actions);
  state.phase = 'stopping';
  actions.push({ type: 'kill' });
}

/**
 * Applies one event: the next state and the actions to perform. The state passed in is
 * left as it was (the helpers below work on a copy), so a caller keeps only what it stores.
 */
export function step(
  prev: SupervisorState,
  cfg: SupervisorConfig,
  ev: SupervisorEvent,
): { state: SupervisorState; actions: SupervisorAction[] } {
  const actions: SupervisorAction[] = [];
  if (prev.phase === 'exited') return { state: prev, actions };
  const state = structuredClone(prev);
  switch (ev.type) {
    case 'console-line': {
      // Written to /dev/kmsg by user space: text, never a kernel message.
      const fromUser = lineOrigin(ev.text) === 'user';
      if (!state.bannerSeen && !fromUser && BANNER_RE.test(ev.text)) {
        state.bannerSeen = true;
        if (state.phase === 'boot') state.phase = 'kernel';
        disarm(state, actions, 'banner');
        if (state.phase === 'kernel') arm(state, actions, 'init', cfg.initTimeoutMs);
        actions.push({ type: 'progress', message: 'kernel started' });
      }
      const p = fromUser ? null : PANIC_RE.exec(ev.text);
      if (p && state.panic === undefined) {
        state.panic = p[1]!.trim();
        disarmAll(state, actions);
        state.phase = 'stopping';
        arm(state, actions, 'panic-grace', cfg.panicGraceMs);
        actions.push({ type: 'progress', message: `kernel panic: ${state.panic}` });
      } else if (state.phase === 'dumping') {
        arm(state, actions, 'dump-quiet', cfg.dumpQuietMs);
      } else {
        onConsoleStepEnd(state, cfg, ev.text, actions);
        if (!fromUser) onConsoleOopsAndStall(state, cfg, ev.text, actions);
      }
      break;
    }
    case 'channel':
      onChannel(state, cfg, ev.event, actions);
      break;
    case 'timer':
      onTimer(state, cfg, ev.id, actions);
      break;
    case 'interrupt':
      if (state.phase !== 'stopping') {
        state.pending = { kind: 'interrupted' };
        kill(state, actions);
      }
      break;
    case 'infrastructure':
      if (state.pending === undefined && state.panic === undefined && !state.doneSeen) {
        state.pending = { kind: 'infrastructure', message: ev.message };
        kill(state, actions);
      }
      break;
    case 'qemu-exit':
      disarmAll(state, actions);
      state.final = finalReason(state, ev);
      state.phase = 'exited';
      break;
  }
  return { state, actions };
}

function onConsoleStepEnd(
  state: SupervisorState,
  cfg: SupervisorConfig,
  text: string,
  actions: SupervisorAction[],
): void {
  if (state.phase !== 'running' || state.currentStep === undefined || state.consoleEnd !== undefined) return;
  // /init's marker is a printk record (it writes to /dev/kmsg) with the boot's nonce.
  if (lineOrigin(text) === 'console') return;
  const m = markerOf(text, cfg.markerNonce);
  if (m?.kind !== 'end' || m.step !== stepName(cfg, state.currentStep)) return;
  state.consoleEnd = { step: state.currentStep, status: m.status };
  arm(state, actions, 'results-stall', cfg.resultsStallMs);
}

/** The step a hang found running (with its timeout), or none between steps. */
function runningStep(state: SupervisorState, cfg: SupervisorConfig): { step: string; timeoutS: number } {
  const n = state.currentStep;
  return n === undefined
    ? { step: '(between steps)', timeoutS: 0 }
    : { step: stepName(cfg, n)!, timeoutS: cfg.steps[n]?.timeoutS ?? 0 };
}

function onConsoleOopsAndStall(
  state: SupervisorState,
  cfg: SupervisorConfig,
  text: string,
  actions: SupervisorAction[],
): void {
  if (state.phase !== 'running') return;
  const o = OOPS_RE.exec(text);
  if (o) {
    const header = o[1]!.trim();
    state.oops ??= header;
    if (state.currentStep !== undefined && state.stepOops === undefined) {
      state.stepOops = header;
      arm(state, actions, 'oops-quiet', cfg.oopsQuietMs);
    }
    return;
  }
  const h = HUNG_TASK_RE.exec(text);
  if (h) {
    onHungTask(state, cfg, `${h[1]!}:${h[2]!}`, Number(h[3]), actions);
    return;
  }
  if (state.oops === undefined) return;
  const st = STALL_RE.exec(text);
  if (!st) return;
  const stall = st[1]!.trim();
  actions.push({
    type: 'progress',
    message: `the kernel oopsed (${state.oops}) and then reported a stall (${stall}); asking for a task dump, then stopping the VM`,
  });
  dumpThenKill(state, cfg, actions, {
    kind: 'hang',
    ...runningStep(state, cfg),
    wedged: { oops: state.oops, stall },
  });
}

/**
 * /init's list of the step's tasks in D state (every heartbeat while a step runs). A task
 * that stays in it with the same context-switch count for blockedStallMs of guest time has
 * made no progress at all: stuck, whether or not the kernel has a hung-task detector.
 */
function onBlocked(
  state: SupervisorState,
  cfg: SupervisorConfig,
  ev: ChannelEvent & { kind: 'blocked' },
  actions: SupervisorAction[],
): void {
  if (!Number.isFinite(ev.uptime)) return;
  const next: SupervisorState['blocked'] = {};
  for (const t of ev.tasks) {
    const prev = state.blocked[t.tid];
    next[t.tid] =
      prev && prev.switches === t.switches && prev.comm === t.comm
        ? prev
        : { switches: t.switches, comm: t.comm, sinceUptime: ev.uptime };
  }
  state.blocked = next;
  const limitS = cfg.blockedStallMs / 1000;
  const stuck = Object.entries(next).find(([, b]) => ev.uptime - b.sinceUptime >= limitS);
  if (!stuck) return;
  const [tid, b] = stuck;
  const task = `${b.comm}:${tid}`;
  const forS = Math.round((ev.uptime - b.sinceUptime) * 10) / 10;
  const { step: name } = runningStep(state, cfg);
  actions.push({
    type: 'progress',
    message: `step ${name}: task ${task} has been in D state for ${forS} s without a context switch; asking for a task dump, then stopping the VM`,
  });
  dumpThenKill(state, cfg, actions, {
    kind: 'hang',
    ...runningStep(state, cfg),
    blockedTask: { task, forS },
  });
}

/** The second report of a task in a row, while a step runs: it is stuck. */
function onHungTask(
  state: SupervisorState,
  cfg: SupervisorConfig,
  task: string,
  blockedS: number,
  actions: SupervisorAction[],
): void {
  if (state.currentStep === undefined) {
    if (!state.hungBefore.includes(task)) state.hungBefore.push(task);
    return;
  }
  if (state.hungBefore.includes(task)) return;
  const reports = (state.hungReports[task] ?? 0) + 1;
  state.hungReports[task] = reports;
  if (reports < 2) return;
  const { step: name } = runningStep(state, cfg);
  actions.push({
    type: 'progress',
    message: `step ${name}: the kernel reported task ${task} blocked (more than ${blockedS} s) twice in a row; asking for a task dump, then stopping the VM`,
  });
  dumpThenKill(state, cfg, actions, {
    kind: 'hang',
    ...runningStep(state, cfg),
    hungTask: { task, blockedS },
  });
}

function onChannel(
  state: SupervisorState,
  cfg: SupervisorConfig,
  ev: ChannelEvent,
  actions: SupervisorAction[],
): void {
  if (state.phase === 'stopping' || state.phase === 'dumping') return;
  switch (ev.kind) {
    case 'ready':
      state.readySeen = true;
      state.phase = 'running';
      disarm(state, actions, 'init');
      disarm(state, actions, 'banner');
      arm(state, actions, 'heartbeat', cfg.heartbeatStallMs);
      actions.push({
        type: 'progress',
        message: `guest ready (kernel ${ev.release}, ${ev.uptime} s since boot)`,
      });
      break;
    case 'begin': {
      state.currentStep = ev.index;
      state.stepOops = undefined;
      for (const t of Object.keys(state.hungReports))
        if (!state.hungBefore.includes(t)) state.hungBefore.push(t);
      state.hungReports = {};
      state.blocked = {};
      const s = cfg.steps[ev.index];
      if (s) arm(state, actions, `step:${ev.index}`, s.timeoutS * 1000);
      actions.push({ type: 'progress', message: `step ${ev.name}: started` });
      break;
    }
    case 'end': {
      disarm(state, actions, `step:${ev.index}`);
      disarm(state, actions, `backstop:${ev.index}`);
      disarm(state, actions, 'results-stall');
      disarm(state, actions, 'oops-quiet');
      state.stepOops = undefined;
      state.blocked = {};
      state.currentStep = undefined;
      state.consoleEnd = undefined;
      const how = ev.timedOut ? 'killed after its timeout' : `exit status ${ev.status}`;
      actions.push({ type: 'progress', message: `step ${ev.name}: ${how}` });
      break;
    }
    case 'alive':
      if (state.phase === 'running') arm(state, actions, 'heartbeat', cfg.heartbeatStallMs);
      break;
    case 'blocked':
      if (state.phase === 'running' && state.currentStep !== undefined) onBlocked(state, cfg, ev, actions);
      break;
    case 'output':
      // Progress: after a fatal report, each piece of the step's output buys it more time.
      if (state.stepOops !== undefined && ev.index === state.currentStep)
        arm(state, actions, 'oops-quiet', cfg.oopsQuietMs);
      break;
    case 'shell':
      state.phase = 'shell';
      disarm(state, actions, 'run');
      disarm(state, actions, 'heartbeat');
      break;
    case 'done':
      state.doneSeen = true;
      disarmAll(state, actions);
      state.phase = 'stopping';
      arm(state, actions, 'shutdown', cfg.shutdownMs);
      break;
    default:
      break;
  }
}

function onTimer(
  state: SupervisorState,
  cfg: SupervisorConfig,
  id: TimerId,
  actions: SupervisorAction[],
): void {
  const i = state.armed.indexOf(id);
  if (i < 0) return; // stale
  state.armed.splice(i, 1);
  if (id === 'banner') {
    state.pending = { kind: 'boot-timeout', stage: 'banner', timeoutS: cfg.bannerTimeoutMs / 1000 };
    actions.push({ type: 'progress', message: `no kernel banner within ${cfg.bannerTimeoutMs / 1000} s` });
    kill(state, actions);
  } else if (id === 'init') {
    actions.push({
      type: 'progress',
      message: `/init not ready within ${cfg.initTimeoutMs / 1000} s: asking for a task dump`,
    });
    dumpThenKill(state, cfg, actions, {
      kind: 'boot-timeout',
      stage: 'init',
      timeoutS: cfg.initTimeoutMs / 1000,
    });
  } else if (id === 'run') {
    actions.push({ type: 'progress', message: 'run timeout: asking for a task dump' });
    dumpThenKill(state, cfg, actions, {
      kind: 'run-timeout',
      timeoutS: (cfg.runTimeoutMs ?? 0) / 1000,
      step: stepName(cfg, state.currentStep),
    });
  } else if (id.startsWith('step:')) {
    const n = Number(id.slice(5));
    const s = cfg.steps[n];
    const name = stepName(cfg, n)!;
    const timeoutS = s?.timeoutS ?? 0;
    state.timedOutSteps.push(n);
    if (s?.onTimeout === 'continue') {
      actions.push({
        type: 'progress',
        message: `step ${name}: over ${timeoutS} s; task dump, then /init kills it`,
      });
      actions.push({ type: 'sysrq', keys: ['w', 't'] });
      arm(state, actions, `backstop:${n}`, GUEST_KILL_GRACE_S * 1000 + cfg.backstopMs);
    } else {
      actions.push({
        type: 'progress',
        message: `step ${name}: over ${timeoutS} s; asking for a task dump, then stopping the VM`,
      });
      dumpThenKill(state, cfg, actions, { kind: 'hang', step: name, timeoutS });
    }
  } else if (id.startsWith('backstop:')) {
    const n = Number(id.slice(9));
    const name = stepName(cfg, n)!;
    actions.push({ type: 'progress', message: `step ${name}: /init could not kill it; stopping the VM` });
    dumpThenKill(state, cfg, actions, { kind: 'hang', step: name, timeoutS: cfg.steps[n]?.timeoutS ?? 0 });
  } else if (id === 'dump-quiet' || id === 'dump-max') {
    kill(state, actions);
  } else if (id === 'shutdown') {
    actions.push({ type: 'progress', message: 'the guest did not power off; stopping QEMU' });
    kill(state, actions);
  } else if (id === 'panic-grace') {
    kill(state, actions);
  } else if (id === 'heartbeat') {
    const name = stepName(cfg, state.currentStep);
    const silentS = cfg.heartbeatStallMs / 1000;
    actions.push({
      type: 'progress',
      message: `no heartbeat from the guest for ${silentS} s${name ? ` (in step ${name})` : ''}; asking for a task dump, then stopping the VM`,
    });
    dumpThenKill(state, cfg, actions, {
      kind: 'hang',
      ...runningStep(state, cfg),
      unresponsiveS: silentS,
    });
  } else if (id === 'oops-quiet' && state.stepOops !== undefined) {
    const { step: name } = runningStep(state, cfg);
    const quietS = cfg.oopsQuietMs / 1000;
    actions.push({
      type: 'progress',
      message: `step ${name}: the kernel oopsed (${state.stepOops}) and the step has made no progress for ${quietS} s since; asking for a task dump, then stopping the VM`,
    });
    dumpThenKill(state, cfg, actions, {
      kind: 'hang',
      ...runningStep(state, cfg),
      afterOops: { oops: state.stepOops, quietS },
    });
  } else if (id === 'results-stall' && state.consoleEnd !== undefined) {
    const { step: n, status } = state.consoleEnd;
    const name = stepName(cfg, n)!;
    const waitedS = cfg.resultsStallMs / 1000;
    actions.push({
      type: 'progress',
      message: `step ${name}: ended with status ${status} on the console, but its results did not arrive within ${waitedS} s; asking for a task dump, then stopping the VM`,
    });
    dumpThenKill(state, cfg, actions, {
      kind: 'hang',
      step: name,
      timeoutS: cfg.steps[n]?.timeoutS ?? 0,
      resultsStalled: { status, waitedS },
    });
  }
}

function finalReason(state: SupervisorState, ev: SupervisorEvent & { type: 'qemu-exit' }): ExitReason {
  if (state.panic !== undefined) return { kind: 'panic', message: state.panic };
  if (state.pending !== undefined) return state.pending;
  if (state.doneSeen) return { kind: 'done' };
  const how = ev.signal !== undefined ? `signal ${ev.signal}` : `exit code ${ev.code}`;
  const stderr = ev.stderr.trim();
  if (ev.spawnError !== undefined)
    return {
      kind: 'infrastructure',
      message: `cannot start QEMU (is qemu-system-x86 installed?): ${ev.spawnError}`,
    };
  if (!state.bannerSeen) {
    return {
      kind: 'infrastructure',
      message: `QEMU ended (${how}) before the kernel started${stderr ? `: ${stderr}` : ''}`,
    };
  }
  if (ev.code !== 0 && stderr) return { kind: 'infrastructure', message: `QEMU failed (${how}): ${stderr}` };
  return {
    kind: 'guest-exit',
    detail: `QEMU ended (${how}) while the guest was ${state.readySeen ? 'running steps' : 'booting'}, without a panic message (reset, triple fault, or a step powered it off)`,
  };
}
