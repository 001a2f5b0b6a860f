import { cellExit } from '../../../harness/machine/exit-reason.ts';
import type { CaseResult, CellResult, WorkloadResult } from '../../../harness/model/result.ts';
import { cellStatus } from '../../../harness/model/status.ts';
import type { Finding } from '../../../harness/scan/types.ts';

/** Result-model fixtures for the bisect tests: a clean cell, then overrides. */
export function finding(title: string, over: Partial<Finding> = {}): Finding {
  return {
    title,
    category: 'warning',
    refcount: false,
    pageKind: null,
    page: null,
    workload: 'hmm-tests',
    firstLine: 100,
    lastLine: 120,
    count: 1,
    corrupted: false,
    frames: [],
    excerpt: `${title}\nCall Trace:\n dmirror_devmem_alloc_page+0x1/0x2 [test_hmm]`,
    ...over,
  };
}

export function kase(
  name: string,
  status: CaseResult['status'] = 'pass',
  message: string | null = null,
): CaseResult {
  return { name, status, message, durationS: 0.1 };
}

export function workload(name: string, over: Partial<WorkloadResult> = {}): WorkloadResult {
  return {
    name,
    status: 'passed',
    exitStatus: 0,
    durationS: 1,
    cases: [kase(`${name}.one`), kase(`${name}.two`)],
    output: `cells/c/steps/0-${name}.out`,
    consoleLines: [50, 400],
    ...over,
  };
}

export function cell(over: Partial<CellResult> = {}, repeat = 1): CellResult {
  const base: CellResult = {
    id: `s01-0123456789ab@default#${repeat}`,
    kernel: {
      name: 's01-0123456789ab',
      release: '6.1.0',
      cacheKey: 'k',
      source: { kind: 'git', location: '/clone', id: 'git-tree:t', ref: 'c', commit: 'c' },
      patches: [],
      base: 'tinyconfig',
      fragments: [],
      configSha256: 'x',
      toolchain: 'gcc',
    },
    machine: { name: 'default', accel: 'tcg', accelReason: null, qemuVersion: null, cmdline: [] },
    repeat,
    status: 'pending',
    exit: { reason: { kind: 'done' }, message: 'the guest finished and powered off' },
    error: null,
    durationS: 10,
    workloads: [workload('hmm-tests')],
    findings: [],
    artifacts: {
      dir: 'cells/c',
      console: 'cells/c/console.log',
      buildLog: 'cells/c/build.log',
      manifest: null,
    },
    ...over,
  };
  return { ...base, status: over.status ?? cellStatus(base) };
}

export const clean = (repeat = 1): CellResult => cell({}, repeat);

export const withFinding = (title: string, repeat = 1, over: Partial<Finding> = {}): CellResult =>
  cell({ findings: [finding(title, over)] }, repeat);

export const hung = (workloadName = 'hmm-tests', repeat = 1): CellResult =>
  cell(
    {
      exit: cellExit({ kind: 'hang', step: workloadName, timeoutS: 300 }),
      workloads: [
        workload(workloadName, {
          status: 'incomplete',
          exitStatus: null,
          cases: [kase('a', 'pass'), kase('b', 'missing')],
        }),
      ],
    },
    repeat,
  );

export const infra = (repeat = 1): CellResult =>
  cell(
    {
      exit: {
        reason: { kind: 'infrastructure', message: 'QEMU would not start' },
        message: 'infrastructure failure: QEMU would not start',
      },
      error: 'QEMU would not start',
      workloads: [workload('hmm-tests', { status: 'not-run', cases: [kase('a', 'missing')] })],
    },
    repeat,
  );

export const failingCase = (name: string, repeat = 1): CellResult =>
  cell(
    {
      workloads: [
        workload('hmm-tests', {
          status: 'failed',
          exitStatus: 1,
          cases: [kase('hmm-tests.one'), kase(name, 'fail', 'ASSERT failed at hmm-tests.c:1812')],
        }),
      ],
    },
    repeat,
  );

export const interruptedCell = (repeat = 1): CellResult =>
  cell({ status: 'interrupted', exit: { reason: { kind: 'interrupted' }, message: 'interrupted' } }, repeat);
