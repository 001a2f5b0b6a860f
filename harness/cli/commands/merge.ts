import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { usageError } from '../../errors.ts';
import { mergeRuns } from '../../report/merge.ts';
import { readRunSummary } from '../../report/summary-file.ts';
import { renderTerminal } from '../../report/terminal.ts';
import { writeReports } from '../../report/write-all.ts';
import { projectRoot } from '../../util/paths.ts';
import { RUN_EXIT_CODE } from '../exit-codes.ts';
import type { RegisterCommand } from './index.ts';
import { colour, kcidbOriginOption, runFolder } from './report.ts';

/**
 * `zdh merge [--out DIR] RUN_DIR...`: one junit.xml, summary.json, report.html and kcidb.json for
 * several runs (shards of a suite, parts of a matrix run on different hosts); the rules are
 * in report/merge.ts and docs/reports.md. Prints the merged summary and exits by the merged
 * run's status, like `zdh report`.
 */
export const registerMerge: RegisterCommand = (program, result) =>
  program
    .command('merge')
    .description(
      'merge run folders (shards, parts of a matrix) into one junit.xml, summary.json, report.html and kcidb.json',
    )
    .argument(
      '<run-dir...>',
      'run folders (or their summary.json files), in the order their cells are listed',
    )
    .option('--out <dir>', 'folder for the merged reports', 'merged')
    .addOption(kcidbOriginOption())
    .action((runDirs: string[], opts: { out: string; kcidbOrigin: string }) => {
      result.code = merge(runDirs, opts.out, opts.kcidbOrigin);
    });

export function merge(args: readonly string[], outArg: string, kcidbOrigin?: string): number {
  const dirs = args.map(runFolder);
  const out = resolve(outArg);
  if (dirs.includes(out)) {
    throw usageError(
      `--out ${outArg} is one of the runs being merged`,
      'choose a new folder for the merged reports',
    );
  }
  const parts = dirs.map(readRunSummary);
  const { summary, notes } = mergeRuns(parts, {
    dir: out,
    command: ['merge', '--out', outArg, ...args],
    toolVersion: toolVersion(),
  });
  for (const note of notes) process.stderr.write(`zdh merge: ${note}\n`);
  const paths = writeReports(summary, out, { kcidbOrigin });
  process.stdout.write(renderTerminal(summary, { tty: colour(), paths, runDir: out }));
  return RUN_EXIT_CODE[summary.run.status];
}

function toolVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
