/**
 * Ctrl-C and SIGTERM: the first one aborts the process-wide signal, so every running
 * subprocess group is killed and commands can write what they have and exit 130.
 * A second one exits at once (execa's cleanup still kills the groups on exit).
 */
const controller = new AbortController();
let installed = false;

export function interruptSignal(): AbortSignal {
  return controller.signal;
}

export function interrupted(): boolean {
  return controller.signal.aborted;
}

export function installInterruptHandlers(onInterrupt: (signal: NodeJS.Signals) => void = () => {}): void {
  if (installed) return;
  installed = true;
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort(new Error(`interrupted by ${signal}`));
    onInterrupt(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
}
