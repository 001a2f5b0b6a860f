import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyRunExpectations, runExpectationFiles } from '../../../harness/expectations/index.ts';
import { loadExpectations, loadExpectationsSchema } from '../../../harness/expectations/load.ts';
import {
  applicableFiles,
  applyExpectations,
  type ExpectationFile,
  globToRegExp,
  kernelMatches,
  type WorkloadCases,
} from '../../../harness/expectations/match.ts';
import { parseExpectationFile } from '../../../harness/expectations/parse.ts';
import { parseWorkloadOutput } from '../../../harness/workloads/results.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'tap');
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
/** The nonce the part markers of the recorded workload outputs carry (see results.test.ts). */
const FIXTURE_NONCE = 'f1xtureN0nce';

const file: ExpectationFile = {
  file: 'x.yaml',
  kernel: '6.1',
  accel: 'tcg',
  expectations: [
    {
      workload: 'dax-*',
      cases: ['truncate_vs_odirect'],
      status: 'fail',
      match: 'missing wake-up',
      reason: 'known 6.1 missing wake-up',
    },
    { workload: 'hmm', cases: ['hang_*'], status: 'missing', reason: 'known hang of this case' },
    { workload: 'hmm', cases: ['kvm_only'], status: 'fail', accel: 'kvm', reason: 'fails only under KVM' },
  ],
};
const c = (
  name: string,
  status: 'pass' | 'fail' | 'skip' | 'missing',
  reason?: string,
  log: string[] = [],
) => ({
  name,
  status,
  reason,
  log,
});
const run61 = { kernelRelease: '6.1.192', accel: 'tcg' as const };

