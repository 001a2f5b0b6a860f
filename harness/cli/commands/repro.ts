import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { usageError } from '../../errors.ts';
import type { AccelRequest } from '../../machine/accel.ts';
import type { MachineProfile } from '../../machine/profile-rules.ts';
import { qemuVersion } from '../../machine/qemu-version.ts';
import { expandPatches } from '../../patch/expand.ts';
import { createProgress } from '../../progress/progress.ts';
import { readSummary } from '../../report/summary-file.ts';
import { renderTerminal } from '../../report/terminal.ts';
import { reportPaths, writeReports } from '../../report/write-all.ts';
import { defaultExpectations, defaultPlanCell } from '../../run/default-plan.ts';
import { orchestrate } from '../../run/orchestrate.ts';
import { narrowWorkloads, patchesChanged, reproCell, savedCellPath } from '../../run/repro-cell.ts';
import { cellDirName, defaultRunDir } from '../../run/run-folder.ts';
import type { Cell } from '../../suite/matrix.ts';
import { RUN_EXIT_CODE } from '../exit-codes.ts';
import { VERSION } from '../version.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `zdh repro RUN_DIR [--cell ID] [--workload W]...`: runs one cell of a saved run again,
 * exactly; with --workload, only those of its workloads.
 */
export const registerRepro: RegisterCommand = (program, result) =>
  program
    .command('repro')
    .description(
      'run a cell of a saved run again, exactly (same kernel inputs, machine profile, accelerator, workloads)',
    )
    .argument('<run-dir>', 'a run folder written by `zdh run`')
    .option('--cell <id>', 'the cell to run again (default: the first that failed, else the first)')
    .addOption(
      new Option('--workload <name>', 'run only this workload of the cell (repeatable)')
        .argParser((v: string, prev: string[]) => [...prev, v])
        .default([] as string[], 'every workload of the cell'),
    )
    .option('--out <dir>', 'run folder for the new run')
    .action(async (runDirArg: string, flags: { cell?: string; workload: string[]; out?: string }) => {
      const runDir = resolve(runDirArg);
      const summaryPath = join(runDir, 'summary.json');
      if (!existsSync(summaryPath))
        throw usageError(`${runDir} has no summary.json`, 'pass a folder written by `zdh run`');
      const summary = readSummary(summaryPath);
      const chosen = reproCell(summary, flags.cell, runDir);
      const cellFile = join(runDir, savedCellPath(chosen));
      if (!existsSync(cellFile))
        throw usageError(
          `${cellFile} is missing: the cell never started, so there is nothing exact to repeat`,
        );
      const saved = JSON.parse(readFileSync(cellFile, 'utf8')) as {
        cell: Cell;
        profile: MachineProfile;
        accel: AccelRequest;
      };
      const cell = narrowWorkloads(saved.cell, flags.workload);
      const progress = createProgress();
      // The same patches by content, or say what changed.
      const now = expandPatches(saved.cell.kernel.spec.patches).map((p) => p.sha256);
      const then = chosen.kernel.patches.map((p) => p.sha256);
      if (patchesChanged(then, now))
        progress.warn('the patch files changed since that run; running with their current content');
      const out = resolve(flags.out ?? defaultRunDir(`repro-${cellDirName(chosen.id)}`));
      const qemu = await qemuVersion();
      const rerun = await orchestrate({
        cells: [cell],
        suite: `${summary.run.suite} (repro of ${chosen.id})`,
        runDir: out,
        command: process.argv.slice(2),
        jobs: 1,
        accel: saved.accel,
        shard: null,
        planCell: defaultPlanCell,
        expectations: defaultExpectations(),
        progress,
        toolVersion: VERSION,
        qemuVersion: qemu,
        profiles: new Map([[saved.cell.machine, saved.profile]]),
        onSummary: (s) => writeReports(s, out),
      });
      progress.done();
      // Written by the run's last onSummary, while it still held the folder.
      const paths = reportPaths(out);
      process.stderr.write(
        `${renderTerminal(rerun, { tty: Boolean(process.stderr.isTTY), paths, runDir: out })}\n`,
      );
      result.code = RUN_EXIT_CODE[rerun.run.status];
    });
