import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { configError, usageError } from '../errors.ts';
import { safeFileName } from '../util/file-name.ts';
import { holdLock } from '../util/lock.ts';

/**
 * A run's folder. Everything a run produces is streamed here as it happens, so a run
 * that dies halfway still leaves a readable story that `zdh report` can render:
 *   manifest.json   what ran, exactly (tool, QEMU and kernel command lines, versions, hashes)
 *   zdh.log         the progress lines
 *   summary.json, junit.xml, report.html   rewritten after every cell
 *   cells/<cell>/   console.log, build.log, config, steps/, manifest.json of one cell
 *   console.log, build.log   links to the first cell's, for one-cell runs
 */
export function defaultRunDir(suite: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const parent = resolve('zdh-runs');
  const name = `${stamp}-${suite}`;
  const dir = resolve(parent, name);
  // The suite's schema keeps its name to one plain path part, but names come from other
  // places too: never let one lead the run folder out of zdh-runs/ (or into another's).
  if (dirname(dir) !== parent || basename(dir) !== name) {
    throw configError(`the run folder for "${suite}" would be ${dir}, not a folder of its own in ${parent}`, {
      hint: "name it with letters, digits, '.', '_', '+' and '-' only, or pass --out",
    });
  }
  return dir;
}

/**
 * Holds `dir` as one run's folder until the returned release is called: a second run
 * given the same folder (--out) fails at once, naming the folder and the pid holding it,
 * instead of overwriting the first run's files. The lock is the `.lock` folder that
 * `zdh boot` takes too (machine/runner.ts), so the two exclude each other; `.lock.pid`
 * next to it names the holder. Both are removed on release. A holder that died without
 * releasing is taken over after a minute.
 */
export async function lockRunFolder(dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, '.lock');
  const pidPath = `${lockPath}.pid`;
  const release = await holdLock(dir, {
    lockfilePath: lockPath,
    busy: () =>
      usageError(
        `the run folder ${dir} is in use by another run${holder(pidPath)}`,
        'give each run its own folder (--out); a run that was killed frees its folder within a minute',
      ),
    // A lost lock (the event loop stalled past a minute) ends nothing: the run's results
    // are still wanted.
    onLost: (error) =>
      process.stderr.write(`zdh: warning: lost the lock on the run folder ${dir}: ${error.message}\n`),
  });
  writeFileSync(pidPath, `${process.pid}\n`);
  // proper-lockfile removes .lock when the process exits (a second Ctrl-C); the pid file too.
  const dropPid = (): void => rmSync(pidPath, { force: true });
  process.once('exit', dropPid);
  return async () => {
    process.off('exit', dropPid);
    dropPid();
    await release();
  };
}

/** " (pid N)" from the holder's pid file, with whether it still runs; "" when unknown. */
function holder(pidPath: string): string {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidPath, 'utf8'), 10);
  } catch {
    return '';
  }
  if (!Number.isInteger(pid) || pid <= 0) return '';
  try {
    process.kill(pid, 0);
    return ` (pid ${pid})`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
      ? ` (pid ${pid})`
      : ` (pid ${pid}, no longer running)`;
  }
}

export function cellDirName(cellId: string): string {
  return safeFileName(cellId);
}

export function prepareRunDir(dir: string): void {
  mkdirSync(join(dir, 'cells'), { recursive: true });
}

/** Links <run>/<name> to a cell's file (relative), replacing an older link. */
export function linkTopLevel(runDir: string, name: string, target: string): void {
  const link = join(runDir, name);
  try {
    if (existsSync(link)) unlinkSync(link);
    symlinkSync(relative(runDir, target), link);
  } catch {
    // A file system without symlinks: the cell folder still has the file.
  }
}
