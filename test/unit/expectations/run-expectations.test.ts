import { describe, expect, it } from 'vitest';
import {
  applyRunExpectations,
  type ExpectationFile,
  parseExpectationFile,
  runExpectationFiles,
} from '../../../harness/expectations/index.ts';
import { loadExpectations, loadExpectationsSchema } from '../../../harness/expectations/load.ts';
import type { CaseResult } from '../../../harness/model/result.ts';
import { defaultExpectations } from '../../../harness/run/default-plan.ts';

/** Expectations held in memory: nothing here reads configs/expectations/. */
const file61: ExpectationFile = {
  file: '/checkout/configs/expectations/six-one.yaml',
  description: 'six one',
  kernel: '6.1',
  accel: 'tcg',
  expectations: [
    {
      workload: 'dax-*',
      cases: ['truncate_*'],
      status: 'fail',
      match: 'missing wake-up',
      reason: 'a known wake-up bug',
    },
  ],
};
const elsewhere: ExpectationFile = { file: '/else/where.yaml', kernel: '6.12', expectations: [] };

const cases: CaseResult[] = [
  { name: 'truncate_vs_odirect', status: 'fail', message: 'DIAGNOSIS: missing wake-up: x', durationS: null },
  { name: 'truncate_other', status: 'fail', message: 'a leaked reference', durationS: null },
  { name: 'mmap', status: 'pass', message: null, durationS: 1 },
  { name: 'judged', status: 'xpass', message: 'judged before', durationS: null },
];
const run = (over: Partial<Parameters<typeof applyRunExpectations>[0]> = {}, files = [file61]) =>
  applyRunExpectations(
    { workload: 'dax-ext4', cases, kernelRelease: '6.1.192', accel: 'tcg', findings: [], ...over },
    files,
  ).map((c) => [c.name, c.status, c.message]);

describe('applyRunExpectations (files as data)', () => {
  it('turns a matching failure into xfail with the reason; other cases and judged ones stay, in order', () => {
    expect(run()).toEqual([
      ['truncate_vs_odirect', 'xfail', expect.stringMatching(/^expected failure: a known wake-up bug/)],
      ['truncate_other', 'fail', 'a leaked reference'],
      ['mmap', 'pass', null],
      ['judged', 'xpass', 'judged before'],
    ]);
  });

  it('does nothing without files, for another kernel, another accelerator or another workload', () => {
    const unchanged = cases.map((c) => [c.name, c.status, c.message]);
    expect(run({}, [])).toEqual(unchanged);
    expect(run({ kernelRelease: '6.12.3' })).toEqual(unchanged);
    expect(run({ accel: 'kvm' })).toEqual(unchanged);
    // Anything but kvm is judged as TCG.
    expect(run({ accel: 'auto' })[0]![1]).toBe('xfail');
    expect(run({ workload: 'hmm-tests' })).toEqual(unchanged);
  });

  it('never hides a failure when the workload’s step has a kernel-log finding', () => {
    const judged = run({ findings: [{ workload: 'dax-ext4', title: 'kernel BUG at mm/memory.c' }] });
    expect(judged[0]![1]).toBe('fail');
    // A finding in another workload's step does not count.
    expect(run({ findings: [{ workload: 'hmm-tests', title: 'WARNING' }] })[0]![1]).toBe('xfail');
  });
});

describe('runExpectationFiles', () => {
  it('names the files that speak for the run, relative to the checkout when inside it', () => {
    const facts = { kernelRelease: '6.1.5', accel: 'tcg' };
    expect(runExpectationFiles(facts, [file61, elsewhere], '/checkout')).toEqual([
      { file: 'configs/expectations/six-one.yaml', description: 'six one' },
    ]);
    // A file outside the checkout keeps its path; one with no accelerator speaks for both.
    expect(
      runExpectationFiles({ kernelRelease: '6.12.1', accel: 'kvm' }, [file61, elsewhere], '/checkout'),
    ).toEqual([{ file: '/else/where.yaml', description: null }]);
    expect(runExpectationFiles(facts, [], '/checkout')).toEqual([]);
  });
});

describe('parseExpectationFile (the schema is data)', () => {
  const text = "kernel: '6.1'\nexpectations:\n  - { workload: a, cases: [b], status: fail, reason: why }\n";

  it('reads YAML against the schema it is given and records the file', () => {
    const f = parseExpectationFile(text, 'mem.yaml', {});
    expect(f).toMatchObject({ kernel: '6.1', file: 'mem.yaml', expectations: [{ workload: 'a' }] });
    expect(() =>
      parseExpectationFile(text, 'mem.yaml', { type: 'object', required: ['description'] }),
    ).toThrow(/mem\.yaml/);
  });

  it('refuses a bad regular expression, naming the file and the entry', () => {
    const bad = text.replace('reason: why', "reason: why, match: '('");
    expect(() => parseExpectationFile(bad, 'mem.yaml', {})).toThrow(/mem\.yaml is invalid/);
  });
});

describe('defaultExpectations: the files are kept per value, read at first use', () => {
  it('loads once for any number of judgements, and not before the first', () => {
    let loads = 0;
    const e = defaultExpectations(() => {
      loads++;
      return [file61];
    });
    expect(loads).toBe(0);
    const args = { workload: 'dax-ext4', cases, kernelRelease: '6.1.192', accel: 'tcg', findings: [] };
    expect(e.judge(args)[0]!.status).toBe('xfail');
    expect(e.judge(args)[0]!.status).toBe('xfail');
    expect(e.files({ kernelRelease: '6.1.192', accel: 'tcg' }).map((f) => f.description)).toEqual([
      'six one',
    ]);
    expect(loads).toBe(1);
    // Another value (another run) reads again.
    defaultExpectations(() => {
      loads++;
      return [];
    }).files({ kernelRelease: '6.1.192', accel: 'tcg' });
    expect(loads).toBe(2);
  });

  it('a load that fails fails the call, and the next call tries again', () => {
    let calls = 0;
    const e = defaultExpectations(() => {
      calls++;
      if (calls === 1) throw new Error('configs/expectations/x.yaml is invalid');
      return [];
    });
    expect(() => e.files({ kernelRelease: '6.1.1', accel: 'tcg' })).toThrow(/is invalid/);
    expect(e.files({ kernelRelease: '6.1.1', accel: 'tcg' })).toEqual([]);
    expect(calls).toBe(2);
  });
});

describe('loadExpectations (the edge)', () => {
  it('reads the repository files afresh on each call, with one schema object', () => {
    const a = loadExpectations();
    const b = loadExpectations();
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    expect(loadExpectationsSchema()).toBe(loadExpectationsSchema());
    expect(loadExpectations('/nonexistent/expectations')).toEqual([]);
  });
});
