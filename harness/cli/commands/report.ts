import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Option } from 'commander';
import { usageError } from '../../errors.ts';
import { finalise } from '../../model/status.ts';
import { createProgress } from '../../progress/progress.ts';
import { DEFAULT_KCIDB_ORIGIN, validOrigin } from '../../report/kcidb.ts';
import { readRunSummary } from '../../report/summary-file.ts';
import { SUMMARY_FILE } from '../../report/summary-json.ts';
import { renderTerminal } from '../../report/terminal.ts';
import { writeReports } from '../../report/write-all.ts';
import { EXIT, RUN_EXIT_CODE } from '../exit-codes.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `zdh report RUN_DIR`: renders junit.xml, summary.json, report.html and kcidb.json again from the run
 * folder's summary.json (derived fields recomputed), prints the terminal summary and exits
 * by the run's status: 0 passed, 1 failed, 2 error, 130 interrupted (model/status.ts).
 *
 * `zdh report RUN_DIR --upstream [--finding TITLE] [--debug-info]`: writes one plain-text bug
 * report per distinct finding into RUN_DIR/upstream/ instead (report/upstream/), prints the
 * paths written and exits 0, also when there is nothing to report; 2 for a bad run folder or
 * a title the run does not have. --debug-info builds the cell's kernel again with debug info
 * when the run's build has none, to place the stack frames at file:line.
 */
export const registerReport: RegisterCommand = (program, result) =>
  program
    .command('report')
    .description(
      'render junit.xml, summary.json, report.html and kcidb.json again from a saved run, and print its summary',
    )
    .argument('<run-dir>', 'a run folder (the one holding summary.json), or its summary.json')
    .addOption(kcidbOriginOption())
    .option(
      '--upstream',
      'write one plain-text bug report per distinct finding, with its reproducer, into RUN_DIR/upstream/',
    )
    .option('--finding <title>', 'with --upstream: only the report of the finding with this title')
    .option(
      '--debug-info',
      "with --upstream: when the run's build has no debug info (the default) or is gone, build the " +
        "cell's kernel again with debug info to place the stack at file:line (a cold build the first time)",
    )
    .action(
      async (
        runDir: string,
        opts: { kcidbOrigin: string; upstream?: boolean; finding?: string; debugInfo?: boolean },
      ) => {
        if (opts.finding !== undefined && !opts.upstream)
          throw usageError('--finding needs --upstream', 'zdh report RUN_DIR --upstream --finding TITLE');
        if (opts.debugInfo && !opts.upstream)
          throw usageError('--debug-info needs --upstream', 'zdh report RUN_DIR --upstream --debug-info');
        result.code = opts.upstream
          ? await upstream(runDir, opts.finding, opts.debugInfo === true)
          : report(runDir, opts.kcidbOrigin);
      },
    );

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

/** `--upstream`: the reports written, one path a line (the report, then its .config). */
export async function upstream(arg: string, finding: string | undefined, debugInfo = false): Promise<number> {
  const { writeUpstreamReports } = await import('../../report/upstream/write.ts');
  const dir = runFolder(arg);
  const progress = debugInfo ? createProgress() : undefined;
  const written = await writeUpstreamReports(dir, {
    ...(finding === undefined ? {} : { finding }),
    ...(progress === undefined ? {} : { debugInfo: { progress } }),
  });
  progress?.done();
  if (written.length === 0) {
    process.stdout.write(`nothing to report in ${dir}: no kernel finding and no probe hang\n`);
    return EXIT.pass;
  }
  for (const w of written) {
    process.stdout.write(`${w.report}\n`);
    if (w.config !== null) process.stdout.write(`${w.config}\n`);
  }
  return EXIT.pass;
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
