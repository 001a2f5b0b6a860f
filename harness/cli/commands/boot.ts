import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { buildKernel } from '../../build/build-kernel.ts';
import type { KernelSpec } from '../../build/kernel-spec.ts';
import { resolveBuild } from '../../build/resolve.ts';
import type { BuildRecord } from '../../build/types.ts';
import { usageError } from '../../errors.ts';
import { describeExit, isKernelFailure } from '../../machine/exit-reason.ts';
import { loadProfile } from '../../machine/profile.ts';
import type { MachineProfile } from '../../machine/profile-rules.ts';
import { type MachineResult, type RunMachineOptions, runMachine } from '../../machine/runner.ts';
import { createProgress, type Progress } from '../../progress/progress.ts';
import {
  checkWorkloadNames,
  commandStep,
  type GuestWorkloads,
  planGuestWorkloads,
} from '../../run/guest-workloads.ts';
import { collect, positiveSeconds } from '../arg-parsers.ts';
import { machineExitCode } from '../exit-codes.ts';
import { addKernelOptions, hasKernelFlags, type KernelFlags, kernelSpecFromFlags } from '../kernel-flags.ts';
import type { RegisterCommand } from './index.ts';

/** The options `zdh boot` and `zdh shell` share: a built kernel, or what to build, and the machine. */
export interface MachineFlags extends KernelFlags {
  kernel?: string;
  machine?: string;
  accel?: 'kvm' | 'tcg';
  out?: string;
  keepDisks?: boolean;
  /** --workload: these workloads' programs, helper scripts and step environment in the guest. */
  workload?: string[];
}

export function addMachineOptions(cmd: Command): Command {
  cmd.option(
    '--kernel <build>',
    'a build folder or cache key from `zdh build` (default: the default build, built if needed)',
  );
  // Or what to build (a cache hit returns at once): the same flags as `zdh build`.
  return addKernelOptions(cmd)
    .option(
      '--machine <name|file>',
      'a profile in configs/machines (default: default) or a path to a .yaml file',
    )
    .addOption(
      new Option(
        '--accel <accel>',
        'force the accelerator (default: KVM when it works here, else TCG)',
      ).choices(['kvm', 'tcg']),
    )
    .option(
      '--out <dir>',
      'run folder for console.log, step output and result.json (default: .zdh/runs/<time>)',
    )
    .option('--keep-disks', 'keep the NVDIMM backing files and the initrd in the run folder')
    .option(
      '--workload <name>',
      "put this workload's programs and helper scripts in the guest (/usr/lib/zdh/bin, first in PATH, as in its step), built as `zdh run` builds them; repeatable",
      collect,
    );
}

/** A fresh run folder name: .zdh/runs/<command>-<UTC time>-<random>. */
export function defaultRunDir(command: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const rand = Math.random().toString(36).slice(2, 8);
  return join(process.cwd(), '.zdh', 'runs', `${command}-${stamp}-${rand}`);
}

/**
 * Checks the flags (--workload names too), loads the profile (a bad profile fails before
 * any build), then the kernel: --kernel's build, or the build the kernel flags describe
 * (built, or a cache hit); then, with --workload, the workloads' programs for that build,
 * planned as a run plans them (null without --workload).
 */
export async function prepareMachine(
  flags: MachineFlags,
  progress: Progress,
): Promise<{ profile: MachineProfile; build: BuildRecord; workloads: GuestWorkloads | null }> {
  // The declarations (YAML, schemas) and the program builder load only for --workload.
  const wanted = flags.workload ?? [];
  const names =
    wanted.length === 0
      ? []
      : checkWorkloadNames(
          wanted,
          (await import('../../workloads/load.ts')).loadWorkloads().map((w) => w.name),
        );
  const spec = await machineKernelSpec(flags);
  const profile = loadProfile(flags.machine);
  const build = spec ? await buildKernel(spec, { progress }) : await resolveBuild(flags.kernel, { progress });
  const workloads =
    names.length === 0
      ? null
      : await planGuestWorkloads({
          names,
          build,
          profile,
          planCell: (await import('../../run/default-plan.ts')).defaultPlanCell,
          onProgress: (m) => progress.step(m),
        });
  return { profile, build, workloads };
}

