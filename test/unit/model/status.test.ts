import { describe, expect, it } from 'vitest';
import { RUN_EXIT_CODE } from '../../../harness/cli/exit-codes.ts';
import type { CellResult, WorkloadResult } from '../../../harness/model/result.ts';
import { cellStatus, runStatus, totals } from '../../../harness/model/status.ts';
import type { Finding } from '../../../harness/scan/types.ts';

const workload = (
  cases: WorkloadResult['cases'],
  status: WorkloadResult['status'] = 'passed',
): WorkloadResult => ({
  name: 'hmm-tests',
  status,
  exitStatus: 0,
  durationS: 1,
  cases,
  output: null,
  consoleLines: null,
});
const kase = (name: string, status: WorkloadResult['cases'][number]['status']) => ({
  name,
  status,
  message: null,
  durationS: null,
});
const cell = (over: Partial<CellResult> = {}): CellResult => ({
  id: 'k@m#1',
  kernel: {
    name: 'k',
    release: '6.1',
    cacheKey: 'x',
    source: { kind: 'tarball', location: '/t', id: 'i' },
    patches: [],
    base: 'tinyconfig',
    fragments: [],
    configSha256: null,
    toolchain: null,
  },
  machine: { name: 'm', accel: 'tcg', accelReason: null, qemuVersion: null, cmdline: [] },
  repeat: 1,
  status: 'pending',
  exit: { reason: { kind: 'done' }, message: '' },
  error: null,
  durationS: 1,
  workloads: [workload([kase('a', 'pass'), kase('b', 'xfail'), kase('c', 'skip')])],
  findings: [],
  artifacts: { dir: '.', console: null, buildLog: null, manifest: null },
  ...over,
});
const finding = {
  title: 'BUG: Bad page state in put_page',
  category: 'bad-page-state',
  workload: 'hmm-tests',
} as unknown as Finding;

describe('verdicts', () => {
  it('passes a cell whose cases pass, skip or fail as expected, with a clean log', () => {
    expect(cellStatus(cell())).toBe('passed');
  });

  it('fails a cell on a failing, missing or unexpectedly passing case', () => {
    for (const s of ['fail', 'missing', 'xpass'] as const)
      expect(cellStatus(cell({ workloads: [workload([kase('a', s)])] }))).toBe('failed');
  });

  it('fails a cell on any kernel finding, even when every case passed (expectations never hide a BUG)', () => {
    expect(cellStatus(cell({ findings: [finding] }))).toBe('failed');
  });

  it('fails a cell that panicked or hung, and errors one that could not build or boot', () => {
    expect(
      cellStatus(cell({ exit: { reason: { kind: 'hang', step: 'x', timeoutS: 300 }, message: 'step x' } })),
    ).toBe('failed');
    expect(cellStatus(cell({ exit: null, error: 'kernel build failed', workloads: [] }))).toBe('error');
    expect(
      cellStatus(
        cell({
          exit: { reason: { kind: 'infrastructure', message: 'QEMU would not start' }, message: 'qemu' },
        }),
      ),
    ).toBe('error');
  });

  it('makes the run failed when any cell failed, error when one errored, and maps to 0/1/2/130', () => {
    const passed = { ...cell(), status: 'passed' as const };
    const failed = { ...cell(), status: 'failed' as const };
    const errored = { ...cell(), status: 'error' as const };
    expect(runStatus([passed], false)).toBe('passed');
    expect(runStatus([passed, errored], false)).toBe('error');
    expect(runStatus([errored, failed], false)).toBe('failed');
    expect(runStatus([passed], true)).toBe('interrupted');
    expect([
      RUN_EXIT_CODE.passed,
      RUN_EXIT_CODE.failed,
      RUN_EXIT_CODE.error,
      RUN_EXIT_CODE.interrupted,
    ]).toEqual([0, 1, 2, 130]);
  });

  it('counts cases, findings and distinct finding titles', () => {
    const c = { ...cell({ findings: [finding, finding] }), status: 'failed' as const };
    const t = totals([c, c]);
    expect(t.cases).toEqual({ pass: 2, fail: 0, skip: 2, missing: 0, xfail: 2, xpass: 0 });
    expect(t.findings).toBe(4);
    expect(t.distinctFindings).toBe(1);
    expect(t.cells.failed).toBe(2);
  });
});
