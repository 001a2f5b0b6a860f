import { join, resolve } from 'node:path';
import type { RunSummary } from '../model/result.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { consoleSlicer } from './console-slice.ts';
import { renderHtml } from './html.ts';
import { renderJUnit } from './junit.ts';
import { DEFAULT_KCIDB_ORIGIN, KCIDB_FILE, renderKcidb, serialiseKcidb } from './kcidb.ts';
import { SUMMARY_FILE, serialiseSummary } from './summary-json.ts';

/**
 * Writes every report of a run into its folder: summary.json, junit.xml, report.html and kcidb.json,
 * each atomically (temp file + rename), summary.json first so the model is saved even if
 * a renderer fails. Used by `zdh run` as cells finish, and by `zdh report` and `zdh merge`.
 */

export const JUNIT_FILE = 'junit.xml';
export const HTML_FILE = 'report.html';

/** Absolute paths of the files written. */
export interface ReportPaths {
  junit: string;
  summary: string;
  html: string;
  kcidb: string;
}

export interface WriteOptions {
  /** The KCIDB origin ids in kcidb.json start with (default `zdh`). */
  kcidbOrigin?: string;
}

export function reportPaths(runDir: string): ReportPaths {
  const dir = resolve(runDir);
  return {
    junit: join(dir, JUNIT_FILE),
    summary: join(dir, SUMMARY_FILE),
    html: join(dir, HTML_FILE),
    kcidb: join(dir, KCIDB_FILE),
  };
}

/** Writes the four files; `run.dir` in summary.json is set to the folder written to. */
export function writeReports(summary: RunSummary, runDir: string, opts: WriteOptions = {}): ReportPaths {
  const dir = resolve(runDir);
  const s: RunSummary = { ...summary, run: { ...summary.run, dir } };
  const paths = reportPaths(dir);
  writeFileAtomic(paths.summary, serialiseSummary(s));
  const slicer = consoleSlicer(dir);
  writeFileAtomic(paths.junit, renderJUnit(s, { runDir: dir, console: slicer }));
  writeFileAtomic(paths.html, renderHtml(s));
  const kcidb = renderKcidb(s, { origin: opts.kcidbOrigin ?? DEFAULT_KCIDB_ORIGIN, console: slicer });
  writeFileAtomic(paths.kcidb, serialiseKcidb(kcidb));
  return paths;
}