/** What runMachine takes for --workload: the image's extra files and the command line's extras. */
export function workloadMachineOptions(
  workloads: GuestWorkloads | null,
): Pick<RunMachineOptions, 'image' | 'cmdlineExtra'> {
  if (workloads === null) return {};
  return { image: { files: workloads.files }, cmdlineExtra: workloads.cmdlineExtra };
}

/** The kernel to build for `zdh boot`/`zdh shell`, or undefined for --kernel (or the default build). */
export async function machineKernelSpec(flags: MachineFlags): Promise<KernelSpec | undefined> {
  if (!hasKernelFlags(flags)) return undefined;
  if (flags.kernel !== undefined)
    throw usageError(
      '--kernel names a finished build; it does not go with --tarball, --tree, --git, --spec, --base, --patches or --config',
      'give either --kernel or the flags of the kernel to build',
    );
  return kernelSpecFromFlags(flags);
}

/** The closing message on stderr for anything but a clean finish. */
export function reportEnd(result: MachineResult, write: (s: string) => void): void {
  const r = result.exitReason;
  if (r.kind === 'done') return;
  const lines = [`zdh: ${describeExit(r)}`];
  if (isKernelFailure(r) || r.kind === 'infrastructure') lines.push(`  console: ${result.consoleLog}`);
  if (r.kind === 'infrastructure') lines.push(`  QEMU's messages: ${join(result.runDir, 'qemu.stderr.log')}`);
  write(`${lines.join('\n')}\n`);
}

export const DEFAULT_COMMAND_TIMEOUT_S = 600;

export const registerBoot: RegisterCommand = (program, result) => {
  const cmd = program
    .command('boot')
    .description(
      'boot a build on a machine profile, run CMD in the guest and stream its output; exits with its status',
    )
    .argument('[cmd...]', 'the guest command and its arguments (after --)')
    .addHelpText(
      'after',
      '\nExit status: the guest command\'s (0-255); 1 when the kernel panics or hangs; 2 when QEMU or the host fails.\nExamples: zdh boot -- sh -c "modprobe test_hmm && ls /dev/hmm_dmirror*"\n          zdh boot --workload dax-ext4 -- sh -c "zdh-pmem reset && zdh-dax --list"',
    );
  addMachineOptions(cmd)
    .addOption(
      new Option(
        '--timeout <seconds>',
        `seconds CMD may run before it counts as a hang (default ${DEFAULT_COMMAND_TIMEOUT_S})`,
      ).argParser(positiveSeconds),
    )
    .option('--console', 'also copy the kernel console to stderr as it arrives')
    .action(async (argv: string[], opts: MachineFlags & { timeout?: number; console?: boolean }) => {
      if (argv.length === 0)
        throw usageError('no guest command given', 'put it after --, e.g. zdh boot -- uname -r');
      const progress = createProgress();
      try {
        const { profile, build, workloads } = await prepareMachine(opts, progress);
        const run = await runMachine({
          build,
          profile,
          steps: [commandStep(argv, opts.timeout ?? DEFAULT_COMMAND_TIMEOUT_S, workloads?.env ?? [])],
          ...workloadMachineOptions(workloads),
          outDir: opts.out ?? defaultRunDir('boot'),
          ...(opts.accel ? { accel: opts.accel } : {}),
          ...(opts.keepDisks ? { keepDisks: true } : {}),
          onProgress: (m) => progress.step(m),
          onStepOutput: (_i, data) => process.stdout.write(data),
          ...(opts.console ? { onConsole: (data: Buffer) => process.stderr.write(data) } : {}),
        });
        progress.done();
        reportEnd(run, (s) => process.stderr.write(s));
        result.code = machineExitCode(run.exitReason, run.steps[0]?.status);
      } finally {
        progress.done();
      }
    });
  return cmd;
};
