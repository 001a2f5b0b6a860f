import { basename, resolve } from 'node:path';
import { Option } from 'commander';
import { defaultKernelSpec } from '../../build/kernel-spec.ts';
import { usageError } from '../../errors.ts';
import { LAYER } from '../../kconfig/fragments.ts';
import type { AccelRequest } from '../../machine/accel.ts';
import { loadProfile } from '../../machine/profile.ts';
import { qemuVersion } from '../../machine/qemu-version.ts';
import { RUN_EXIT_CODE } from '../../model/status.ts';
import { createProgress } from '../../progress/progress.ts';
import { renderTerminal } from '../../report/terminal.ts';
import { reportPaths, writeReports } from '../../report/write-all.ts';
import { defaultExpectations, defaultPlanCell } from '../../run/default-plan.ts';
import { defaultJobs, orchestrate } from '../../run/orchestrate.ts';
import { defaultRunDir } from '../../run/run-folder.ts';
import type { SourceSpec } from '../../source/types.ts';
import { expandMatrix, parseShard, shardCells } from '../../suite/matrix.ts';
import { loadSuite, type Suite, shippedSuites } from '../../suite/suite.ts';
import { positiveCount } from '../arg-parsers.ts';
import { addSourceOptions, applySourceFlags, type SourceFlags, sourceFromFlags } from '../kernel-flags.ts';
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

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

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
    .addOption(new Option('--accel <accel>', 'accelerator').choices(['auto', 'kvm', 'tcg']).default('auto'))
    .option('--workload <name>', 'run only these workloads (repeatable; any known workload)', collect)
    .option(
      '--machine <name|file>',
      'run on these machine profiles instead of the suite’s (repeatable)',
      collect,
    )
    .option('--patches <path>', 'add a patch, folder or series to every kernel (repeatable)', collect)
    .option(
      '--config <fragment>',
      'add a kconfig fragment to every kernel (repeatable; overrides the suite)',
      collect,
    )
    .addOption(new Option('--repeat <n>', 'run every cell N times').argParser(positiveCount));
  // --tarball/--tree/--git replace the suite's kernels with that one; --base applies to every kernel.
  addSourceOptions(cmd)
    .option('--json', 'print summary.json on stdout at the end')
    .addOption(kcidbOriginOption())
    .action(async (flags: RunFlags) => {
      const progress = createProgress();
      const suite = narrow(loadSuite(flags.suite), flags);
      const cells = expandMatrix(suite);
      const shard = flags.shard ? parseShard(flags.shard) : null;
      const mine = shard ? shardCells(cells, shard) : cells;
      if (mine.length === 0)
        throw usageError(`shard ${flags.shard} of suite ${suite.name} has no cells`, 'use fewer shards');
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
        expectations: defaultExpectations,
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

/**
 * Command-line narrowing and extension of a suite, without editing it. A source flag
 * (--tarball, --tree, --git) replaces the suite's kernels with that one kernel, on the
 * default configuration; the matrix's machines, workloads and repeats stay.
 */
export function narrow(
  suite: Suite,
  f: Pick<RunFlags, 'workload' | 'machine' | 'patches' | 'config' | 'repeat'> & SourceFlags,
): Suite {
  const source = sourceFromFlags(f);
  const kernels = source
    ? [{ name: kernelNameFor(source), spec: applySourceFlags(defaultKernelSpec(), f) }]
    : suite.kernels.map((k) => ({ ...k, spec: applySourceFlags(k.spec, f) }));
  const name = kernels[0]?.name;
  return {
    ...suite,
    // The one kernel runs on every machine any of the suite's kernels was included on; an
    // exclude that named one of the suite's kernels does not apply to it.
    matrix: source
      ? {
          include: suite.matrix.include
            ? suite.matrix.include.map((p) => (p.kernel === undefined ? p : { ...p, kernel: name }))
            : null,
          exclude: suite.matrix.exclude.filter((p) => p.kernel === undefined),
        }
      : suite.matrix,
    kernels: kernels.map((k) => ({
      ...k,
      spec: {
        ...k.spec,
        patches: [...k.spec.patches, ...(f.patches ?? []).map((p) => resolve(p))],
        fragments: [
          ...k.spec.fragments,
          ...(f.config ?? []).map((ref) => ({ ref, layer: LAYER.commandLine })),
        ],
      },
    })),
    machines: f.machine ?? suite.machines,
    workloads: f.workload
      ? f.workload.map((name) => suite.workloads.find((w) => w.name === name) ?? { name })
      : suite.workloads,
    repeats: f.repeat ?? suite.repeats,
  };
}

/** A short name for a kernel from the command line: the tarball's, tree's or repository's name (and the ref). */
export function kernelNameFor(source: SourceSpec): string {
  switch (source.kind) {
    case 'tarball':
      return basename(source.path).replace(/\.tar(\.\w+)?$|\.tgz$/, '');
    case 'tree':
      return basename(source.path);
    case 'git':
      return `${basename(source.repo)}@${source.ref}`;
  }
}
