import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countCases, tapCases } from '../../../harness/tap/cases.ts';
import { cleanLine, parseTap } from '../../../harness/tap/parse.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'tap');
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const names61 = read('hmm-tests-6.1.192.names').trim().split('\n');

describe('TAP parser on real hmm-tests output (6.1.192, TCG, THP=always)', () => {
  const text = read('hmm-tests-6.1.192-thp-always.tap');
  const doc = parseTap(text);
  const cases = tapCases(doc, { expected: names61 });

  it('reads the version, the plan of 58 and the Totals line', () => {
    expect(doc.version).toBe('TAP version 13');
    expect(doc.plan?.count).toBe(58);
    expect(doc.totals).toEqual({ pass: 52, fail: 6, xfail: 0, xpass: 0, skip: 0, error: 0 });
    expect(doc.warnings).toEqual([]);
  });

  it('gives one result per case, in the order the source declares them', () => {
    expect(cases.map((c) => c.name)).toEqual(names61);
    expect(countCases(cases)).toEqual({ pass: 52, fail: 6, skip: 0, missing: 0 });
  });

  it('names the exclusive failures and gives the assertion as the reason', () => {
    const failed = cases.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.name)).toEqual([
      'hmm.hmm_device_private.exclusive',
      'hmm.hmm_device_private.exclusive_mprotect',
      'hmm.hmm_device_private.exclusive_cow',
      'hmm.hmm_device_coherent.exclusive',
      'hmm.hmm_device_coherent.exclusive_mprotect',
      'hmm.hmm_device_coherent.exclusive_cow',
    ]);
    expect(failed[0]!.reason).toBe('hmm-tests.c:1812:exclusive:Expected ret (-16) == 0 (0)');
    expect(failed[1]!.reason).toBe('hmm-tests.c:1866:exclusive_mprotect:Expected ret (-16) == 0 (0)');
    expect(failed[0]!.log).toContain(' RUN           hmm.hmm_device_private.exclusive ...');
  });

  it('a crash in the middle: the running case is missing (started), the rest missing (never ran), by name', () => {
    const cut = text.slice(0, text.indexOf('#            OK  hmm.hmm_device_private.migrate\n'));
    const c = tapCases(parseTap(cut), { expected: names61, stopped: 'the command was killed by signal 11' });
    expect(c).toHaveLength(58);
    expect(countCases(c)).toEqual({ pass: 11, fail: 0, skip: 0, missing: 47 });
    expect(c[11]).toMatchObject({
      name: 'hmm.hmm_device_private.migrate',
      status: 'missing',
      number: 12,
      reason: 'started but never reported (the command was killed by signal 11)',
    });
    expect(c[12]).toMatchObject({
      name: 'hmm.hmm_device_private.migrate_file_private',
      status: 'missing',
      number: 13,
      reason: 'never ran: the output stopped before it (the command was killed by signal 11)',
    });
    expect(c.at(-1)?.name).toBe('hmm2.hmm2_device_coherent.double_map');
  });

  it('without a case list, cases that never ran are named by their number', () => {
    const cut = text.slice(0, text.indexOf('ok 3 '));
    const c = tapCases(parseTap(cut));
    expect(c.map((x) => x.name).slice(0, 4)).toEqual([
      'hmm.hmm_device_private.open_close',
      'hmm.hmm_device_private.anon_read',
      'hmm.hmm_device_private.anon_read_prot',
      '#4',
    ]);
    expect(c[2]!.status).toBe('missing');
    expect(c).toHaveLength(58);
  });

  it('output that stops before the plan: every expected case is missing', () => {
    const c = tapCases(parseTap('TAP version 13\n'), { expected: names61, stopped: 'the machine stopped' });
    expect(c).toHaveLength(58);
    expect(c.every((x) => x.status === 'missing' && x.number === undefined)).toBe(true);
  });
});

