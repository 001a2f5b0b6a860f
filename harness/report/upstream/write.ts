/**
 * Edge: `zdh report RUN_DIR --upstream [--finding TITLE]`. Reads the run folder, finds its
 * distinct bugs (select.ts), symbolises what each report quotes when the build is still in
 * the cache, and writes into RUN_DIR/upstream/ one `<name>.txt` per bug, with the cell's
 * final .config beside it as `<name>.config`. The same bug gets the same file name in every
 * run (compose.ts reportName); a file is replaced atomically, and files of bugs this run
 * does not have are left alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../../errors.ts';
import { optionValue, parseDotConfig } from '../../kconfig/dotconfig.ts';
import type { Progress } from '../../progress/progress.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { cacheRoot, projectRoot } from '../../util/paths.ts';
import { buildSymbols, checkoutFacts, openCheckout } from './checkout.ts';
import { composeReport } from './compose.ts';
import { debugInfoRebuild } from './rebuild.ts';
import { renderReport } from './render.ts';
import { readRunFolder } from './run-folder.ts';
import { findBugs } from './select.ts';
import { binutilsSymboliser, type SymboliserFor, symbolsFor } from './symbols.ts';
import type { BuildSymbols, CellFolder } from './types.ts';

export const UPSTREAM_DIR = 'upstream';

export interface UpstreamOptions {
  /** Only the report of the bug with this title (exactly as the run's reports title it). */
  finding?: string;
  /** The zdh checkout that patches, fragments, expectations and workloads are read from. */
  root?: string;
  /** The build cache (default: ~/.cache/zdh or $ZDH_CACHE_DIR). */
  cacheDir?: string;
  symboliserFor?: SymboliserFor;
  /**
   * When the run's build has no debug info or is gone: build the cell's kernel again with
   * debug info (rebuild.ts) and symbolise with that. Needs `progress` for the build.
   */
  debugInfo?: { progress: Progress };
}

export interface WrittenReport {
  title: string;
  /** Absolute paths. */
  report: string;
  config: string | null;
}

/** Writes the reports; [] when the run has nothing to report. An unknown --finding is a usage error. */
export async function writeUpstreamReports(
  runDir: string,
  opts: UpstreamOptions = {},
): Promise<WrittenReport[]> {
  const run = readRunFolder(runDir);
  const bugs = findBugs(run);
  const chosen = opts.finding === undefined ? bugs : bugs.filter((b) => b.title === opts.finding);
  if (opts.finding !== undefined && chosen.length === 0) {
    throw usageError(
      `no finding titled "${opts.finding}" in ${run.dir}`,
      bugs.length === 0
        ? 'the run has nothing to report'
        : `give one of these titles:\n${bugs.map((b) => `    ${b.title}`).join('\n')}`,
    );
  }
  const checkout = openCheckout(opts.root ?? projectRoot);
  const cacheDir = opts.cacheDir ?? cacheRoot();
  const out = join(run.dir, UPSTREAM_DIR);
  const written: WrittenReport[] = [];
  const rebuilds = new Map<string, Promise<BuildSymbols>>();
  const rebuild = (cell: CellFolder, progress: Progress): Promise<BuildSymbols> => {
    const key = cell.dir ?? cell.cell.id;
    let r = rebuilds.get(key);
    if (r === undefined) {
      r = debugInfoRebuild(cell, { cacheDir, progress });
      rebuilds.set(key, r);
    }
    return r;
  };
  for (const bug of chosen) {
    let build = buildSymbols(bug.shown.cell.kernel, cacheDir);
    if (opts.debugInfo !== undefined && !hasDebugInfo(build, bug.shown))
      build = await rebuild(bug.shown, opts.debugInfo.progress);
    const symbols = await symbolsFor(bug, build, opts.symboliserFor ?? binutilsSymboliser);
    const report = composeReport(run, bug, checkoutFacts(checkout, bug.shown), symbols);
    const reportFile = join(out, `${report.name}.txt`);
    writeFileAtomic(reportFile, renderReport(report));
    let configFile: string | null = null;
    if (bug.shown.configFile !== null) {
      configFile = join(out, `${report.name}.config`);
      writeFileAtomic(configFile, readFileSync(bug.shown.configFile, 'utf8'));
    }
    written.push({ title: bug.title, report: reportFile, config: configFile });
  }
  return written;
}

/** Whether the run's own build is there to symbolise with, and has line tables. */
function hasDebugInfo(build: BuildSymbols, cell: CellFolder): boolean {
  if (build.kind !== 'found') return false;
  const config = cell.config();
  return config === null || optionValue(parseDotConfig(config), 'DEBUG_INFO_NONE') !== 'y';
}
