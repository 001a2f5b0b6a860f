/**
 * `zdh boot --workload W` and `zdh shell --workload W`: a machine whose guest holds W's
 * programs and helper scripts, and gives the guest command (or the shell) the environment
 * W's step gives its commands, without running W. So a workload's commands, or one probe
 * case (`zdh-dax … --only truncate_vs_odirect`, as an upstream report prints it), can be
 * run by hand in a fresh boot.
 *
 * The image files are the run's own: the PlanCell a run plans its cells with
 * (run/default-plan.ts defaultPlanCell: the declarations, the programs built against the
 * build under test and cached by content, the helper scripts), so nothing is built here
 * that a run would not build the same way. The environment is workloads/script.ts
 * stepEnvironment: /usr/lib/zdh/bin first in PATH (and ZDH_WORKLOAD, for one workload).
 * The rest of a step's environment every boot has already: test_hmm's SPM options and
 * ZDH_SPM_DEV0/1 (machine/attempt.ts), the steps' memory cgroup (/init).
 *
 * Pure but for the PlanCell it is given (a fake one in the unit tests).
 */
import type { BuildRecord } from '../build/types.ts';
import { configError, usageError } from '../errors.ts';
import type { ImageFile } from '../image/layout.ts';
import { shellQuote } from '../machine/plan.ts';
import type { MachineProfile } from '../machine/profile-rules.ts';
import type { StepSpec } from '../machine/steps.ts';
import { stepEnvironment } from '../workloads/script.ts';
import type { PlanCell } from './workload-plan.ts';

/** What the machine gets for the workloads named. */
export interface GuestWorkloads {
  names: string[];
  /** For the image: the workloads' programs and helper scripts, and /root/.profile. */
  files: ImageFile[];
  cmdlineExtra: string[];
  /** The shell lines that give a command the workloads' step environment. */
  env: string[];
}

/** Read by the interactive shell (`sh -l`) after /etc/profile, which sets PATH anew. */
export const SHELL_PROFILE = '/root/.profile';

/**
 * The --workload names, checked against the declared ones before anything is built: each
 * once, in the order given. An unknown name is a usage error listing the known ones.
 */
export function checkWorkloadNames(names: readonly string[], known: readonly string[]): string[] {
  const unknown = [...new Set(names.filter((n) => !known.includes(n)))];
  if (unknown.length > 0) {
    throw usageError(
      `unknown workload${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`,
      `--workload takes one of: ${[...known].sort().join(', ')} (docs/workloads.md)`,
    );
  }
  return [...new Set(names)];
}

/**
 * The run's plan of the workloads for this build and machine, as image files and an
 * environment. A workload whose needs the machine or kernel does not meet (which a run
 * would skip) is a config error: its programs are not built, and its commands could not work.
 */
export async function planGuestWorkloads(args: {
  names: readonly string[];
  build: BuildRecord;
  profile: MachineProfile;
  planCell: PlanCell;
  onProgress: (message: string) => void;
}): Promise<GuestWorkloads> {
  const names = [...args.names];
  const plan = await args.planCell({
    workloads: names.map((name) => ({ name })),
    build: args.build,
    profile: args.profile,
    onProgress: args.onProgress,
  });
  const skipped = plan.workloads.filter((w) => w.skipReason !== undefined);
  if (skipped.length > 0) {
    throw configError(
      `${skipped.map((w) => w.name).join(', ')} cannot run on machine ${args.profile.name} with this kernel`,
      {
        details: skipped.map((w) => `${w.name}: ${w.skipReason}`),
        hint: 'choose a machine (--machine) and kernel (--config) that meet its needs (docs/workloads.md)',
      },
    );
  }
  const env = stepEnvironment(names.length === 1 ? names[0] : undefined);
  const profile: ImageFile = {
    guestPath: SHELL_PROFILE,
    data: [`# zdh --workload ${names.join(' ')}: the environment of the workloads' steps`, ...env, ''].join(
      '\n',
    ),
    mode: 0o644,
  };
  return { names, files: [...plan.files, profile], cmdlineExtra: [...plan.cmdlineExtra], env };
}

/** `zdh boot`'s one step: the guest command, exec'd, after the environment lines (none: as an argv). */
export function commandStep(
  argv: readonly string[],
  timeoutS: number,
  env: readonly string[] = [],
): StepSpec {
  if (env.length === 0) return { name: 'command', argv, timeoutS };
  return {
    name: 'command',
    script: [...env, `exec ${argv.map(shellQuote).join(' ')}`].join('\n'),
    timeoutS,
  };
}
