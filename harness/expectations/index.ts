/**
 * The run pipeline's entry to expectations: one workload's cases (in the result model's
 * shape) and the expectations files in, judged cases out. The cell's kernel-log findings
 * are a required input, so that an expectation can never hide a BUG found in the log.
 * Pure: the files come from the caller (load.ts reads configs/expectations/).
 *
 *   const judged = applyRunExpectations({ workload, cases, kernelRelease, accel, findings }, files);
 */
import { relative } from 'node:path';
import type { CaseResult, ExpectationFileRef } from '../model/result.ts';
import { projectRoot } from '../util/paths.ts';
import {
  type Accel,
  applicableFiles,
  applyExpectations,
  type ExpectationFile,
  type FindingRef,
} from './match.ts';

export type { ExpectationFile, FindingRef, JudgedCase, Judgement } from './match.ts';
export { applicableFiles, applyExpectations } from './match.ts';
export { parseExpectationFile } from './parse.ts';

export function applyRunExpectations(
  args: {
    workload: string;
    cases: readonly CaseResult[];
    kernelRelease: string;
    accel: string;
    /** The cell's findings, each with the workload (step) it was attributed to. */
    findings: readonly FindingRef[];
  },
  files: readonly ExpectationFile[],
): CaseResult[] {
  const accel: Accel = args.accel === 'kvm' ? 'kvm' : 'tcg';
  const judged = applyExpectations(
    [
      {
        workload: args.workload,
        cases: args.cases.map((c) => ({
          name: c.name,
          // Cases that were already judged (xfail/xpass) are left as they are.
          status: c.status === 'xfail' || c.status === 'xpass' ? 'skip' : c.status,
          reason: c.message ?? undefined,
          log: [],
        })),
      },
    ],
    args.findings,
    files,
    { kernelRelease: args.kernelRelease, accel },
  );
  return args.cases.map((c, i) => {
    if (c.status === 'xfail' || c.status === 'xpass') return c;
    const j = judged.cases[i]!;
    return { ...c, status: j.status, message: j.message };
  });
}

/** The expectations files that speak for a kernel release and accelerator, named relative to the checkout (`root`). */
export function runExpectationFiles(
  facts: { kernelRelease: string; accel: string },
  files: readonly ExpectationFile[],
  root: string = projectRoot,
): ExpectationFileRef[] {
  const accel: Accel = facts.accel === 'kvm' ? 'kvm' : 'tcg';
  return applicableFiles(files, { kernelRelease: facts.kernelRelease, accel }).map((f) => ({
    ...f,
    file: f.file.startsWith(root) ? relative(root, f.file) : f.file,
  }));
}
