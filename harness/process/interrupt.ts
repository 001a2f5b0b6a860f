/**
 * Ctrl-C and SIGTERM: the first one aborts the process-wide signal, so every running
 * subprocess group is killed and commands can write what they have and exit 130.
 * A second one exits at once (execa's cleanup and the watchdog still kill the groups).
 *
 * Under Debian's Node 20, bin/zdh.js runs zdh as its child and passes its own signals on
 * over an IPC channel. A Ctrl-C at the terminal signals the whole foreground process group,
 * so zdh gets it twice: once directly and once forwarded. `SignalPairing` counts such a
 * pair as one interrupt. When the launcher dies (even by SIGKILL) its channel closes, and
 * zdh stops as on a hang-up.
 */
const controller = new AbortController();
let installed = false;

export function interruptSignal(): AbortSignal {
  return controller.signal;
}

export function interrupted(): boolean {
  return controller.signal.aborted;
}

/** Set by bin/zdh.js for the Node 24 zdh it starts with an IPC channel. */
export const LAUNCHER_ENV = 'ZDH_LAUNCHER_IPC';

/** How far apart the direct and the forwarded copy of one signal may arrive. */
export const PAIR_WINDOW_MS = 2000;

export type SignalSource = 'direct' | 'forwarded';

/**
 * Pure: decides whether a signal is a new interrupt or the other copy of one already
 * counted. Each copy pairs with at most one copy from the other source, so two real
 * Ctrl-Cs are still two interrupts however fast they come.
 */
export class SignalPairing {
  private readonly unpaired: Record<SignalSource, number[]> = { direct: [], forwarded: [] };

  /** True when this signal is a new interrupt; false when it is the copy of one already counted. */
  take(source: SignalSource, nowMs: number): boolean {
    const other = source === 'direct' ? 'forwarded' : 'direct';
    for (const s of ['direct', 'forwarded'] as const)
      this.unpaired[s] = this.unpaired[s].filter((t) => nowMs - t <= PAIR_WINDOW_MS);
    if (this.unpaired[other].length > 0) {
      this.unpaired[other].shift();
      return false;
    }
    this.unpaired[source].push(nowMs);
    return true;
  }
}

export function installInterruptHandlers(onInterrupt: (signal: NodeJS.Signals) => void = () => {}): void {
  if (installed) return;
  installed = true;
  // Only the launcher's channel carries signals. Another parent's IPC channel (a test
  // runner's worker, a user's fork()) is left alone: not unref'd, not read.
  const viaLauncher = process.send !== undefined && process.env[LAUNCHER_ENV] === '1';
  delete process.env[LAUNCHER_ENV];
  // Started by the launcher: every signal may come twice.
  const pairing = viaLauncher ? new SignalPairing() : undefined;
  const handler = (signal: NodeJS.Signals, source: SignalSource): void => {
    if (pairing && !pairing.take(source, performance.now())) return;
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort(new Error(`interrupted by ${signal}`));
    onInterrupt(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => handler(signal, 'direct'));
  if (viaLauncher) {
    process.on('message', (message: unknown) => {
      const signal = (message as { zdhSignal?: unknown } | null)?.zdhSignal;
      if (signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP') handler(signal, 'forwarded');
    });
    // The launcher is gone: nobody is left to wait for zdh's results or to pass a Ctrl-C on.
    process.on('disconnect', () => {
      if (!controller.signal.aborted) {
        controller.abort(new Error('interrupted: the zdh launcher exited'));
        onInterrupt('SIGHUP');
      }
    });
    process.channel?.unref();
  }
}