describe('expectations', () => {
  it('turn a matching failure into an expected failure with the reason', () => {
    const w: WorkloadCases[] = [
      {
        workload: 'dax-ext4',
        cases: [
          c('truncate_vs_odirect', 'fail', 'DIAGNOSIS: missing wake-up: ...'),
          c('mmap_rw_verify', 'pass'),
        ],
      },
    ];
    const j = applyExpectations(w, [], [file], run61);
    expect(j.cases).toEqual([
      {
        workload: 'dax-ext4',
        name: 'truncate_vs_odirect',
        status: 'xfail',
        message: 'expected failure: known 6.1 missing wake-up [DIAGNOSIS: missing wake-up: ...]',
        expectation: { file: 'x.yaml', index: 0 },
      },
      { workload: 'dax-ext4', name: 'mmap_rw_verify', status: 'pass', message: null, expectation: null },
    ]);
    expect(j.unused).toEqual([]);
  });

  it('a different failure of the same case still counts (the match must hit the reason or the log)', () => {
    const w = [
      { workload: 'dax-xfs', cases: [c('truncate_vs_odirect', 'fail', 'DIAGNOSIS: leaked page reference')] },
    ];
    expect(applyExpectations(w, [], [file], run61).cases[0]!.status).toBe('fail');
    const inLog = [
      {
        workload: 'dax-xfs',
        cases: [c('truncate_vs_odirect', 'fail', 'x', ['a', 'DIAGNOSIS: missing wake-up'])],
      },
    ];
    expect(applyExpectations(inLog, [], [file], run61).cases[0]!.status).toBe('xfail');
  });

  it('never hide a kernel finding: the case keeps failing and says why', () => {
    const w = [
      { workload: 'dax-ext4', cases: [c('truncate_vs_odirect', 'fail', 'DIAGNOSIS: missing wake-up')] },
    ];
    const j = applyExpectations(
      w,
      [{ workload: 'dax-ext4', title: 'WARNING in dax_disassociate_entry' }],
      [file],
      run61,
    );
    expect(j.cases[0]).toMatchObject({
      status: 'fail',
      message:
        'DIAGNOSIS: missing wake-up (matches a known failure, not applied: the kernel log has findings in this workload: WARNING in dax_disassociate_entry)',
    });
    // A finding in another workload does not matter here.
    expect(applyExpectations(w, [{ workload: 'kmem', title: 'x' }], [file], run61).cases[0]!.status).toBe(
      'xfail',
    );
  });

  it('flag a pass that was expected to fail', () => {
    const j = applyExpectations(
      [{ workload: 'dax-ext4', cases: [c('truncate_vs_odirect', 'pass')] }],
      [],
      [file],
      run61,
    );
    expect(j.cases[0]).toMatchObject({
      status: 'xpass',
      message: expect.stringMatching(/^passed, but expected to fail: known 6.1/),
    });
  });

  describe('an intermittent failure (seen in some runs of the kernel, not all)', () => {
    const flaky: ExpectationFile = {
      file: 'f.yaml',
      kernel: '6.1',
      expectations: [
        {
          workload: 'hmm-tests-thp',
          cases: ['hmm.*.migrate_multiple'],
          status: 'fail',
          intermittent: true,
          match: 'Expected ret \\(-2\\) == 0',
          reason: 'best-effort migration skips a page now and then',
        },
      ],
    };
    const judge = (cases: ReturnType<typeof c>[], findings: { workload: string; title: string }[] = []) =>
      applyExpectations([{ workload: 'hmm-tests-thp', cases }], findings, [flaky], run61);

    it('a matching failure is expected, with the reason', () => {
      const j = judge([
        c('hmm.coherent.migrate_multiple', 'fail', 'hmm-tests.c:1321:Expected ret (-2) == 0 (0)'),
      ]);
      expect(j.cases[0]).toMatchObject({
        status: 'xfail',
        message:
          'expected failure: best-effort migration skips a page now and then [hmm-tests.c:1321:Expected ret (-2) == 0 (0)]',
        expectation: { file: 'f.yaml', index: 0 },
      });
    });

    it('a pass stays a pass (not an unexpected pass), and the expectation is not reported as matching nothing', () => {
      const j = judge([
        c('hmm.coherent.migrate_multiple', 'pass'),
        c('hmm.private.migrate_multiple', 'pass'),
      ]);
      expect(j.cases.map((x) => [x.status, x.message, x.expectation])).toEqual([
        ['pass', null, null],
        ['pass', null, null],
      ]);
      expect(j.unused).toEqual([]);
    });

    it('a different failure of the case, or one beside a kernel finding, still counts', () => {
      const other = judge([
        c('hmm.coherent.migrate_multiple', 'fail', 'Expected buffer->cpages (1000) == npages (1024)'),
      ]);
      expect(other.cases[0]!.status).toBe('fail');
      const withFinding = judge(
        [c('hmm.coherent.migrate_multiple', 'fail', 'Expected ret (-2) == 0 (0)')],
        [{ workload: 'hmm-tests-thp', title: 'BUG: Bad page state in migrate_vma_pages' }],
      );
      expect(withFinding.cases[0]!.status).toBe('fail');
    });

    it('a non-intermittent expectation of the same case still flags a pass', () => {
      const both: ExpectationFile = {
        ...flaky,
        expectations: [
          ...flaky.expectations,
          {
            workload: 'hmm-tests-thp',
            cases: ['hmm.coherent.migrate_multiple'],
            status: 'fail',
            reason: 'always fails here',
          },
        ],
      };
      const j = applyExpectations(
        [{ workload: 'hmm-tests-thp', cases: [c('hmm.coherent.migrate_multiple', 'pass')] }],
        [],
        [both],
        run61,
      );
      expect(j.cases[0]).toMatchObject({ status: 'xpass', expectation: { file: 'f.yaml', index: 1 } });
    });
  });

  it('apply only to their kernel and accelerator; missing cases need a missing expectation', () => {
    const w = [
      {
        workload: 'hmm',
        cases: [c('hang_1', 'missing', 'started but never reported'), c('kvm_only', 'fail')],
      },
    ];
    expect(applyExpectations(w, [], [file], run61).cases.map((x) => x.status)).toEqual(['xfail', 'fail']);
    expect(
      applyExpectations(w, [], [file], { kernelRelease: '6.1.192', accel: 'kvm' }).cases.map((x) => x.status),
    ).toEqual(['missing', 'xfail']);
    expect(
      applyExpectations(w, [], [file], { kernelRelease: '6.6.1', accel: 'tcg' }).cases.map((x) => x.status),
    ).toEqual(['missing', 'fail']);
  });

  it('report expectations of workloads that ran which matched nothing', () => {
    const j = applyExpectations(
      [{ workload: 'dax-ext4', cases: [c('mmap_rw_verify', 'pass')] }],
      [],
      [file],
      run61,
    );
    expect(j.unused).toEqual([
      { file: 'x.yaml', index: 0, workload: 'dax-*', cases: ['truncate_vs_odirect'] },
    ]);
  });

  it('kernel specs: major.minor, exact release, comparisons, lists', () => {
    expect(kernelMatches('6.1.192', '6.1')).toBe(true);
    expect(kernelMatches('6.1.0-28-amd64', '6.1')).toBe(true);
    expect(kernelMatches('6.10.2', '6.1')).toBe(false);
    expect(kernelMatches('6.1.192', '6.1.192')).toBe(true);
    expect(kernelMatches('6.1.191', '6.1.192')).toBe(false);
    expect(kernelMatches('6.14.0', '>=6.1 <6.15')).toBe(true);
    expect(kernelMatches('6.15.0-rc3', '>=6.1 <6.15')).toBe(false);
    expect(kernelMatches('5.19.1', ['5.19', '6.1'])).toBe(true);
    expect(kernelMatches('garbage', '6.1')).toBe(false);
    expect(globToRegExp('hmm.*.exclusive?cow').test('hmm.hmm_device_private.exclusive_cow')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

/** A recorded hmm-tests-thp step output, parsed as the run pipeline does. */
function thpCases(output: string, names: string[]) {
  return parseWorkloadOutput(
    {
      name: 'hmm-tests-thp',
      expectedCases: names,
      checks: [{ name: 'unload-test_hmm', timeoutS: 60 }],
      setupCommands: [],
      commandTimeoutS: 600,
    },
    { state: 'finished', status: 1, output, nonce: FIXTURE_NONCE },
  ).cases;
}

describe('the repository expectations (configs/expectations)', () => {
  const files = loadExpectations();

  it('load and validate', () => {
    expect(files.map((f) => f.file?.replace(/.*configs\//, 'configs/'))).toEqual([
      'configs/expectations/linux-6.1-tcg.yaml',
      'configs/expectations/linux-6.12-tcg.yaml',
    ]);
  });

  it('each kernel and accelerator is judged by its own file, and the run names it', () => {
    const named = (kernelRelease: string, accel: 'tcg' | 'kvm') =>
      runExpectationFiles({ kernelRelease, accel }, files).map((f) => f.file);
    expect(named('6.1.192', 'tcg')).toEqual(['configs/expectations/linux-6.1-tcg.yaml']);
    expect(named('6.12.118', 'tcg')).toEqual(['configs/expectations/linux-6.12-tcg.yaml']);
    // Measured under TCG only: a KVM run and an unmeasured kernel are judged by none.
    expect(named('6.12.118', 'kvm')).toEqual([]);
    expect(named('6.15.0-rc3', 'tcg')).toEqual([]);
    expect(runExpectationFiles({ kernelRelease: '6.12.118', accel: 'tcg' }, files)[0]!.description).toBe(
      'Linux 6.12.y under TCG',
    );
  });

  it('a file with no expectations left still speaks for its kernel: "measured, none"', () => {
    const empty: ExpectationFile = { file: 'none.yaml', kernel: '6.13', accel: 'tcg', expectations: [] };
    expect(applicableFiles([empty, file], { kernelRelease: '6.13.2', accel: 'tcg' })).toEqual([
      { file: 'none.yaml', description: null },
    ]);
    expect(applicableFiles([empty, file], { kernelRelease: '6.13.2', accel: 'kvm' })).toEqual([]);
    // An entry-level kernel makes a file speak for that kernel too.
    const entry: ExpectationFile = {
      file: 'entry.yaml',
      kernel: '6.1',
      accel: 'any',
      expectations: [
        { workload: 'w', cases: ['c'], status: 'fail', kernel: '6.2', reason: 'only on 6.2 here' },
      ],
    };
    expect(applicableFiles([entry], { kernelRelease: '6.2.1', accel: 'kvm' }).map((f) => f.file)).toEqual([
      'entry.yaml',
    ]);
  });

  it('on 6.12 under TCG, the real hmm-tests run with THP=always fails only the exclusive* cases, all expected by the 6.12 file', () => {
    const out = read('workload-hmm-tests-6.12.118-thp-always.out');
    const names = [...out.matchAll(/^(?:not )?ok \d+ (\S+)$/gm)].map((m) => m[1]!);
    expect(names).toHaveLength(58);
    const o = { cases: thpCases(out, names) };
    const run612 = { kernelRelease: '6.12.118', accel: 'tcg' as const };
    const j = applyExpectations([{ workload: 'hmm-tests-thp', cases: o.cases }], [], files, run612);
    expect(j.cases.filter((x) => x.status !== 'pass').map((x) => `${x.name}: ${x.status}`)).toEqual(
      ['private', 'coherent'].flatMap((v) =>
        ['exclusive', 'exclusive_mprotect', 'exclusive_cow'].map((t) => `hmm.hmm_device_${v}.${t}: xfail`),
      ),
    );
    // Judged by 6.12's own reason, read in 6.12's source, not by 6.1's.
    const used = new Set(j.cases.filter((x) => x.expectation).map((x) => x.expectation!.file));
    expect([...used].map((f) => f.replace(/.*configs\//, 'configs/'))).toEqual([
      'configs/expectations/linux-6.12-tcg.yaml',
    ]);
  });

  it("on 6.12 under TCG, the real dax runs pass every case, O_DIRECT included: 6.1's wake-up expectation does not apply", () => {
    const run612 = { kernelRelease: '6.12.118', accel: 'tcg' as const };
    for (const [name, f] of [
      ['dax-ext4', 'workload-dax-ext4-6.12.118.out'],
      ['dax-xfs', 'workload-dax-xfs-6.12.118.out'],
    ] as const) {
      const o = parseWorkloadOutput(
        { name, expectedCases: [], checks: [], setupCommands: [], commandTimeoutS: 300 },
        { state: 'finished', status: 0, output: read(f), nonce: FIXTURE_NONCE },
      );
      expect(o.cases.map((x) => x.name)).toContain('truncate_vs_odirect');
      const j = applyExpectations([{ workload: name, cases: o.cases }], [], files, run612);
      expect(j.cases.filter((x) => x.status !== 'pass')).toEqual([]);
      expect(j.cases).toHaveLength(10);
    }
  });

  it('on 6.1 under TCG, the real hmm-tests run with THP=always fails only the exclusive* cases, all expected', () => {
    const names = read('hmm-tests-6.1.192.names').trim().split('\n');
    const o = { cases: thpCases(read('workload-hmm-tests-6.1.192-thp-always.out'), names) };
    const j = applyExpectations([{ workload: 'hmm-tests-thp', cases: o.cases }], [], files, run61);
    const counts: Record<string, number> = {};
    for (const x of j.cases) counts[x.status] = (counts[x.status] ?? 0) + 1;
    expect(counts).toEqual({ pass: 53, xfail: 6 });
    // The same failures under hmm-tests (THP=madvise) are not expected: they would count.
    const k = applyExpectations([{ workload: 'hmm-tests', cases: o.cases }], [], files, run61);
    expect(k.cases.filter((x) => x.status === 'fail')).toHaveLength(6);
  });

  it('on 6.1 under TCG, a real hmm-tests-thp run whose coherent migrate_multiple hit -ENOENT: only that intermittent failure is added', () => {
    // A nightly cell of the default 6.1.192 build (2026-12-06), the teardown loop after each
    // failed ASSERT cut to its first 20 lines.
    const names = read('hmm-tests-6.1.192.names').trim().split('\n');
    const cases = thpCases(read('workload-hmm-tests-6.1.192-thp-always-coherent-migrate-enoent.out'), names);
    const j = applyExpectations([{ workload: 'hmm-tests-thp', cases }], [], files, run61);
    const notPass = j.cases.filter((x) => x.status !== 'pass');
    expect(notPass.map((x) => `${x.name}: ${x.status}`)).toEqual([
      ...['exclusive', 'exclusive_mprotect', 'exclusive_cow'].map(
        (t) => `hmm.hmm_device_private.${t}: xfail`,
      ),
      'hmm.hmm_device_coherent.migrate_multiple: xfail',
      ...['exclusive', 'exclusive_mprotect', 'exclusive_cow'].map(
        (t) => `hmm.hmm_device_coherent.${t}: xfail`,
      ),
    ]);
    expect(notPass[3]!.message).toMatch(
      /^expected failure: Intermittent, .*\[hmm-tests\.c:1321:migrate_multiple:Expected ret \(-2\) == 0 \(0\)\]$/s,
    );
    // The same output under hmm-tests (THP=madvise) is not covered.
    const k = applyExpectations([{ workload: 'hmm-tests', cases }], [], files, run61);
    expect(k.cases.filter((x) => x.status === 'fail')).toHaveLength(7);
  });

  it('on 6.1 under TCG, the real dax-ext4 and dax-xfs runs pass apart from the documented missing wake-up', () => {
    for (const [name, f] of [
      ['dax-ext4', 'workload-dax-ext4-6.1.192.out'],
      ['dax-xfs', 'workload-dax-xfs-6.1.192.out'],
    ] as const) {
      const o = parseWorkloadOutput(
        { name, expectedCases: [], checks: [], setupCommands: [], commandTimeoutS: 300 },
        {
          state: 'finished',
          status: 1,
          output: read(f),
          nonce: FIXTURE_NONCE,
        },
      );
      const j = applyExpectations([{ workload: name, cases: o.cases }], [], files, run61);
      expect(j.cases.filter((x) => x.status !== 'pass').map((x) => [x.name, x.status])).toEqual([
        ['truncate_vs_odirect', 'xfail'],
        ['punch_hole_vs_odirect', 'xfail'],
      ]);
    }
  });

  it('a bad regular expression is a config error naming the file', () => {
    expect(() =>
      parseExpectationFile(
        "kernel: '6.1'\nexpectations:\n  - { workload: a, cases: [b], status: fail, match: '(', reason: 'long enough reason' }\n",
        'bad.yaml',
        loadExpectationsSchema(),
      ),
    ).toThrow(/bad.yaml is invalid/);
  });
});

describe('applyRunExpectations (the run pipeline entry, result-model cases)', () => {
  it('judges model cases with the repository files and leaves judged ones alone', () => {
    const files = loadExpectations();
    const cases = [
      {
        name: 'truncate_vs_odirect',
        status: 'fail' as const,
        message: 'DIAGNOSIS: missing wake-up: x',
        durationS: null,
      },
      { name: 'mmap_rw_verify', status: 'pass' as const, message: null, durationS: 1 },
      { name: 'other', status: 'xfail' as const, message: 'judged before', durationS: null },
    ];
    const out = applyRunExpectations(
      {
        workload: 'dax-ext4',
        cases,
        kernelRelease: '6.1.192',
        accel: 'tcg',
        findings: [],
      },
      files,
    );
    expect(out.map((x) => x.status)).toEqual(['xfail', 'pass', 'xfail']);
    expect(out[0]!.message).toMatch(/^expected failure: 6\.1\.y's __bio_release_pages\(\)/);
    expect(out[2]!.message).toBe('judged before');
    const withBug = applyRunExpectations(
      {
        workload: 'dax-ext4',
        cases,
        kernelRelease: '6.1.192',
        accel: 'tcg',
        findings: [{ workload: 'dax-ext4', title: 'kernel BUG in dax_insert_entry' }],
      },
      files,
    );
    expect(withBug[0]!.status).toBe('fail');
    expect(
      applyRunExpectations(
        {
          workload: 'dax-ext4',
          cases,
          kernelRelease: '6.1.192',
          accel: 'kvm',
          findings: [],
        },
        files,
      )[0]!.status,
    ).toBe('fail');
  });
});
