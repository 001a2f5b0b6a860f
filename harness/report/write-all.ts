import { join, resolve } from 'node:path';
import type { RunSummary } from '../model/result.ts';
import { writeFileAtomic } from './atomic.ts';
import { consoleSlicer } from './console-slice.ts';
import { renderHtml } from './html.ts';
import { renderJUnit } from './junit.ts';
import { SUMMARY_FILE, serialiseSummary } from './summary-json.ts';

/**
 * Writes every report of a run into its folder: summary.json, junit.xml and report.html,
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
}

export function reportPaths(runDir: string): ReportPaths {
  const dir = resolve(runDir);
  return { junit: join(dir, JUNIT_FILE), summary: join(dir, SUMMARY_FILE), html: join(dir, HTML_FILE) };
}

/** Writes the three files; `run.dir` in summary.json is set to the folder written to. */
export function writeReports(summary: RunSummary, runDir: string): ReportPaths {
  const dir = resolve(runDir);
  const s: RunSummary = { ...summary, run: { ...summary.run, dir } };
  const paths = reportPaths(dir);
  writeFileAtomic(paths.summary, serialiseSummary(s));
  writeFileAtomic(paths.junit, renderJUnit(s, { runDir: dir, console: consoleSlicer(dir) }));
  writeFileAtomic(paths.html, renderHtml(s));
  return paths;
}
