import { describe, expect, it } from 'vitest';
import type {
  CaseResult,
  CaseStatus,
  CellResult,
  CellStatus,
  WorkloadResult,
} from '../../../harness/model/result.ts';
import {
  cellTag,
  findingGroups,
  judgeBoot,
  judgeCase,
  judgeExit,
  judgeStep,
  problems,
  strayWorkloads,
} from '../../../harness/report/view.ts';
import { loadFixture } from './helpers.ts';

const base = loadFixture('failing').cells[0]!;
const cellWith = (over: Partial<CellResult>): CellResult => ({ ...base, ...over });
const kase = (status: CaseStatus, message: string | null = 'why'): CaseResult => ({
  name: 'c',
  status,
  message,
  durationS: null,
});
const step = (over: Partial<WorkloadResult>): WorkloadResult => ({ ...base.workloads[0]!, ...over });

describe('judgeCase', () => {
  const running = cellWith({ status: 'failed' });
  it.each([
    ['pass', 'passed', 'why'],
    ['fail', 'failed', 'why'],
    ['skip', 'skipped', 'skipped: why'],
    ['xfail', 'skipped', 'expected failure: why'],
    ['xpass', 'failed', 'passed unexpectedly (expected to fail: why)'],
    ['missing', 'failed', 'never reported: why'],
  ] as const)('%s shows as %s', (status, verdict, message) => {
    expect(judgeCase(running, kase(status))).toEqual({ verdict, message });
  });

  it('fills in a message when the case has none', () => {
    expect(judgeCase(running, kase('fail', null)).message).toBe('failed');
    expect(judgeCase(running, kase('skip', null)).message).toBe('skipped');
    expect(judgeCase(running, kase('missing', null)).message).toBe('never reported');
  });

  it.each<CellStatus>(['interrupted', 'pending'])('skips a missing case when the cell is %s', (status) => {
    expect(judgeCase(cellWith({ status }), kase('missing', null))).toEqual({
      verdict: 'skipped',
      message: 'not reported: the run was interrupted',
    });
  });
});

describe('judgeStep', () => {
  const hung = cellWith({
    status: 'failed',
    exit: { reason: { kind: 'panic', message: 'Fatal exception' }, message: 'kernel panic: Fatal exception' },
  });
  it('says nothing for a passed step, or a failed one whose cases show it', () => {
    expect(judgeStep(hung, step({ status: 'passed' }))).toBeNull();
    expect(judgeStep(hung, step({ status: 'failed', cases: [kase('fail')] }))).toBeNull();
  });
  it('fails a failed step none of whose cases failed, with its exit status', () => {
    expect(judgeStep(hung, step({ status: 'failed', exitStatus: 3, cases: [kase('pass')] }))).toEqual({
      verdict: 'failed',
      message: 'the step failed (exit status 3)',
    });
  });
  it('fails timeouts and incomplete steps, and errors steps that could not run', () => {
    expect(judgeStep(hung, step({ status: 'timeout', exitStatus: null }))?.message).toBe(
      'the step timed out',
    );
    expect(judgeStep(hung, step({ status: 'incomplete' }))).toEqual({
      verdict: 'failed',
      message: 'the machine stopped during this step (kernel panic: Fatal exception)',
    });
    expect(judgeStep(hung, step({ status: 'error', exitStatus: 127 }))).toEqual({
      verdict: 'error',
      message: 'the step could not run (exit status 127)',
    });
  });
  it('fails a step that never ran after a crash, and skips it after an interrupt or a cell error', () => {
    expect(judgeStep(hung, step({ status: 'not-run' }))?.verdict).toBe('failed');
    expect(judgeStep(cellWith({ status: 'interrupted' }), step({ status: 'not-run' }))?.verdict).toBe(
      'skipped',
    );
    expect(
      judgeStep(cellWith({ status: 'error', error: 'build failed' }), step({ status: 'not-run' })),
    ).toEqual({
      verdict: 'skipped',
      message: 'not run: the cell could not start',
    });
  });
});

describe('judgeBoot and judgeExit', () => {
  it('errors a cell that could not build or whose machine failed for infrastructure reasons', () => {
    expect(judgeBoot(cellWith({ error: 'build failed: x', exit: null }))).toEqual({
      verdict: 'error',
      message: 'build failed: x',
    });
    expect(
      judgeBoot(
        cellWith({
          exit: {
            reason: { kind: 'infrastructure', message: 'QEMU would not start' },
            message: 'QEMU would not start',
          },
        }),
      ),
    ).toEqual({
      verdict: 'error',
      message: 'QEMU would not start',
    });
  });
  it('fails a boot timeout in boot, and a panic or hang as the machine exit', () => {
    const bootTimeout = cellWith({
      exit: {
        reason: { kind: 'boot-timeout', stage: 'banner', timeoutS: 60 },
        message: 'boot timeout: no kernel banner within 60 s',
      },
    });
    expect(judgeBoot(bootTimeout).verdict).toBe('failed');
    expect(judgeExit(bootTimeout)).toBeNull();
    const panic = cellWith({ exit: { reason: { kind: 'panic', message: 'Fatal exception' }, message: '' } });
    expect(judgeBoot(panic).verdict).toBe('passed');
    expect(judgeExit(panic)).toEqual({ verdict: 'failed', message: 'panic' });
    expect(judgeExit(cellWith({ exit: { reason: { kind: 'done' }, message: 'ok' } }))).toBeNull();
    expect(
      judgeExit(cellWith({ exit: { reason: { kind: 'interrupted' }, message: 'interrupted' } })),
    ).toBeNull();
  });
  it('skips the boot of a cell that never started', () => {
    expect(judgeBoot(cellWith({ status: 'pending', exit: null }))).toEqual({
      verdict: 'skipped',
      message: 'not started',
    });
  });
});

describe('cellTag', () => {
  it('is empty for the first repeat and names later repeats and renamed cells', () => {
    expect(cellTag(cellWith({ id: '6.1@q35-pmem#1' }))).toBe('');
    expect(cellTag(cellWith({ id: '6.1@q35-pmem#2' }))).toBe('#2');
    expect(cellTag(cellWith({ id: '6.1@q35-pmem#1~run-b' }))).toBe('#1~run-b');
    expect(cellTag(cellWith({ id: 'odd-id' }))).toBe('odd-id');
  });
});

describe('findingGroups, problems, strayWorkloads', () => {
  const s = loadFixture('failing');
  it('groups findings by title across cells, refcount ones first', () => {
    const groups = findingGroups(s);
    expect(groups.map((g) => [g.title, g.total, g.occurrences.length])).toEqual([
      ['BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages', 3, 2],
      ['INFO: task hung in memunmap_pages', 1, 1],
      ['WARNING in memremap_pages', 1, 1],
    ]);
  });
  it('lists every failed or errored entry in model order', () => {
    expect(problems(s).map((p) => `${p.workload}/${p.name}`)).toEqual([
      'boot/machine exit',
      'pmem-fsdax/truncate_while_mapped',
      'pmem-fsdax/huge_fault',
      'hmm/hmm.exclusive_mprotect',
      'hmm/hmm.migrate_dirty',
      'devdax-stress/step',
      'devdax-stress/devdax_stress_64_threads',
      'cleanup/step',
    ]);
  });
  it('names workloads that only findings mention', () => {
    expect(strayWorkloads(base)).toEqual([]);
    expect(strayWorkloads(cellWith({ findings: [{ ...base.findings[0]!, workload: 'gone' }] }))).toEqual([
      'gone',
    ]);
  });
});
