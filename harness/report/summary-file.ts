import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configError } from '../errors.ts';
import type { RunSummary } from '../model/result.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { configsDir } from '../util/paths.ts';
import { parseSummary, SUMMARY_FILE, serialiseSummary } from './summary-json.ts';

/**
 * summary.json on disk: the edge of summary-json.ts. The schema is read on first use (not
 * when a module is imported) and kept, since every summary read checks against it.
 */

export const SUMMARY_SCHEMA_FILE = join(configsDir, 'schema', 'summary.schema.json');

let schema: object | undefined;
/** configs/schema/summary.schema.json, read once. */
export function loadSummarySchema(): object {
  schema ??= JSON.parse(readFileSync(SUMMARY_SCHEMA_FILE, 'utf8')) as object;
  return schema;
}

export function readSummary(file: string): RunSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw configError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        hint: 'a run folder holds summary.json once `zdh run` has started; check the path',
      },
    );
  }
  return parseSummary(text, file, loadSummarySchema());
}

/**
 * The summary of a run folder. `run.dir` is set to where the folder is now (it may have
 * been moved or copied since the run), since artifact paths are relative to it.
 */
export function readRunSummary(runDir: string): RunSummary {
  const summary = readSummary(join(runDir, SUMMARY_FILE));
  return { ...summary, run: { ...summary.run, dir: resolve(runDir) } };
}

export function writeSummary(file: string, summary: RunSummary): void {
  writeFileAtomic(file, serialiseSummary(summary));
}
