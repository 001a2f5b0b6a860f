import { join } from 'node:path';
import type { RunSummary } from '../model/result.ts';
import type { Progress } from '../progress/progress.ts';
import { writeReports } from '../report/write-all.ts';
import { defaultExpectations, defaultPlanCell } from '../run/default-plan.ts';
import { loadSuite, shippedSuites, suiteFromYaml, suitesDir } from '../suite/suite.ts';
import type { BisectDeps } from './driver.ts';
import type { Selection } from './model.ts';
import { planFor, type StepPlan, type SuiteLookup } from './selection.ts';

/**
 * What `zdh bisect` and `zdh bisect-step` run their steps with: the run pipeline's
 * workloads and expectations, the suites in configs/suites/, reports written beside each
 * run. Composition only; the commands probe the versions and pass them in.
 */

/** The suites in configs/suites/, and the built-in `default` for when none is shipped there. */
export const shippedSuiteLookup: SuiteLookup = {
  shipped: shippedSuites,
  load: loadSuite,
  builtInDefault: () => suiteFromYaml({ workloads: [] }, join(suitesDir, 'default.yaml')),
};

const reportsInto = (summary: RunSummary, dir: string): void => {
  writeReports(summary, dir);
};

/** planFor over the shipped suites (or a suite file). */
export function planSelection(sel: Selection): StepPlan {
  return planFor(sel, shippedSuiteLookup);
}

export function stepDeps(a: {
  progress: Progress;
  toolVersion: string;
  qemuVersion: string | null;
}): BisectDeps {
  return {
    planCell: defaultPlanCell,
    expectations: defaultExpectations(),
    progress: a.progress,
    toolVersion: a.toolVersion,
    qemuVersion: a.qemuVersion,
    planFor: planSelection,
    // The bisect's own folder (its record) and each step's run folder get the same reports.
    writeReports: reportsInto,
    onSummary: reportsInto,
  };
}
