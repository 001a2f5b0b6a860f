import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Option } from 'commander';
import { usageError } from '../../errors.ts';
import { finalise } from '../../model/status.ts';
import { DEFAULT_KCIDB_ORIGIN, validOrigin } from '../../report/kcidb.ts';
import { readRunSummary } from '../../report/summary-file.ts';
import { SUMMARY_FILE } from '../../report/summary-json.ts';
import { renderTerminal } from '../../report/terminal.ts';
import { writeReports } from '../../report/write-all.ts';
import { RUN_EXIT_CODE } from '../exit-codes.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `zdh report RUN_DIR`: renders junit.xml, summary.json, report.html and kcidb.json again from the run
 * folder's summary.json (derived fields recomputed), prints the terminal summary and exits
 * by the run's status: 0 passed, 1 failed, 2 error, 130 interrupted (model/status.ts).
 */
export const registerReport: RegisterCommand = (program, result) =>
  program
    .command('report')
    .description(
      'render junit.xml, summary.json, report.html and kcidb.json again from a saved run, and print its summary',
    )
    .argument('<run-dir>', 'a run folder (the one holding summary.json), or its summary.json')
    .addOption(kcidbOriginOption())
    .action((runDir: string, opts: { kcidbOrigin: string }) => {
      result.code = report(runDir, opts.kcidbOrigin);
    });

/** `--kcidb-origin NAME`, shared by run, report and merge: the origin of every id in kcidb.json. */
export function kcidbOriginOption(): Option {
  return new Option(
    '--kcidb-origin <name>',
    'KCIDB origin for the ids in kcidb.json (the name KernelCI gave your CI system)',
  )
    .default(DEFAULT_KCIDB_ORIGIN)
    .argParser((v: string) => {
      if (!validOrigin(v)) {
        throw usageError(
          `--kcidb-origin "${v}" is not a KCIDB origin`,
          'use lower-case letters, digits and _ (e.g. my_lab)',
        );
      }
      return v;
    });
}

export function report(arg: string, kcidbOrigin: string = DEFAULT_KCIDB_ORIGIN): number {
  const dir = runFolder(arg);
  const summary = finalise(readRunSummary(dir));
  const paths = writeReports(summary, dir, { kcidbOrigin });
  process.stdout.write(renderTerminal(summary, { tty: colour(), paths, runDir: dir }));
  return RUN_EXIT_CODE[summary.run.status];
}

/** A run folder from an argument that names the folder or its summary.json. */
export function runFolder(arg: string): string {
  const path = resolve(arg);
  const st = statSync(path, { throwIfNoEntry: false });
  if (st?.isFile() && basename(path) === SUMMARY_FILE) return dirname(path);
  if (!st?.isDirectory()) throw usageError(`${arg} is not a run folder`, 'give the folder `zdh run` wrote');
  return path;
}

/** Colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
export function colour(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'];
}
