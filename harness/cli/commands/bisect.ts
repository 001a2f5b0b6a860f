import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { planSelection, stepDeps } from '../../bisect/deps.ts';
import { resetBisect, resumeBisect, startBisect } from '../../bisect/driver.ts';
import { bisectExitCode } from '../../bisect/exit.ts';
import { repoTop } from '../../bisect/git.ts';
import { type BisectRecord, bisectReport, type Selection } from '../../bisect/model.ts';
import { renderBisect } from '../../bisect/render.ts';
import { parseMatch } from '../../bisect/signature.ts';
import { usageError } from '../../errors.ts';
import type { AccelRequest } from '../../machine/accel.ts';
import { qemuVersion } from '../../machine/qemu-version.ts';
import { createProgress } from '../../progress/progress.ts';
import { defaultRunDir } from '../../run/run-folder.ts';
import { shippedSuites } from '../../suite/suite.ts';
import { collect, positiveCount } from '../arg-parsers.ts';
import { addNarrowingOptions } from '../kernel-flags.ts';
import { VERSION } from '../version.ts';
import type { RegisterCommand } from './index.ts';

/** The selection flags `zdh bisect` and `zdh bisect-step` share. */
export interface SelectionFlags {
  suite?: string;
  workload?: string[];
  machine?: string[];
  patches?: string[];
  config?: string[];
  base?: string;
  defaultFragments?: boolean;
  repeat?: number;
  accel?: AccelRequest;
  match?: string[];
  ignore?: string[];
  json?: boolean;
  out?: string;
}

export function addSelectionOptions(cmd: Command): Command {
  cmd.option(
    '--suite <name|file>',
    `suite whose workloads, machines and kernel configuration each step uses (${shippedSuites().join(', ') || 'default'})`,
  );
  return addNarrowingOptions(cmd, {
    workload: 'run only these workloads (repeatable)',
    machine: 'machine profiles to run on instead of the suite’s (repeatable)',
    patches: 'patch file, folder or series applied on every commit (repeatable)',
    config: 'kconfig fragment path or name added to every build (repeatable)',
  })
    .option('--base <config>', 'base config: tinyconfig (default), allnoconfig, defconfig or a .config file')
    .option('--no-default-fragments', "leave out the project's configs/kconfig/*.config")
    .addOption(
      new Option(
        '--repeat <n>',
        'runs per step: bad if any run matches, good only if all are clean',
      ).argParser(positiveCount),
    )
    .addOption(new Option('--accel <accel>', 'accelerator').choices(['auto', 'kvm', 'tcg']))
    .option(
      '--match <signature>',
      'what makes a commit bad: a finding title, /REGEX/, hang:WORKLOAD or case:WORKLOAD:NAME (repeatable: any)',
      collect,
    )
    .option(
      '--ignore <signature>',
      'failures (same syntax) that neither mark a commit bad nor skip it (repeatable)',
      collect,
    )
    .option('--json', 'print the result as JSON on stdout')
    .option('--out <dir>', 'run folder');
}

/** Flags → Selection, with paths made absolute so a resumed bisect finds them from anywhere. */
export function selectionFromFlags(f: SelectionFlags): Selection {
  const abs = (p: string): string => resolve(p);
  for (const m of [...(f.match ?? []), ...(f.ignore ?? [])]) parseMatch(m);
  return {
    suite: f.suite ? (existsSync(f.suite) ? abs(f.suite) : f.suite) : 'default',
    workloads: f.workload ?? null,
    machines: f.machine ? f.machine.map((m) => (existsSync(m) ? abs(m) : m)) : null,
    repeat: f.repeat ?? 1,
    patches: (f.patches ?? []).map(abs),
    config: (f.config ?? []).map((c) => (existsSync(c) ? abs(c) : c)),
    base: f.base ? (existsSync(f.base) ? abs(f.base) : f.base) : null,
    defaultFragments: f.defaultFragments !== false,
    accel: f.accel ?? 'auto',
    ignore: f.ignore ?? [],
    match: f.match ?? [],
  };
}

interface BisectFlags extends SelectionFlags {
  git?: string;
  good?: string;
  bad?: string;
  resume?: boolean;
  reset?: boolean;
}

const SELECTION_KEYS: (keyof SelectionFlags)[] = [
  'suite',
  'workload',
  'machine',
  'patches',
  'config',
  'base',
  'repeat',
  'accel',
  'match',
  'ignore',
  'out',
];

export const registerBisect: RegisterCommand = (program, result) => {
  const cmd = program
    .command('bisect')
    .description(
      'find the commit that introduced a kernel BUG: confirm --good and --bad, then build, boot and test the commits `git bisect` picks',
    )
    .option('--git <dir>', "the kernel repository (only read: git bisect runs in zdh's own clone)")
    .option('--good <ref>', 'a commit without the bug')
    .option('--bad <ref>', 'a commit with the bug')
    .option('--resume', 'continue the interrupted bisect of --git (default: the repository here)')
    .option('--reset', 'discard the bisect state of --git (default: the repository here); run folders stay')
    .addHelpText(
      'after',
      `
Without --match, the signature is what --bad shows and --good does not (findings first).
Exit status: 0 first bad commit found; 1 inconclusive (only skipped commits left);
2 --good/--bad not confirmed, or an error; 130 interrupted (zdh bisect --resume continues).
See docs/bisect.md.`,
    );
  addSelectionOptions(cmd).action(async (flags: BisectFlags) => {
    if (flags.resume && flags.reset) throw usageError('give only one of --resume and --reset');
    const repo = await repoTop(flags.git ?? process.cwd());
    if (flags.reset) {
      const gone = await resetBisect(repo);
      process.stderr.write(
        gone
          ? `discarded the bisect of ${repo} (${gone.steps.length} step(s)); its run folder stays: ${gone.runDir}\n`
          : `there was no bisect state for ${repo}\n`,
      );
      result.code = 0;
      return;
    }
    const progress = createProgress();
    try {
      let record: BisectRecord;
      if (flags.resume) {
        const given = [...SELECTION_KEYS, 'good', 'bad'].filter(
          (k) => flags[k as keyof BisectFlags] !== undefined,
        );
        if (given.length > 0) {
          throw usageError(
            `--resume continues with the bisect's own settings; leave out ${given.map((k) => `--${k}`).join(', ')}`,
            'or discard it with --reset and start again',
          );
        }
        record = await resumeBisect(
          repo,
          stepDeps({ progress, toolVersion: VERSION, qemuVersion: await qemuVersion() }),
        );
      } else {
        if (!flags.good || !flags.bad) {
          throw usageError(
            'zdh bisect needs --good REF and --bad REF',
            'or --resume / --reset for a bisect in progress',
          );
        }
        const selection = selectionFromFlags(flags);
        planSelection(selection);
        record = await startBisect(
          {
            repo,
            good: flags.good,
            bad: flags.bad,
            selection,
            runDir: resolve(flags.out ?? defaultRunDir('bisect')),
            command: process.argv.slice(2),
          },
          stepDeps({ progress, toolVersion: VERSION, qemuVersion: await qemuVersion() }),
        );
      }
      progress.done();
      process.stderr.write(`${renderBisect(record)}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(bisectReport(record))}\n`);
      result.code = bisectExitCode(record.outcome);
    } finally {
      progress.done();
    }
  });
  return cmd;
};
