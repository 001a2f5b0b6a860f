/**
 * Renders what /init reads from the run's small second archive:
 *   /zdh/plan.sh       shell variables, sourced by /init (values single-quoted)
 *   /zdh/steps/<i>.sh  one script per step
 *   /etc/modprobe.d/zdh.conf  module options of the machine (test_hmm's SPM addresses)
 * Pure: the result is a list of cpio entries.
 */
import type { CpioEntry } from '../image/cpio.ts';
import { guestDeadlineS, type StepSpec } from './steps.ts';

export interface GuestPlan {
  /** The results channel's frames and the steps' own result markers carry it (channel.ts). */
  nonce: string;
  /** /init's step markers in the kernel log carry it (steps/markers.ts). */
  markerNonce: string;
  /** 'steps': run the steps and power off; 'shell': run the steps, then a shell on the console. */
  mode: 'steps' | 'shell';
  steps: readonly StepSpec[];
  hugepages: number;
  hungTaskTimeoutS: number;
  /** modprobe options lines, e.g. 'options test_hmm spm_addr_dev0=0x60000000 spm_addr_dev1=0x70000000'. */
  modprobeOptions: readonly string[];
  /** Variables /init exports to every step and the shell (e.g. ZDH_SPM_DEV0). */
  env: Readonly<Record<string, string>>;
  /** The terminal's size for the interactive shell. */
  terminal?: { rows: number; cols: number };
}

/** POSIX single-quoting: safe for any string without NUL. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderStepScript(step: StepSpec): string {
  const lines = [
    '#!/bin/sh',
    `# zdh step ${step.name}`,
    // /init passes the run's nonce for the step's own result markers (workloads/script.ts).
    // Kept in a shell variable and out of the environment, so nothing the step starts
    // inherits it, prints it, or can learn it by accident.
    'zdh_nonce=$ZDH_NONCE',
    'unset ZDH_NONCE',
  ];
  for (const [k, v] of Object.entries(step.env ?? {})) lines.push(`export ${k}=${shellQuote(v)}`);
  lines.push(`cd ${shellQuote(step.cwd ?? '/')} || exit 126`);
  if (step.argv !== undefined) lines.push(`exec ${step.argv.map(shellQuote).join(' ')}`);
  else lines.push(step.script ?? '');
  return `${lines.join('\n')}\n`;
}

export function renderPlanVars(plan: GuestPlan): string {
  const vars: [string, string | number][] = [
    ['ZDH_NONCE', plan.nonce],
    ['ZDH_MARKER_NONCE', plan.markerNonce],
    ['ZDH_MODE', plan.mode],
    ['ZDH_HUGEPAGES', plan.hugepages],
    ['ZDH_HUNG_TASK_TIMEOUT', plan.hungTaskTimeoutS],
    ['ZDH_STEP_COUNT', plan.steps.length],
  ];
  if (plan.terminal) {
    vars.push(['ZDH_TERM_ROWS', plan.terminal.rows], ['ZDH_TERM_COLS', plan.terminal.cols]);
  }
  for (const [i, s] of plan.steps.entries()) {
    vars.push([`ZDH_STEP_${i}_NAME`, s.name], [`ZDH_STEP_${i}_DEADLINE`, guestDeadlineS(s)]);
  }
  const lines = vars.map(([k, v]) => `${k}=${shellQuote(String(v))}`);
  for (const [k, v] of Object.entries(plan.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new Error(`guest environment variable name ${k} is not a shell name`);
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderPlan(plan: GuestPlan): CpioEntry[] {
  const entries: CpioEntry[] = [
    { type: 'file', path: 'zdh/plan.sh', mode: 0o644, data: Buffer.from(renderPlanVars(plan)) },
  ];
  for (const [i, s] of plan.steps.entries()) {
    entries.push({
      type: 'file',
      path: `zdh/steps/${i}.sh`,
      mode: 0o755,
      data: Buffer.from(renderStepScript(s)),
    });
  }
  if (plan.modprobeOptions.length > 0) {
    entries.push({
      type: 'file',
      path: 'etc/modprobe.d/zdh.conf',
      mode: 0o644,
      data: Buffer.from(`${plan.modprobeOptions.join('\n')}\n`),
    });
  }
  return entries;
}
