/**
 * From selected workload declarations to what the machine runner takes: one step per
 * workload (its script, its time limit) and the files the guest image must carry. Pure:
 * the programs are built before (programs.ts) and passed in.
 *
 * The step is named after the workload, so that kernel-log findings (attributed to the
 * step between its markers) and cases share the workload's name.
 */
import { configError } from '../errors.ts';
import type { ImageFile } from '../image/layout.ts';
import type { StepSpec } from '../machine/steps.ts';
import { enabledOptions, type MachineFacts, unmetNeeds } from './needs.ts';
import { evalSeconds, type ParamValues, resolveParams, substitute } from './params.ts';
import { renderWorkloadScript, type ScriptInput, scriptBudgetS } from './script.ts';
import {
  type BuiltProgram,
  DEFAULT_CHECK_TIMEOUT_S,
  DEFAULT_SETUP_TIMEOUT_S,
  GUEST_BIN,
  TEARDOWN_TIMEOUT_S,
  type WorkloadDecl,
} from './types.ts';

export interface WorkloadRequest {
  name: string;
  /** Parameter values (e.g. { duration: 30 }); the rest take their defaults. */
  params?: Readonly<Record<string, unknown>>;
}

export interface PlanContext {
  machine: MachineFacts;
  /** The build's .config text. */
  kconfig: string;
  /** Built programs by name. */
  programs: ReadonlyMap<string, BuiltProgram>;
  /** Helper files every workload may use (guests/probes/*.sh). */
  helpers?: readonly ImageFile[];
}

/**
 * A selected workload resolved for one machine and kernel: its parameter values, its one
 * guest step, and the cases and checks it reports (run/workload-plan.ts CellWorkload is
 * how a cell's run takes it).
 */
export interface ResolvedWorkload {
  name: string;
  /** Declaration file, for messages. */
  file: string | undefined;
  params: ParamValues;
  step: StepSpec;
  /** The cases the workload's programs report, in order, when known. */
  expectedCases: string[];
  /** Checks in order (each one becomes a case `check.<name>`). */
  checks: { name: string; timeoutS: number }[];
  setupCommands: string[];
  commandTimeoutS: number;
}

export interface WorkloadPlan {
  workloads: ResolvedWorkload[];
  /** Workloads whose needs this machine or kernel does not meet, with the reasons. */
  skipped: { name: string; reasons: string[] }[];
  /** The steps, in order, for the machine runner. */
  steps: StepSpec[];
  /** Programs and helpers for the guest image. */
  files: ImageFile[];
}

/** Margin on top of a script's own worst case before the host calls the step a hang. */
export const STEP_MARGIN_S = 30;

/** Which workloads run here and which are skipped (and why): decides what to build. */
export function partitionByNeeds<T extends Pick<WorkloadDecl, 'name' | 'needs'>>(
  decls: readonly T[],
  machine: MachineFacts,
  kconfig: string,
): { run: T[]; skipped: { name: string; reasons: string[] }[] } {
  const options = enabledOptions(kconfig);
  const run: T[] = [];
  const skipped: { name: string; reasons: string[] }[] = [];
  for (const d of decls) {
    const reasons = unmetNeeds(d, machine, options);
    if (reasons.length > 0) skipped.push({ name: d.name, reasons });
    else run.push(d);
  }
  return { run, skipped };
}

export function planWorkloads(
  decls: readonly (WorkloadDecl & { file?: string })[],
  requests: readonly WorkloadRequest[],
  ctx: PlanContext,
): WorkloadPlan {
  const byName = new Map(decls.map((d) => [d.name, d]));
  const errors: string[] = [];
  const selected: { decl: WorkloadDecl & { file?: string }; req: WorkloadRequest }[] = [];
  const seen = new Set<string>();
  for (const req of requests) {
    const decl = byName.get(req.name);
    if (!decl) errors.push(`unknown workload ${req.name} (known: ${[...byName.keys()].sort().join(', ')})`);
    else if (seen.has(req.name)) errors.push(`workload ${req.name} is selected twice`);
    else selected.push({ decl, req });
    seen.add(req.name);
  }
  const { run, skipped } = partitionByNeeds(
    selected.map((s) => s.decl),
    ctx.machine,
    ctx.kconfig,
  );
  const runNames = new Set(run.map((d) => d.name));

  const workloads: ResolvedWorkload[] = [];
  const files = new Map<string, ImageFile>();
  for (const h of ctx.helpers ?? []) files.set(h.guestPath, h);
  for (const { decl, req } of selected) {
    if (!runNames.has(decl.name)) continue;
    const params = resolveParams(decl, req.params ?? {});
    errors.push(...params.errors);
    const values: ParamValues = { ...params.values, bin: GUEST_BIN };
    const sub = (text: string, what: string): string => {
      const r = substitute(text, values);
      if (r.unknown.length > 0)
        errors.push(`workload ${decl.name}: ${what} uses unknown {{${r.unknown.join('}}, {{')}}}`);
      return r.text;
    };
    const timeout = evalSeconds(decl.timeoutSec, values);
    if (timeout.error) errors.push(`workload ${decl.name}: timeoutSec ${timeout.error}`);

    const expectedCases: string[] = [];
    for (const p of decl.programs ?? []) {
      const built = ctx.programs.get(p.name);
      if (!built) {
        errors.push(`workload ${decl.name}: program ${p.name} was not built`);
        continue;
      }
      files.set(built.guestPath, { guestPath: built.guestPath, hostPath: built.hostPath, mode: 0o755 });
      if ((p.cases ?? (p.from === 'probe' ? 'list' : 'harness')) !== 'none')
        expectedCases.push(...(built.cases ?? []));
    }

    const setupTimeout = decl.setupTimeoutSec ?? DEFAULT_SETUP_TIMEOUT_S;
    const setupCommands = (decl.setup ?? []).map((c, i) => sub(c, `setup ${i + 1}`));
    const script: ScriptInput = {
      name: decl.name,
      setup: setupCommands.map((command) => ({ command, timeoutS: setupTimeout })),
      command: { command: sub(decl.command, 'command'), timeoutS: timeout.seconds ?? 1 },
      checks: (decl.checks ?? []).map((c) => ({
        name: c.name,
        command: sub(c.command, `check ${c.name}`),
        timeoutS: c.timeoutSec ?? DEFAULT_CHECK_TIMEOUT_S,
      })),
      teardown: (decl.teardown ?? []).map((c, i) => sub(c, `teardown ${i + 1}`)),
      teardownTimeoutS: TEARDOWN_TIMEOUT_S,
    };
    workloads.push({
      name: decl.name,
      file: decl.file,
      params: params.values,
      step: {
        name: decl.name,
        script: renderWorkloadScript(script),
        timeoutS: scriptBudgetS(script) + STEP_MARGIN_S,
        onTimeout: 'abort',
      },
      expectedCases,
      checks: script.checks.map((c) => ({ name: c.name, timeoutS: c.timeoutS })),
      setupCommands,
      commandTimeoutS: script.command.timeoutS,
    });
  }
  if (errors.length > 0) {
    throw configError('cannot plan the workloads', {
      details: errors,
      hint: 'fix the workload names or parameters (docs/workloads.md lists them)',
    });
  }
  return { workloads, skipped, steps: workloads.map((w) => w.step), files: [...files.values()] };
}
