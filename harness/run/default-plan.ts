import { applyRunExpectations, type ExpectationFile, runExpectationFiles } from '../expectations/index.ts';
import { loadExpectations } from '../expectations/load.ts';
import type { CaseResult } from '../model/result.ts';
import { prepareWorkloads } from '../workloads/prepare.ts';
import { parseWorkloadOutput } from '../workloads/results.ts';
import type { CellWorkload, Expectations, PlanCell } from './workload-plan.ts';

/**
 * The run pipeline's binding to the workloads layer: declarations from configs/workloads/
 * and kselftests/, programs built for the guest from guests/probes/ and the kernel tree
 * under test, one guest step per workload, results parsed from each step's output.
 */
export const defaultPlanCell: PlanCell = async ({ workloads, build, profile, onProgress }) => {
  onProgress(`preparing ${workloads.length} workload(s)`);
  const plan = await prepareWorkloads(
    workloads.map((w) => ({ name: w.name, ...(w.params ? { params: w.params } : {}) })),
    build,
    profile,
  );
  const timeouts = new Map(workloads.filter((w) => w.timeout !== undefined).map((w) => [w.name, w.timeout!]));
  const planned: CellWorkload[] = plan.workloads.map((pw) => {
    const override = timeouts.get(pw.name);
    const step = override === undefined ? pw.step : { ...pw.step, timeoutS: override };
    return {
      name: pw.name,
      steps: [step],
      cases: (results, machineStop) => {
        const r = results[0];
        const outcome = parseWorkloadOutput(
          pw,
          { state: r?.state ?? 'not-run', status: r?.status, output: r?.output ?? '', nonce: r?.nonce ?? '' },
          machineStop,
        );
        return outcome.cases.map(
          (c): CaseResult => ({ name: c.name, status: c.status, message: c.reason ?? null, durationS: null }),
        );
      },
    };
  });
  const skipped: CellWorkload[] = plan.skipped.map((s) => ({
    name: s.name,
    steps: [],
    skipReason: s.reasons.join('; '),
    cases: () => [
      { name: 'needs', status: 'skip', message: `not run here: ${s.reasons.join('; ')}`, durationS: null },
    ],
  }));
  // Keep the suite's order.
  const byName = new Map([...planned, ...skipped].map((w) => [w.name, w]));
  return {
    workloads: workloads.map((w) => byName.get(w.name)).filter((w): w is CellWorkload => w !== undefined),
    files: plan.files,
    cmdlineExtra: [],
  };
};

/**
 * Known failures of a kernel/accelerator, from configs/expectations/ (or what `load` gives).
 * The files are read when first needed and kept by the value returned: one per run (or
 * bisect), so a run reads them once and the next run sees edits made in between.
 */
export function defaultExpectations(load: () => readonly ExpectationFile[] = loadExpectations): Expectations {
  let files: readonly ExpectationFile[] | undefined;
  const loaded = (): readonly ExpectationFile[] => {
    files ??= load();
    return files;
  };
  return {
    judge: (args) => applyRunExpectations(args, loaded()),
    files: (facts) => runExpectationFiles(facts, loaded()),
  };
}
