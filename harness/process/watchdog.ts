/**
 * The child watchdog: a small process with a lifetime of its own that kills zdh's
 * subprocess groups (QEMU, make and everything they started) when zdh goes away, however
 * it goes: a normal exit, a crash, Ctrl-C, or a SIGKILL that runs no exit hook at all.
 *
 * zdh starts it once (process/run.ts) in a session of its own, so a kill of zdh's process
 * group (a terminal, a CI runner ending a job) does not reach it, and keeps a pipe to its
 * stdin open. On that pipe zdh writes one line per group:
 *   +<pgid>   a subprocess group started (its leader's pid; every child runs in its own group)
 *   -<pgid>   that group's leader was reaped by zdh
 * The kernel closes the pipe when zdh exits for any reason. The watchdog then sends SIGTERM
 * to every group still registered and, after a grace period, SIGKILL to those still there,
 * and exits. The protocol parsing is pure (`applyLine`) and unit-tested; `main` is the edge.
 */
export const WATCHDOG_GRACE_MS = 3000;

/** Applies one protocol line to the set of live groups. Malformed lines are ignored. */
export function applyLine(groups: Set<number>, line: string): void {
  const m = /^([+-])([1-9]\d{0,9})$/.exec(line.trim());
  if (!m) return;
  const pgid = Number(m[2]);
  if (m[1] === '+') groups.add(pgid);
  else groups.delete(pgid);
}

/** Signals a whole process group; false when it is gone (or not ours to signal). */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function main(): void {
  const groups = new Set<number>();
  let partial = '';
  // Nothing on this side prints: stdout and stderr are /dev/null, and a stray signal from
  // the terminal is not a reason to leave the groups behind.
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM', 'SIGPIPE'] as const) process.on(signal, () => {});
  process.stdin.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('latin1')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) applyLine(groups, line);
  });
  const finish = (): void => {
    const left = [...groups].filter((pgid) => signalGroup(pgid, 'SIGTERM'));
    if (left.length === 0) process.exit(0);
    setTimeout(() => {
      for (const pgid of left) signalGroup(pgid, 'SIGKILL');
      process.exit(0);
    }, WATCHDOG_GRACE_MS);
  };
  process.stdin.on('end', finish);
  process.stdin.on('error', finish);
}

if (process.argv[2] === '--zdh-watchdog') main();
