import { resolve } from 'node:path';
import { Option } from 'commander';
import type { AccelRequest } from '../../machine/accel.ts';
import { loadProfile } from '../../machine/profile.ts';
import { qemuVersion } from '../../machine/qemu-version.ts';
import { createProgress } from '../../progress/progress.ts';
import { renderTerminal } from '../../report/terminal.ts';
import { reportPaths, writeReports } from '../../report/write-all.ts';
import { defaultExpectations, defaultPlanCell } from '../../run/default-plan.ts';
import { defaultJobs, orchestrate } from '../../run/orchestrate.ts';
import { defaultRunDir } from '../../run/run-folder.ts';
import { planRun } from '../../run/run-plan.ts';
import type { SuiteNarrowing } from '../../suite/narrow.ts';
import { loadSuite, shippedSuites } from '../../suite/suite.ts';
import { positiveCount } from '../arg-parsers.ts';
import { RUN_EXIT_CODE } from '../exit-codes.ts';
import {
  addNarrowingOptions,
  addSourceOptions,
  baseFromFlag,
  type SourceFlags,
  sourceFromFlags,
} from '../kernel-flags.ts';
import { VERSION } from '../version.ts';
import type { RegisterCommand } from './index.ts';
import { kcidbOriginOption } from './report.ts';

interface RunFlags extends SourceFlags {
  suite: string;
  out?: string;
  jobs?: number;
  shard?: string;
  accel: AccelRequest;
  workload?: string[];
  machine?: string[];
  patches?: string[];
  config?: string[];
  repeat?: number;
  json?: boolean;
  kcidbOrigin: string;
}

export const registerRun: RegisterCommand = (program, result) => {
  const cmd = program
    .command('run')
    .description('build, boot, run the workloads, read the kernel log and report: the main job')
    .option(
      '--suite <name|file>',
      `suite to run (${shippedSuites().join(', ') || 'configs/suites/*.yaml'})`,
      'default',
    )
    .option('--out <dir>', 'run folder (default: ./zdh-runs/<time>-<suite>)')
    .addOption(
      new Option('--jobs <n>', 'VMs at once (default: from cores and memory)').argParser(positiveCount),
    )
    .option('--shard <i/n>', 'run slice I of N of the matrix (for CI fan-out; merge with `zdh merge`)')
    .addOption(new Option('--accel <accel>', 'accelerator').choices(['auto', 'kvm', 'tcg']).default('auto'));
  addNarrowingOptions(cmd, {
    workload: 'run only these workloads (repeatable; any known workload)',
    machine: 'run on these machine profiles instead of the suite’s (repeatable)',
    patches: 'add a patch, folder or series to every kernel (repeatable)',
    config: 'add a kconfig fragment to every kernel (repeatable; overrides the suite)',
  }).addOption(new Option('--repeat <n>', 'run every cell N times').argParser(positiveCount));
  // --tarball/--tree/--git replace the suite's kernels with that one; --base applies to every kernel.
  addSourceOptions(cmd)
    .option('--json', 'print summary.json on stdout at the end')
    .addOption(kcidbOriginOption())
    .action(async (flags: RunFlags) => {
      const progress = createProgress();
      const { suite, cells, mine, shard } = planRun(
        loadSuite(flags.suite),
        narrowingFromFlags(flags),
        flags.shard,
      );
      const runDir = resolve(flags.out ?? defaultRunDir(suite.name));
      const guestMem = loadProfile(suite.machines[0]).memory;
      const jobs = flags.jobs ?? defaultJobs(guestMem);
      progress.step(
        `suite ${suite.name}: ${mine.length} cell(s)${shard ? ` (shard ${shard.index}/${shard.count} of ${cells.length})` : ''}, ${jobs} at a time; run folder ${runDir}`,
      );
      const qemu = await qemuVersion();
      const summary = await orchestrate({
        cells: mine,
        suite: suite.name,
        runDir,
        command: process.argv.slice(2),
        jobs,
        accel: flags.accel,
        shard,
        planCell: defaultPlanCell,
        expectations: defaultExpectations(),
        progress,
        toolVersion: VERSION,
        qemuVersion: qemu,
        onSummary: (s) => writeReports(s, runDir, { kcidbOrigin: flags.kcidbOrigin }),
      });
      progress.done();
      // Written by the run's last onSummary, while it still held the folder.
      const paths = reportPaths(runDir);
      process.stderr.write(
        `${renderTerminal(summary, { tty: Boolean(process.stderr.isTTY), paths, runDir })}\n`,
      );
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      result.code = RUN_EXIT_CODE[summary.run.status];
    });
  return cmd;
};

/** The narrowing flags parsed: paths made absolute, --base a make target or an absolute path. */
export function narrowingFromFlags(
  f: Pick<RunFlags, 'workload' | 'machine' | 'patches' | 'config' | 'repeat'> & SourceFlags,
): SuiteNarrowing {
  return {
    source: sourceFromFlags(f) ?? null,
    base: f.base === undefined ? null : baseFromFlag(f.base),
    patches: (f.patches ?? []).map((p) => resolve(p)),
    config: f.config ?? [],
    machines: f.machine ?? null,
    workloads: f.workload ?? null,
    repeat: f.repeat ?? null,
  };
}
