import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellResult, RunSummary } from '../../../harness/model/result.ts';
import { finalise } from '../../../harness/model/status.ts';
import { runCapture } from '../../../harness/process/run.ts';
import { consoleSlicer } from '../../../harness/report/console-slice.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import {
  atRuns,
  FIXTURES,
  type FixtureName,
  fixtureDir,
  goldenDir,
  hostileString,
  loadFixture,
  validateJUnit,
  validateJUnitText,
  XML_ILLEGAL,
} from './helpers.ts';

/** The JUnit of a fixture as `zdh report` would write it at /runs/<name>, reading the fixture's console logs. */
function junitOf(name: FixtureName): string {
  return renderJUnit(atRuns(loadFixture(name), name), {
    runDir: `/runs/${name}`,
    console: consoleSlicer(fixtureDir(name)),
  });
}

const work = mkdtempSync(join(tmpdir(), 'zdh-junit-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const files: Partial<Record<FixtureName, string>> = {};
beforeAll(() => {
  for (const name of FIXTURES) {
    const f = join(work, `${name}.xml`);
    writeFileSync(f, junitOf(name));
    files[name] = f;
  }
});

/** Evaluates an XPath 1.0 expression on a written report with xmllint. */
const xq = (name: FixtureName, expr: string): Promise<string> =>
  runCapture('xmllint', ['--xpath', expr, files[name]!]);
const count = async (name: FixtureName, expr: string): Promise<number> =>
  Number(await xq(name, `count(${expr})`));
const str = (name: FixtureName, expr: string): Promise<string> => xq(name, `string(${expr})`);
/** Attribute values of every node an expression selects (e.g. //testsuite/@name). */
async function attrs(name: FixtureName, expr: string): Promise<string[]> {
  const n = await count(name, expr);
  const out: string[] = [];
  for (let i = 1; i <= n; i++) out.push(await str(name, `(${expr})[${i}]`));
  return out;
}
const kase = (suite: string, testcase: string): string =>
  `//testsuite[@name="${suite}"]/testcase[@name="${testcase}"]`;

describe('renderJUnit: every golden run', () => {
  it('validates against the JUnit schema (xmllint)', async () => {
    await validateJUnit(FIXTURES.map((n) => files[n]!));
  });

  it.each(FIXTURES)('%s matches its golden junit.xml', async (name) => {
    await expect(junitOf(name)).toMatchFileSnapshot(join(goldenDir, `${name}.junit.xml`));
  });

  it('the schema check can fail: it rejects a document the builder would write unfixed, and a NUL', async () => {
    const good = junitOf('passing');
    await expect(validateJUnitText(good.replace(/<testsuites /, '<testsuites skipped="0" '))).rejects.toThrow(
      /skipped/,
    );
    await expect(validateJUnitText(good.replace('tests="', 'testz="'))).rejects.toThrow();
    await expect(validateJUnitText(good.replace('mount_dax', 'mount\u0000dax'))).rejects.toThrow();
  });
});

describe('renderJUnit: suites, classnames and cases', () => {
  it('has one suite per cell × workload, plus a boot suite per cell, named <cell id>/<workload>', async () => {
    expect(await attrs('failing', '//testsuite/@name')).toEqual([
      '6.1@q35-pmem#1/boot',
      '6.1@q35-pmem#1/pmem-fsdax',
      '6.1@q35-pmem#1/hmm',
      '6.1@q35-pmem#1/devdax-stress',
      '6.1@q35-pmem#1/cleanup',
      '6.1@q35-pmem#2/boot',
      '6.1@q35-pmem#2/pmem-fsdax',
      '6.1@q35-pmem#2/hmm',
    ]);
  });

  it('uses classname zdh.<kernel>.<machine>.<workload>, with dots in names made underscores', async () => {
    expect(
      new Set(await attrs('failing', '//testsuite[@name="6.1@q35-pmem#1/hmm"]/testcase/@classname')),
    ).toEqual(new Set(['zdh.6_1.q35-pmem.hmm']));
    expect(await str('failing', `${kase('6.1@q35-pmem#1/boot', 'boot')}/@classname`)).toBe(
      'zdh.6_1.q35-pmem.boot',
    );
  });

  it('names cases after the case, marking repeats after the first with [#n]', async () => {
    expect(await attrs('failing', '//testsuite[@name="6.1@q35-pmem#1/pmem-fsdax"]/testcase/@name')).toEqual([
      'mount_dax',
      'truncate_while_mapped',
      'huge_fault',
      'kernel: BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages',
    ]);
    expect(await attrs('failing', '//testsuite[@name="6.1@q35-pmem#2/hmm"]/testcase/@name')).toContain(
      'hmm.open_close [#2]',
    );
  });

  it('reports a failed case as a failure with its message as text', async () => {
    const tc = kase('6.1@q35-pmem#1/hmm', 'hmm.migrate_dirty');
    expect(await str('failing', `${tc}/failure/@type`)).toBe('zdh.fail');
    expect(await str('failing', `${tc}/failure`)).toBe('ASSERT_EQ(ptr[i], i) failed: 0x\u2400\u2400 != 0x2a');
  });

  it('reports a missing case as a failure "never reported"', async () => {
    expect(await str('failing', `${kase('6.1@q35-pmem#1/pmem-fsdax', 'huge_fault')}/failure/@message`)).toBe(
      'never reported: the program stopped reporting after case 2',
    );
  });

  it('reports xpass as a failure and xfail as skipped with the reason', async () => {
    expect(
      await str('failing', `${kase('6.1@q35-pmem#1/hmm', 'hmm.exclusive_mprotect')}/failure/@message`),
    ).toBe('passed unexpectedly (expected to fail: known broken before 6.2 (exclusive entries))');
    const xfail = kase('6.1@q35-pmem#1/hmm', 'hmm.exclusive_mprotect');
    expect(await str('passing', `${xfail}/skipped/@message`)).toBe(
      'expected failure: known broken before 6.2 (exclusive entries)',
    );
    expect(await str('passing', `${xfail}/skipped`)).toBe(
      'expected failure: known broken before 6.2 (exclusive entries)',
    );
    expect(await count('passing', `${xfail}/failure`)).toBe(0);
  });

  it('reports skips as skipped, with the reason as message and text', async () => {
    expect(await str('passing', `${kase('6.1@q35-pmem#1/pmem-fsdax', 'huge_fault')}/skipped/@message`)).toBe(
      'skipped: namespace not 2M aligned',
    );
    expect(await str('failing', `${kase('6.1@q35-pmem#1/hmm', 'hmm.skipped_on_tcg')}/skipped/@message`)).toBe(
      'skipped',
    );
  });

  it('adds a failing "step" case for a timed-out step and one that never ran after a hang', async () => {
    expect(await str('failing', `${kase('6.1@q35-pmem#1/devdax-stress', 'step')}/failure/@message`)).toBe(
      'the step timed out',
    );
    expect(await str('failing', `${kase('6.1@q35-pmem#1/cleanup', 'step')}/failure/@message`)).toMatch(
      /^not run \(hang: step 'devdax-stress' did not finish/,
    );
    expect(await count('passing', '//testcase[@name="step"]')).toBe(0);
  });

  it('reports a machine that hung as a failing "machine exit" case in the boot suite', async () => {
    expect(await str('failing', `${kase('6.1@q35-pmem#1/boot', 'machine exit')}/failure/@type`)).toBe(
      'zdh.exit.hang',
    );
    expect(await count('failing', kase('6.1@q35-pmem#2/boot', 'machine exit'))).toBe(0);
  });

  it('counts tests, failures, errors and skips so the root agrees with the cases', async () => {
    expect(await str('failing', '/testsuites/@tests')).toBe(String(await count('failing', '//testcase')));
    expect(await str('failing', '/testsuites/@failures')).toBe(
      String(await count('failing', '//testcase[failure]')),
    );
    expect(await str('failing', '/testsuites/@time')).toBe('712.4');
    expect(await count('failing', '/testsuites/@skipped')).toBe(0);
    expect(await str('failing', '//testsuite[@name="6.1@q35-pmem#1/hmm"]/@skipped')).toBe('1');
  });
});

describe('renderJUnit: kernel findings', () => {
  const bps = 'kernel: BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages';

  it('makes each finding a failing case `kernel: <title>` in the suite of its workload', async () => {
    const tc = kase('6.1@q35-pmem#1/pmem-fsdax', bps);
    expect(await str('failing', `${tc}/failure/@type`)).toBe('kernel.bad-page-state');
    expect(await str('failing', `${tc}/failure/@message`)).toBe(
      'BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages (x2)',
    );
    expect(await count('failing', kase('6.1@q35-pmem#2/pmem-fsdax', `${bps} [#2]`))).toBe(1);
    expect(
      await count(
        'failing',
        kase('6.1@q35-pmem#1/devdax-stress', 'kernel: INFO: task hung in memunmap_pages'),
      ),
    ).toBe(1);
  });

  it('puts boot findings in the boot suite', async () => {
    expect(await count('failing', kase('6.1@q35-pmem#1/boot', 'kernel: WARNING in memremap_pages'))).toBe(1);
  });

  it('uses the excerpt as failure text, decoded: hostile bytes arrive as readable, escaped text', async () => {
    const text = await str('failing', `${kase('6.1@q35-pmem#1/pmem-fsdax', bps)}/failure`);
    expect(text).toContain('page dumped because: non-NULL mapping');
    expect(text).toContain(
      'comm "dax\u2400put\u2407" red <script>alert("x")</script> & ]]> ]]> \ufffd \ufffd \ufffdevil',
    );
    expect(text).toContain(
      '-- zdh: bad-page-state; refcount problem; fsdax page; seen 2 times; console.log lines 35-68',
    );
    const raw = junitOf('failing');
    expect(raw).toContain('&lt;script&gt;alert("x")&lt;/script&gt; &amp; ]]&gt; ]]&gt;');
    expect(raw).not.toMatch(XML_ILLEGAL);
    expect(raw).not.toContain('\u001b');
    expect(raw).not.toContain('<![CDATA[');
  });
});

describe('renderJUnit: properties, system-out and attachments', () => {
  it('gives every suite the kernel release, source, patches, config hash, QEMU version and accelerator', async () => {
    for (const p of [
      'kernel.release',
      'kernel.source',
      'kernel.patches',
      'kernel.config.sha256',
      'qemu.version',
      'machine.accel',
    ]) {
      expect(await count('failing', `//testsuite[not(properties/property[@name="${p}"])]`), p).toBe(0);
    }
    const props = '//testsuite[@name="6.1@q35-pmem#1/hmm"]/properties/property';
    expect(await str('failing', `${props}[@name="kernel.release"]/@value`)).toBe('6.1.158-zdh');
    expect(await str('failing', `${props}[@name="kernel.patches"]/@value`)).toMatch(
      /^0001-mm-memremap-hold-pgmap-ref-across-zap\.patch@[0-9a-f]{12}$/,
    );
    expect(await str('failing', `${props}[@name="qemu.version"]/@value`)).toBe(
      '7.2.19 (Debian 1:7.2+dfsg-7+deb12u16)',
    );
    expect(await str('failing', `${props}[@name="machine.accel"]/@value`)).toBe('kvm');
    expect(
      await str(
        'errored',
        '//testsuite[@name="next@q35-pmem#1/boot"]/properties/property[@name="kernel.source"]/@value',
      ),
    ).toMatch(/^git https:\/\/git\.kernel\.org\/\S+ ref=next-20251124 commit=[0-9a-f]{40}$/);
    expect(
      await str(
        'errored',
        '//testsuite[@name="next@q35-pmem#1/boot"]/properties/property[@name="kernel.release"]/@value',
      ),
    ).toBe('unknown');
  });

  it("puts the step's console slice in the suite's system-out, host stamps removed", async () => {
    const out = await str('failing', '//testsuite[@name="6.1@q35-pmem#1/pmem-fsdax"]/system-out');
    const lines = out.split('\n');
    expect(lines[0]).toBe('console.log lines 31-71:');
    expect(lines[1]).toBe('[    0.370200] zdh: step begin pmem-fsdax');
    expect(lines).toContain('[    0.802100] zdh: step end pmem-fsdax status=1');
    expect(out).not.toContain('2025-11-25T');
    // A 5,002-character line is cut, and says so.
    expect(out).toContain(`# ${'A'.repeat(998)}[zdh: +4002 chars]`);
  });

  it('lists the full logs as Jenkins attachments, each alone on its line, by absolute path', async () => {
    const out = (await str('failing', '//testsuite[@name="6.1@q35-pmem#1/pmem-fsdax"]/system-out')).split(
      '\n',
    );
    expect(out).toContain('[[ATTACHMENT|/runs/failing/cells/6.1@q35-pmem#1/console.log]]');
    expect(out).toContain('[[ATTACHMENT|/runs/failing/cells/6.1@q35-pmem#1/steps/pmem-fsdax.out]]');
    const boot = (await str('failing', '//testsuite[@name="6.1@q35-pmem#1/boot"]/system-out')).split('\n');
    expect(boot).toContain('[[ATTACHMENT|/runs/failing/cells/6.1@q35-pmem#1/build.log]]');
  });

  it('gives failing cases the end of their step console and the attachments (GitLab shows case output only)', async () => {
    const out = await str('failing', `${kase('6.1@q35-pmem#1/hmm', 'hmm.migrate_dirty')}/system-out`);
    expect(out.split('\n')[0]).toBe('console.log lines 72-79, last 8:');
    expect(out).toContain('[[ATTACHMENT|/runs/failing/cells/6.1@q35-pmem#1/console.log]]');
    expect(await count('failing', `${kase('6.1@q35-pmem#1/hmm', 'hmm.open_close')}/system-out`)).toBe(0);
  });

  it('writes no console text without a console reader, but still the attachments', () => {
    const xml = renderJUnit(atRuns(loadFixture('failing'), 'failing'), { runDir: '/runs/failing' });
    expect(xml).not.toContain('zdh: step begin');
    expect(xml).toContain('[[ATTACHMENT|/runs/failing/cells/6.1@q35-pmem#1/console.log]]');
  });
});

describe('renderJUnit: errored and interrupted runs', () => {
  it('reports a cell whose build failed as one error, its steps skipped', async () => {
    const boot = kase('next@q35-pmem#1/boot', 'boot');
    expect(await str('errored', `${boot}/error/@message`)).toMatch(
      /^build failed: mm\/memremap\.c:512:9: error:/,
    );
    expect(await count('errored', '//testcase[error]')).toBe(1);
    expect(await str('errored', `${kase('next@q35-pmem#1/hmm', 'step')}/skipped/@message`)).toBe(
      'not run: the cell could not start',
    );
    expect(await count('errored', '//testcase[failure]')).toBe(0);
  });

  it('skips what the user interrupted instead of failing it', async () => {
    expect(
      await str('interrupted', `${kase('6.1@q35-pmem#2/hmm', 'hmm.anon_read [#2]')}/skipped/@message`),
    ).toBe('not reported: the run was interrupted');
    expect(
      await str('interrupted', `${kase('6.1@q35-pmem#2/devdax-stress', 'step [#2]')}/skipped/@message`),
    ).toBe('not run: the run was interrupted');
    expect(await str('interrupted', `${kase('6.1@q35-pmem#3/boot', 'boot [#3]')}/skipped/@message`)).toBe(
      'not started',
    );
    expect(await count('interrupted', '//testcase[failure or error]')).toBe(0);
  });
});

describe('renderJUnit: any bytes', () => {
  /** A one-cell run whose every guest-provided string is hostile. */
  function hostileRun(s: string[]): RunSummary {
    const base = loadFixture('failing');
    const cell = base.cells[0]!;
    const w = cell.workloads[0]!;
    const at = (i: number): string => s[i % s.length] ?? '';
    const hostileCell: CellResult = {
      ...cell,
      id: `${at(0)}@${at(1)}#1`,
      kernel: { ...cell.kernel, name: at(0), release: at(2), patches: [{ name: at(3), sha256: at(4) }] },
      machine: { ...cell.machine, name: at(1), qemuVersion: at(5), accel: at(6) },
      error: null,
      exit: { reason: { kind: 'panic', message: at(7) }, message: at(7) },
      workloads: [
        {
          ...w,
          name: at(8),
          cases: [
            { name: at(9), status: 'fail', message: at(10), durationS: 1 },
            { name: at(9), status: 'skip', message: at(11), durationS: 0 },
            { name: at(12), status: 'xfail', message: at(13), durationS: null },
          ],
        },
      ],
      findings: [
        { ...cell.findings[1]!, title: at(14), workload: at(8), excerpt: at(15) },
        { ...cell.findings[0]!, title: at(16), workload: at(17), excerpt: at(18) },
      ],
    };
    return finalise({ ...base, run: { ...base.run, id: at(19), suite: at(20) }, cells: [hostileCell] });
  }

  it('stays valid against the schema whatever the guest printed', async () => {
    const docs = fc.sample(fc.array(hostileString, { minLength: 21, maxLength: 21 }), {
      numRuns: 40,
      seed: 6,
    });
    const xml = docs.map((s) => renderJUnit(hostileRun(s), { runDir: '/runs/hostile', console: () => s }));
    for (const x of xml) expect(x).not.toMatch(XML_ILLEGAL);
    await validateJUnitText(...xml);
  });
});
