/**
 * How a machine run ended, as data. `zdh boot` and `zdh shell` map it to an exit code
 * (cli/exit-codes.ts machineExitCode); a run cell records it (model/result.ts CellExit),
 * and bisect judges the cell it ends up in (bisect/verdict.ts).
 */
export type ExitReason =
  /** The guest ran every step and powered off. */
  | { kind: 'done' }
  /** "Kernel panic - not syncing: <message>" on the console. */
  | { kind: 'panic'; message: string }
  /**
   * A step ran past its timeout; or (resultsStalled) it ended on the console but the guest
   * then stopped sending anything on the results channel; or (unresponsiveS) the guest's
   * heartbeat stopped for that long; or (wedged) an oops was followed by a stall report; or
   * (afterOops) the step made no progress for quietS after an oops; or (hungTask) the
   * hung-task detector reported one task twice in a row; or (blockedTask) a task of the
   * step stayed in D state without a context switch. SysRq w and t were sent, then QEMU
   * was killed.
   */
  | {
      kind: 'hang';
      step: string;
      timeoutS: number;
      resultsStalled?: { status: number; waitedS: number };
      unresponsiveS?: number;
      /** An oops, then the kernel reported a stall: the oopsed CPU is wedged. */
      wedged?: { oops: string; stall: string };
      /** An oops in the step, then no output from it for quietS. */
      afterOops?: { oops: string; quietS: number };
      /** The hung-task detector reported this task (`comm:pid`) twice in a row. */
      hungTask?: { task: string; blockedS: number };
      /** /init saw this task (`comm:tid`) of the step in D state, without a context switch, for forS. */
      blockedTask?: { task: string; forS: number };
    }
  /** No kernel banner ('banner') or /init never reported ready ('init') in time. */
  | { kind: 'boot-timeout'; stage: 'banner' | 'init'; timeoutS: number }
  /** The whole run's time limit passed. */
  | { kind: 'run-timeout'; timeoutS: number; step: string | undefined }
  /** QEMU ended before the guest finished, without a panic (reset, triple fault, poweroff by a step). */
  | { kind: 'guest-exit'; detail: string }
  /** QEMU could not start or a channel broke: not the kernel's fault. */
  | { kind: 'infrastructure'; message: string }
  /** Ctrl-C or SIGTERM. */
  | { kind: 'interrupted' };

/** The reason with its words, as the result model keeps it (model/result.ts CellExit). */
export function cellExit(r: ExitReason): { reason: ExitReason; message: string } {
  return { reason: r, message: describeExit(r) };
}

/** True when the outcome says something about the kernel (a crash or a hang). */
export function isKernelFailure(r: ExitReason): boolean {
  return (
    r.kind === 'panic' ||
    r.kind === 'hang' ||
    r.kind === 'boot-timeout' ||
    r.kind === 'run-timeout' ||
    r.kind === 'guest-exit'
  );
}

export function describeExit(r: ExitReason): string {
  switch (r.kind) {
    case 'done':
      return 'the guest finished and powered off';
    case 'panic':
      return `kernel panic: ${r.message}`;
    case 'hang':
      if (r.wedged !== undefined)
        return `hang: in step '${r.step}' the kernel oopsed (${r.wedged.oops}) and then reported a stall (${r.wedged.stall}); stopped at once; the guest's task dump (SysRq w, t) is in the console log`;
      if (r.afterOops !== undefined)
        return `hang: in step '${r.step}' the kernel oopsed (${r.afterOops.oops}) and the step made no progress for ${r.afterOops.quietS} s after it; stopped then, not at the step's ${r.timeoutS} s limit; the guest's task dump (SysRq w, t) is in the console log`;
      if (r.hungTask !== undefined)
        return `hang: in step '${r.step}' the kernel reported task ${r.hungTask.task} blocked (more than ${r.hungTask.blockedS} s) twice in a row; stopped then, not at the step's ${r.timeoutS} s limit; the guest's task dump (SysRq w, t) is in the console log`;
      if (r.blockedTask !== undefined)
        return `hang: in step '${r.step}' task ${r.blockedTask.task} stayed in D state without a context switch for ${r.blockedTask.forS} s; stopped then, not at the step's ${r.timeoutS} s limit; the guest's task dump (SysRq w, t) is in the console log`;
      if (r.unresponsiveS !== undefined)
        return `hang: the guest stopped responding in step '${r.step}' (no heartbeat for ${r.unresponsiveS} s); the guest's task dump (SysRq w, t), if it could print one, is in the console log`;
      return r.resultsStalled
        ? `hang: step '${r.step}' ended (status ${r.resultsStalled.status}, says the kernel log), then the guest stopped: its results did not arrive within ${r.resultsStalled.waitedS} s (a CPU stuck with interrupts off?); the guest's task dump (SysRq w, t) is in the console log`
        : `hang: step '${r.step}' did not finish within ${r.timeoutS} s; the guest's task dump (SysRq w, t) is in the console log`;
    case 'boot-timeout':
      return r.stage === 'banner'
        ? `boot timeout: no kernel banner within ${r.timeoutS} s`
        : `boot timeout: the kernel started but /init did not report ready within ${r.timeoutS} s; task dump in the console log`;
    case 'run-timeout':
      return `run timeout: the run took longer than ${r.timeoutS} s${r.step ? ` (in step '${r.step}')` : ''}; task dump in the console log`;
    case 'guest-exit':
      return `the guest stopped before it finished: ${r.detail}`;
    case 'infrastructure':
      return `infrastructure failure: ${r.message}`;
    case 'interrupted':
      return 'interrupted';
  }
}
