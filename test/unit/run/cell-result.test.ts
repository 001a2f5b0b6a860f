import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../../harness/machine/steps.ts';
import type { CaseResult, WorkloadResult } from '../../../harness/model/result.ts';
import {
  blockedSetups,
  stepSeconds,
  workloadResults,
  workloadStatus,
} from '../../../harness/run/cell-result.ts';
import type { CellWorkload } from '../../../harness/run/workload-plan.ts';

const step = (name: string, o: Partial<StepResult> = {}): StepResult => ({
  index: 0,
  name,
  state: 'finished',
  status: 0,
  output: '',
  outputTruncated: false,
  outputFile: undefined,
  nonce: 'n',
  guestStart: undefined,
  guestEnd: undefined,
  hostStartMs: undefined,
  hostEndMs: undefined,
  ...o,
});
const kase = (name: string, status: CaseResult['status']): CaseResult =>
  ({ name, status, message: null, durationS: null }) as CaseResult;

describe('workloadStatus', () => {
  it('a workload whose steps never began did not run; one cut short is a timeout or incomplete', () => {
    expect(workloadStatus([], 1, [])).toBe('not-run');
    expect(workloadStatus([step('a', { state: 'not-run' })], 1, [])).toBe('not-run');
    expect(workloadStatus([step('a', { state: 'timeout' }), step('b')], 2, [])).toBe('timeout');
    expect(workloadStatus([step('a', { state: 'incomplete' })], 1, [])).toBe('incomplete');
    expect(workloadStatus([step('a')], 2, [])).toBe('incomplete');
    expect(workloadStatus([step('a'), step('b', { state: 'not-run' })], 2, [])).toBe('incomplete');
  });

  it('a non-zero exit passes only when expected failures alone explain it', () => {
    expect(workloadStatus([step('a')], 1, [kase('x', 'pass')])).toBe('passed');
    const exit1 = [step('a', { status: 1 })];
    expect(workloadStatus(exit1, 1, [kase('x', 'pass'), kase('y', 'xfail')])).toBe('passed');
    expect(workloadStatus(exit1, 1, [kase('x', 'xfail'), kase('y', 'fail')])).toBe('failed');
    expect(workloadStatus(exit1, 1, [kase('x', 'xfail'), kase('y', 'xpass')])).toBe('failed');
    expect(workloadStatus(exit1, 1, [kase('x', 'pass')])).toBe('failed');
  });
});

describe('stepSeconds', () => {
  it('spans the first start to the last end, in tenths; null when no step both began and ended', () => {
    expect(
      stepSeconds([
        step('a', { hostStartMs: 1000, hostEndMs: 4000 }),
        step('b', { hostStartMs: 4100, hostEndMs: 13_460 }),
      ]),
    ).toBe(12.5);
    expect(stepSeconds([step('a', { hostStartMs: 1000 })])).toBeNull();
    expect(stepSeconds([])).toBeNull();
  });
});

