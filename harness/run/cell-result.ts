/**
 * A cell's workloads as results, from what the machine run and the console scan gave:
 * each workload's steps, cases (expectations applied), status, duration and console
 * lines. Pure: execute-cell.ts does the running and reading, then calls these.
 */
import type { StepResult } from '../machine/steps.ts';
import type { CaseResult, WorkloadResult, WorkloadStatus } from '../model/result.ts';
import type { CellWorkload, Expectations } from './workload-plan.ts';

export function emptyWorkload(name: string): WorkloadResult {
  return {
    name,
    status: 'not-run',
    exitStatus: null,
    durationS: null,
    cases: [],
    output: null,
    consoleLines: null,
  };
}

/** Findings are attributed to steps; a workload may have several steps (set-up, run, teardown). */
export function workloadOfStep(
  step: string | null,
  workloads: readonly { name: string; steps: { name: string }[] }[],
): string {
  if (!step) return 'boot';
  return workloads.find((w) => w.steps.some((s) => s.name === step))?.name ?? step;
}

export function workloadStatus(
  results: readonly StepResult[],
  expected: number,
  cases: readonly CaseResult[],
): WorkloadStatus {
  if (results.length === 0 || results.every((r) => r.state === 'not-run')) return 'not-run';
  if (results.some((r) => r.state === 'timeout')) return 'timeout';
  if (results.some((r) => r.state === 'incomplete') || results.length < expected) return 'incomplete';
  if (results.some((r) => r.state === 'not-run')) return 'incomplete';
  if (results.every((r) => r.status === 0)) return 'passed';
  // A non-zero exit is explained when the workload reported failures; if every one of
  // them is an expected failure, the workload passes. An unexplained exit fails.
  const explainedOnlyByExpected =
    cases.some((c) => c.status === 'xfail') &&
    !cases.some((c) => c.status === 'fail' || c.status === 'missing' || c.status === 'xpass');
  return explainedOnlyByExpected ? 'passed' : 'failed';
}

/** Host time from the first step's start to the last one's end, to 0.1 s; null when none both began and ended. */
export function stepSeconds(results: readonly StepResult[]): number | null {
  const starts = results.map((r) => r.hostStartMs).filter((x): x is number => x !== undefined);
  const ends = results.map((r) => r.hostEndMs).filter((x): x is number => x !== undefined);
  if (!starts.length || !ends.length) return null;
  return Math.round((Math.max(...ends) - Math.min(...starts)) / 100) / 10;
}

export interface WorkloadFacts {
  /** Every step the machine ran (or did not). */
  steps: readonly StepResult[];
  /** Console line range of each step, from the scan. */
  stepLines: ReadonlyMap<string, [number, number]> | undefined;
  findings: readonly { workload: string; title: string }[];
  /** Why the machine stopped early (describeExit), when it did: named by the cases it left unreported. */
  machineStop?: string;
  kernelRelease: string;
  accel: string;
  /** Output file paths are made relative to this. */
  relative: (path: string) => string;
}

/** Each planned workload as a result: its steps' cases judged by the expectations. */
export function workloadResults(
  workloads: readonly CellWorkload[],
  facts: WorkloadFacts,
  expectations: Pick<Expectations, 'judge'>,
): WorkloadResult[] {
  const byStep = new Map(facts.steps.map((s) => [s.name, s]));
  const results = workloads.map((w): WorkloadResult => {
    const results = w.steps.map((s) => byStep.get(s.name)).filter((r): r is StepResult => r !== undefined);
    const cases = expectations.judge({
      workload: w.name,
      cases: w.cases(results, facts.machineStop),
      kernelRelease: facts.kernelRelease,
      accel: facts.accel,
      findings: facts.findings,
    });
    const lines = w.steps
      .map((s) => facts.stepLines?.get(s.name))
      .filter((r): r is [number, number] => r !== undefined);
    const last = results[results.length - 1];
    return {
      name: w.name,
      status: w.skipReason === undefined ? workloadStatus(results, w.steps.length, cases) : 'passed',
      exitStatus: last?.status ?? null,
      durationS: stepSeconds(results),
      cases,
      output: last?.outputFile ? facts.relative(last.outputFile) : null,
      consoleLines: lines.length
        ? [Math.min(...lines.map((l) => l[0])), Math.max(...lines.map((l) => l[1]))]
        : null,
    };
  });
  return blockedSetups(results, facts.findings);
}

/**
 * A workload whose set-up failed after an earlier workload of the same boot hung (did not
 * finish) or brought a kernel finding has most likely been blocked by it (a module that will not
 * unload, a namespace left busy): its set-up case says so, naming the earlier failure,
 * instead of standing as a failure of its own.
 */
export function blockedSetups(
  results: readonly WorkloadResult[],
  findings: readonly { workload: string; title: string }[],
): WorkloadResult[] {
  const out: WorkloadResult[] = [];
  let blocker: string | undefined;
  for (const w of results) {
    const setup = w.cases.find((c) => c.name === 'setup' && (c.status === 'fail' || c.status === 'missing'));
    if (setup && blocker !== undefined) {
      const message = `blocked by ${blocker}${setup.message ? `; ${setup.message}` : ''}`;
      out.push({ ...w, cases: w.cases.map((c) => (c === setup ? { ...c, message } : c)) });
    } else {
      out.push(w);
    }
    if (blocker === undefined) {
      const finding = findings.find((f) => f.workload === w.name);
      if (finding) blocker = `the kernel's report in ${w.name} (${finding.title})`;
      else if (w.status === 'timeout' || w.status === 'incomplete')
        blocker = `${w.name}, which did not finish (${w.status})`;
    }
  }
  return out;
}
