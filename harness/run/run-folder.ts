import { existsSync, mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

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
  return resolve('zdh-runs', `${stamp}-${suite}`);
}

export function cellDirName(cellId: string): string {
  return cellId.replace(/[^A-Za-z0-9_.+-]/g, '_');
}

export function prepareRunDir(dir: string): void {
  mkdirSync(join(dir, 'cells'), { recursive: true });
}

/** Writes a file atomically (temp + rename), so readers never see half a summary. */
export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
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