describe('workloadResults', () => {
  const planned = (name: string, steps: string[], o: Partial<CellWorkload> = {}): CellWorkload => ({
    name,
    steps: steps.map((s) => ({ name: s, timeoutS: 60 })),
    cases: (results) => results.map((r) => kase(`${r.name}-case`, r.status === 0 ? 'pass' : 'fail')),
    ...o,
  });

  it("hands each workload the machine's early stop, so cases never reported name it", () => {
    const seen: (string | undefined)[] = [];
    const w = planned('w', ['w'], {
      cases: (_results, machineStop) => {
        seen.push(machineStop);
        return [kase('c', 'missing')];
      },
    });
    const facts = {
      steps: [step('w', { state: 'not-run', status: undefined })],
      stepLines: undefined,
      findings: [],
      kernelRelease: '6.1.192',
      accel: 'tcg',
      relative: (p: string) => p,
    };
    const judge = { judge: ({ cases }: { cases: CaseResult[] }) => cases };
    workloadResults(
      [w],
      { ...facts, machineStop: "hang: in step 'x' the kernel reported task y blocked" },
      judge,
    );
    workloadResults([w], facts, judge);
    expect(seen).toEqual(["hang: in step 'x' the kernel reported task y blocked", undefined]);
  });

  it("judges each workload's cases from its own steps, with the expectations, and says where its output and console lines are", () => {
    const judged: string[] = [];
    const [hmm, dax, devdax] = workloadResults(
      [
        planned('hmm', ['hmm-setup', 'hmm']),
        planned('dax', ['dax']),
        planned('devdax', ['devdax'], { skipReason: 'no NVDIMM' }),
      ],
      {
        steps: [
          step('hmm-setup', { hostStartMs: 0, hostEndMs: 1000 }),
          step('hmm', {
            status: 1,
            outputFile: '/runs/r/cells/c/steps/1-hmm.out',
            hostStartMs: 1000,
            hostEndMs: 6000,
          }),
          step('dax', { state: 'incomplete', status: undefined }),
        ],
        stepLines: new Map([
          ['hmm-setup', [10, 20]],
          ['hmm', [21, 90]],
          ['dax', [91, 95]],
        ]),
        findings: [{ workload: 'dax', title: 'BUG: x' }],
        kernelRelease: '6.1.192',
        accel: 'tcg',
        relative: (p) => p.replace('/runs/r/', ''),
      },
      {
        judge: ({ workload, cases, findings }) => {
          judged.push(`${workload}:${findings.length}`);
          return cases.map((c) => (c.name === 'hmm-case' ? { ...c, status: 'xfail' } : c));
        },
      },
    );
    expect(judged).toEqual(['hmm:1', 'dax:1', 'devdax:1']);
    expect(hmm).toMatchObject({
      status: 'passed', // exit 1, explained by the expected failure alone
      exitStatus: 1,
      durationS: 6,
      output: 'cells/c/steps/1-hmm.out',
      consoleLines: [10, 90],
    });
    expect(hmm?.cases.map((c) => [c.name, c.status])).toEqual([
      ['hmm-setup-case', 'pass'],
      ['hmm-case', 'xfail'],
    ]);
    expect(dax).toMatchObject({
      status: 'incomplete',
      exitStatus: null,
      output: null,
      consoleLines: [91, 95],
    });
    expect(devdax).toMatchObject({ status: 'passed', cases: [], consoleLines: null });
  });
});

describe('blockedSetups', () => {
  const w = (name: string, status: WorkloadResult['status'], cases: CaseResult[] = []): WorkloadResult => ({
    name,
    status,
    exitStatus: null,
    durationS: null,
    cases,
    output: null,
    consoleLines: null,
  });
  const setupFail = {
    ...kase('setup', 'fail'),
    message: 'set-up command 1 exited with status 1: zdh-hmm load --coherent',
  };

  it('a set-up that fails after an earlier workload hung, or brought a kernel report, says it was blocked by that', () => {
    const [, , stress, gup] = blockedSetups(
      [
        w('gup-first', 'passed'),
        w('hmm-tests', 'timeout'),
        w('hmm-stress', 'failed', [setupFail]),
        w('gup', 'failed', [setupFail]),
      ],
      [],
    );
    expect(stress?.cases[0]?.message).toBe(
      'blocked by hmm-tests, which did not finish (timeout); set-up command 1 exited with status 1: zdh-hmm load --coherent',
    );
    expect(stress?.cases[0]?.status).toBe('fail');
    expect(gup?.cases[0]?.message).toMatch(/^blocked by hmm-tests, which did not finish/);
    const [, after] = blockedSetups(
      [w('hmm-tests', 'failed', [kase('x', 'fail')]), w('hmm-stress', 'failed', [setupFail])],
      [{ workload: 'hmm-tests', title: 'BUG: kernel NULL pointer dereference in rmap_walk' }],
    );
    expect(after?.cases[0]?.message).toMatch(
      /^blocked by the kernel's report in hmm-tests \(BUG: kernel NULL pointer dereference in rmap_walk\); set-up command 1/,
    );
  });

  it('a set-up failing on its own (nothing hung or reported before it) stays its own failure', () => {
    const input = [w('gup', 'failed', [kase('pin', 'fail')]), w('hmm-stress', 'failed', [setupFail])];
    expect(blockedSetups(input, [{ workload: 'hmm-stress', title: 'BUG: x' }])).toEqual(input);
  });
});
