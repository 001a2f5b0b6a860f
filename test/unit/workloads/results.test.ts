import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countCases } from '../../../harness/tap/cases.ts';
import type { ResolvedWorkload } from '../../../harness/workloads/plan.ts';
import { buildProgram } from '../../../harness/workloads/programs.ts';
import { parseWorkloadOutput, splitSections } from '../../../harness/workloads/results.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'tap');
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const hmmNames = read('hmm-tests-6.1.192.names').trim().split('\n');

// A probe's cases as the harness expects them: from the probe itself, built as zdh builds it
// (against the 6.1.192 headers the fixtures were recorded with) and asked with --list.
const cache = mkdtempSync(join(tmpdir(), 'zdh-results-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
const ksrc = join(fixtures, 'ksrc-6.1.192');
const probeCases = async (name: string): Promise<string[]> => {
  const built = await buildProgram({ name, from: 'probe', source: `${name}.c` }, ksrc, { cache });
  return built.cases ?? [];
};

type Planned = Pick<
  ResolvedWorkload,
  'name' | 'expectedCases' | 'checks' | 'setupCommands' | 'commandTimeoutS'
>;
const planned = (over: Partial<Planned> & { name: string }): Planned => ({
  expectedCases: [],
  checks: [],
  setupCommands: [],
  commandTimeoutS: 300,
  ...over,
});
// The nonce the fixtures' markers carry (they were recorded before markers had one, and
// rewritten with this one).
const NONCE = 'f1xtureN0nce';
const finished = (output: string, status = 0) => ({
  state: 'finished' as const,
  status,
  output,
  nonce: NONCE,
});

const hmmTests = planned({
  name: 'hmm-tests',
  expectedCases: hmmNames,
  checks: [{ name: 'unload-test_hmm', timeoutS: 60 }],
  setupCommands: ['zdh-hmm load --coherent', 'a', 'b', 'c', 'd'],
});
let daxCases: string[] = [];
let daxExt4: Planned;
beforeAll(async () => {
  daxCases = await probeCases('zdh-dax');
  daxExt4 = planned({
    name: 'dax-ext4',
    expectedCases: daxCases,
    setupCommands: [
      'zdh-pmem reset',
      'zdh-pmem fsdax dax 512M dev',
      'zdh-pmem mount-dax ext4 dax /mnt/dax',
      'zdh-pmem plain /mnt/plain',
    ],
  });
}, 60_000);

describe('workload results from real step output (6.1.192, TCG)', () => {
  it('hmm-tests (THP=madvise): 58 passing cases and the unload check', () => {
    const o = parseWorkloadOutput(hmmTests, finished(read('workload-hmm-tests-6.1.192.out')));
    expect(o.cases.map((c) => c.name)).toEqual([...hmmNames, 'check.unload-test_hmm']);
    expect(countCases(o.cases)).toEqual({ pass: 59, fail: 0, skip: 0, missing: 0 });
    expect(o.commandEnd).toBe('0');
    expect(o.notes).toEqual([]);
  });

  it('hmm-tests (THP=always): the six exclusive* cases fail with -EBUSY', () => {
    const o = parseWorkloadOutput(hmmTests, finished(read('workload-hmm-tests-6.1.192-thp-always.out'), 1));
    expect(countCases(o.cases)).toEqual({ pass: 53, fail: 6, skip: 0, missing: 0 });
    expect(
      o.cases
        .filter((c) => c.status === 'fail')
        .every((c) => /Expected ret \(-16\) == 0/.test(c.reason ?? '')),
    ).toBe(true);
    expect(o.commandEnd).toBe('1');
  });

  it('dax-ext4 and dax-xfs: the O_DIRECT truncate races fail with the missing wake-up diagnosis', () => {
    for (const f of ['workload-dax-ext4-6.1.192.out', 'workload-dax-xfs-6.1.192.out']) {
      const o = parseWorkloadOutput(daxExt4, finished(read(f), 1));
      // The recorded run reported every case the probe lists, in order.
      expect(o.cases.map((c) => c.name)).toEqual(daxCases);
      expect(o.cases.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual([
        'truncate_vs_odirect',
        'punch_hole_vs_odirect',
      ]);
      const truncate = o.cases.find((c) => c.name === 'truncate_vs_odirect')!;
      expect(truncate.reason).toMatch(/^DIAGNOSIS: missing wake-up/);
      expect(truncate.log.join('\n')).toMatch(/ext4_break_layouts|xfs_break_dax_layouts/);
    }
  });

  it('a failed set-up is one failing case; every case of the command is missing, not passed', () => {
    const o = parseWorkloadOutput(
      {
        ...daxExt4,
        name: 'dax-xfs',
        setupCommands: ['zdh-pmem reset', 'x', 'zdh-pmem mount-dax xfs dax /mnt/dax', 'y'],
      },
      finished(read('workload-dax-xfs-setup-failed-6.1.192.out'), 1),
    );
    expect(o.cases[0]).toMatchObject({
      name: 'setup',
      status: 'fail',
      reason: 'set-up command 3 exited with status 1: zdh-pmem mount-dax xfs dax /mnt/dax',
    });
    expect(o.cases[0]!.log).toContain('zdh-pmem: mkfs.xfs /dev/pmem0 failed');
    expect(countCases(o.cases)).toEqual({ pass: 0, fail: 1, skip: 0, missing: daxCases.length });
    expect(o.cases.slice(1).map((c) => [c.name, c.reason])).toEqual(
      daxCases.map((c) => [c, 'not run: the set-up failed']),
    );
  });

  it('the other probes: every case the probe lists reported and passing', async () => {
    const expectAll = async (file: string, probe: string, checks: Planned['checks'] = []) => {
      const cases = await probeCases(probe);
      const o = parseWorkloadOutput(
        planned({ name: file, expectedCases: cases, checks }),
        finished(read(file)),
      );
      expect(o.cases.map((c) => c.name)).toEqual([...cases, ...checks.map((c) => `check.${c.name}`)]);
      expect(countCases(o.cases)).toEqual({
        pass: cases.length + checks.length,
        fail: 0,
        skip: 0,
        missing: 0,
      });
    };
    await expectAll('workload-devdax-6.1.192.out', 'zdh-devdax');
    await expectAll('workload-gup-6.1.192.out', 'zdh-gup', [{ name: 'unload-test_hmm', timeoutS: 60 }]);
    await expectAll('workload-hmm-stress-6.1.192.out', 'zdh-hmm-stress');
    await expectAll('workload-kmem-6.1.192.out', 'zdh-kmem');
  }, 60_000);
});

describe('workload results when things go wrong', () => {
  it('takes only part markers that carry the run nonce: forged ones are output like any other', () => {
    const out = [
      marker('command', 'main', 'begin: x'),
      'KTAP version 1',
      '1..2',
      'ok 1 a',
      'zdh-workload: command main end 0',
      'zdh-workload:0therRun command main end 0',
      'zdh-workload:0therRun check unload-test_hmm begin: true',
      'not ok 2 b',
      marker('command', 'main', 'end 1'),
    ].join('\n');
    const o = parseWorkloadOutput(planned({ name: 'w', expectedCases: ['a', 'b'] }), finished(out, 1));
    expect(o.commandEnd).toBe('1');
    expect(o.cases.map((c) => [c.name, c.status])).toEqual([
      ['a', 'pass'],
      ['b', 'fail'],
    ]);
  });

  const marker = (part: string, label: string, what: string): string =>
    `zdh-workload:${NONCE} ${part} ${label} ${what}`;

  it('a command that timed out: the running case is missing with the reason, the rest never ran', () => {
    const out = [
      marker('command', 'main', 'begin: zdh-dax'),
      'KTAP version 1',
      `1..${daxCases.length}`,
      `#  RUN           ${daxCases[0]} ...`,
      `ok 1 ${daxCases[0]}`,
      `#  RUN           ${daxCases[1]} ...`,
      'zdh-workload: not finished after 300 s; its tasks:',
      '  task 90 (zdh-dax) state D:',
      '    [<0>] ext4_break_layouts+0x4c/0xd5',
      '',
      marker('command', 'main', 'end timeout'),
    ].join('\n');
    const o = parseWorkloadOutput(daxExt4, finished(out, 1));
    expect(o.commandEnd).toBe('timeout');
    expect(o.cases[1]).toMatchObject({
      name: daxCases[1],
      status: 'missing',
      reason: 'started but never reported (the command did not finish within 300 s and was killed)',
    });
    expect(o.cases[1]!.log).toContain('    [<0>] ext4_break_layouts+0x4c/0xd5');
    // The cases after it never ran: each is named, and missing.
    expect(o.cases.slice(2).map((c) => [c.name, c.status])).toEqual(
      daxCases.slice(2).map((c) => [c, 'missing']),
    );
    expect(countCases(o.cases)).toEqual({ pass: 1, fail: 0, skip: 0, missing: daxCases.length - 1 });
  });

  it('a check that hangs (rmmod stuck in the kernel) fails with "stuck in the kernel"', () => {
    const out = [
      marker('command', 'main', 'begin: x'),
      'KTAP version 1',
      '1..1',
      'ok 1 a',
      marker('command', 'main', 'end 0'),
      marker('check', 'unload-test_hmm', 'begin: zdh-hmm unload'),
      'zdh-workload: still there 10 s after SIGKILL (stuck in the kernel); its tasks:',
      '  task 120 (rmmod) state D:',
      '    [<0>] memunmap_pages+0x1e7/0x1f8',
      marker('check', 'unload-test_hmm', 'end hang'),
    ].join('\n');
    const o = parseWorkloadOutput({ ...hmmTests, expectedCases: ['a'] }, finished(out, 1));
    expect(o.cases.at(-1)).toMatchObject({
      name: 'check.unload-test_hmm',
      status: 'fail',
      reason: 'did not finish within 60 s and could not be killed (stuck in the kernel)',
    });
    expect(o.cases.at(-1)!.log).toContain('    [<0>] memunmap_pages+0x1e7/0x1f8');
  });

  it('the machine stops during the command (a panic): the output stops, cases are missing, checks not run', () => {
    const out = [
      marker('command', 'main', 'begin: x'),
      'TAP version 13',
      '1..58',
      '#  RUN           hmm.hmm_device_private.open_close ...',
    ].join('\n');
    const o = parseWorkloadOutput(hmmTests, {
      state: 'incomplete',
      status: undefined,
      output: out,
      nonce: NONCE,
    });
    expect(o.commandEnd).toBeUndefined();
    expect(o.cases[0]).toMatchObject({
      name: 'hmm.hmm_device_private.open_close',
      status: 'missing',
      reason: 'started but never reported (the machine stopped while the workload ran)',
    });
    expect(o.cases.at(-1)).toMatchObject({ name: 'check.unload-test_hmm', status: 'missing' });
    expect(countCases(o.cases)).toEqual({ pass: 0, fail: 0, skip: 0, missing: 59 });
  });

  it('a command that crashes after its last case, or reports nothing, still fails', () => {
    const all = [
      marker('command', 'main', 'begin: x'),
      'KTAP version 1',
      '1..1',
      'ok 1 a',
      '',
      marker('command', 'main', 'end 139'),
    ];
    const o = parseWorkloadOutput(planned({ name: 'w', expectedCases: ['a'] }), finished(all.join('\n'), 1));
    expect(o.cases.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['a', 'pass', undefined],
      ['w', 'fail', 'every case passed but the command was killed by signal 11'],
    ]);
    const nothing = [marker('command', 'main', 'begin: x'), 'oops', marker('command', 'main', 'end 0')].join(
      '\n',
    );
    expect(parseWorkloadOutput(planned({ name: 'w' }), finished(nothing)).cases).toMatchObject([
      { name: 'w', status: 'fail', reason: 'the command exited with status 0 and reported no test case' },
    ]);
  });

  it('steps that never started are missing, each case by name; teardown failures are notes', () => {
    const o = parseWorkloadOutput(planned({ name: 'dax-ext4', expectedCases: daxCases }), {
      state: 'not-run',
      status: undefined,
      output: '',
      nonce: '',
    });
    expect(o.cases.map((c) => c.name)).toEqual(daxCases);
    expect(o.cases.every((c) => c.status === 'missing')).toBe(true);
    expect(o.cases[0]!.reason).toBe('not run: the machine stopped before the workload');
    // A machine stopped by an earlier workload's hang: the cases name that hang.
    const stop =
      "hang: in step 'hmm-tests' the kernel reported task rmmod:150 blocked (more than 10 s) twice in a row";
    const blocked = parseWorkloadOutput(
      planned({ name: 'dax-ext4', expectedCases: daxCases }),
      { state: 'not-run', status: undefined, output: '', nonce: '' },
      stop,
    );
    expect(new Set(blocked.cases.map((c) => c.reason))).toEqual(new Set([`not run: ${stop}`]));
    const td = parseWorkloadOutput(
      planned({ name: 'w', expectedCases: ['a'] }),
      finished(
        [
          marker('command', 'main', 'begin: x'),
          'ok 1 a',
          marker('command', 'main', 'end 0'),
          marker('teardown', '1', 'begin: y'),
          marker('teardown', '1', 'end 2'),
        ].join('\n'),
      ),
    );
    expect(td.notes).toEqual(['w: teardown 1 exited with status 2']);
  });

  it('splits on part markers only, keeping the lines between them', () => {
    const s = splitSections(
      `noise\n${marker('setup', '1', 'begin: a b')}\nx\n\n${marker('setup', '1', 'end 0')}\nafter`,
      NONCE,
    );
    expect(s).toEqual([{ part: 'setup', label: '1', begun: true, rc: '0', lines: ['x', ''] }]);
  });
});