describe('6.1 quirks and other TAP/KTAP forms', () => {
  it('`ok N # SKIP reason` without a name takes the name of the RUN line (kselftest runner nesting)', () => {
    const doc = parseTap(read('kselftest-runner-nested.tap'));
    const c = tapCases(doc);
    expect(c.map((x) => [x.name, x.status, x.reason])).toEqual([
      ['selftests: vm: hmm-tests.hmm.hmm_device_private.open_close', 'pass', undefined],
      [
        'selftests: vm: hmm-tests.hmm.hmm_device_private.anon_write_hugetlbfs',
        'skip',
        'Huge page could not be allocated',
      ],
      [
        'selftests: vm: hmm-tests.hmm.hmm_device_private.exclusive',
        'fail',
        'hmm-tests.c:1812:exclusive:Expected ret (-16) == 0 (0)',
      ],
      ['selftests: vm: gup_test.gup_test', 'pass', undefined],
    ]);
    expect(doc.results[0]!.subtest?.totals).toEqual({
      pass: 1,
      fail: 1,
      xfail: 0,
      xpass: 0,
      skip: 1,
      error: 0,
    });
  });

  it('indented KTAP subtests (KUnit), parameterised subtests, and a subtest cut short', () => {
    const c = tapCases(parseTap(read('kunit-ktap-nested.tap')));
    expect(c.map((x) => [x.name, x.status])).toEqual([
      ['example.example_simple_test', 'pass'],
      ['example.example_skip_test', 'skip'],
      ['example.example_params_test.example value 2', 'pass'],
      ['example.example_params_test.example value 1', 'skip'],
      ['example.example_params_test.example value 0', 'fail'],
      ['crashed.first', 'pass'],
      ['crashed.#2', 'missing'],
    ]);
    expect(c[1]!.reason).toBe('this test should be skipped');
  });

  it('a probe case that timed out, then a bail out: TIMEOUT is the reason, the rest is missing', () => {
    const c = tapCases(parseTap(read('probe-timeout-hang.tap')));
    expect(c.map((x) => [x.name, x.status, x.reason])).toEqual([
      ['mmap_rw_verify', 'pass', undefined],
      ['truncate_vs_vmsplice', 'fail', 'timeout: after 180 s'],
      [
        'punch_hole_vs_vmsplice',
        'missing',
        'started but never reported (bail out: cannot map shared memory)',
      ],
    ]);
    expect(c[1]!.log).toContain('[<0>] ext4_break_layouts+0x4c/0xd5');
  });

  it('accepts "ok - name", numbers left out, a plan at the end, TODO and XFAIL directives', () => {
    const doc = parseTap(
      [
        'TAP version 13',
        'ok - first',
        'not ok - second # TODO not done',
        'ok third # XFAIL known',
        'not ok 4 fourth # error boom',
        '1..4',
      ].join('\n'),
    );
    const c = tapCases(doc);
    expect(c.map((x) => [x.name, x.status, x.directive])).toEqual([
      ['first', 'pass', undefined],
      ['second', 'skip', 'TODO'],
      ['third', 'pass', 'XFAIL'],
      ['fourth', 'fail', 'ERROR'],
    ]);
    expect(c[3]!.reason).toBe('error: boom');
  });

  it('ignores console noise: CR, ANSI escapes, NUL bytes, interleaved program output', () => {
    const doc = parseTap('KTAP version 1\r\n1..2\r\n\x1b[1mok 1 a\x1b[0m\r\nsome output\0\nnot ok 2 b\r\n');
    const c = tapCases(doc);
    expect(c.map((x) => [x.name, x.status])).toEqual([
      ['a', 'pass'],
      ['b', 'fail'],
    ]);
    expect(c[1]!.reason).toBe('some output');
    expect(cleanLine('\x1b[31mred\x1b[0m\r')).toBe('red');
  });

  it('warns when the Totals line disagrees with the result lines', () => {
    const doc = parseTap(
      'TAP version 13\n1..2\nok 1 a\nok 2 b\n# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\n',
    );
    expect(doc.warnings).toEqual(['Totals count 1 results but 2 result lines were read']);
  });

  it('a program that prints nothing gives no case without a list, and every listed case as missing with one', () => {
    expect(tapCases(parseTap(''))).toEqual([]);
    const c = tapCases(parseTap(''), { expected: ['a', 'b'] });
    expect(c.map((x) => [x.name, x.status])).toEqual([
      ['a', 'missing'],
      ['b', 'missing'],
    ]);
  });
});
