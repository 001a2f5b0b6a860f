import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../harness/model/result.ts';
import { renderTerminal } from '../../../harness/report/terminal.ts';
import { reportPaths } from '../../../harness/report/write-all.ts';
import { atRuns, type FixtureName, goldenDir, loadFixture } from './helpers.ts';

const at = (name: FixtureName): RunSummary => atRuns(loadFixture(name), name);
const plain = (name: FixtureName): string =>
  renderTerminal(at(name), { tty: false, paths: reportPaths(`/runs/${name}`) });

describe('renderTerminal', () => {
  it.each(['passing', 'failing', 'errored', 'interrupted'] as const)(
    '%s matches its golden text',
    async (name) => {
      await expect(plain(name)).toMatchFileSnapshot(join(goldenDir, `${name}.terminal.txt`));
    },
  );

  it('starts with the verdict, duration and counts', () => {
    const lines = plain('failing').split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'zdh run 20251125T204740-fail01 (suite nightly): FAILED in 11m 52s',
      '  cells     2 failed',
      '  cases     8 passed, 2 failed, 2 missing, 1 xpass, 2 skipped, 1 xfail',
      '  findings  4 reports, 3 distinct',
    ]);
  });

  it('lists each finding title with the workloads and cells it came from', () => {
    const out = plain('failing');
    expect(out).toContain(
      [
        '  BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages',
        '    bad-page-state, refcount, fsdax page; 3 reports',
        '    in pmem-fsdax of 6.1@q35-pmem#1 (x2, console.log lines 35-68)',
        '    in pmem-fsdax of 6.1@q35-pmem#2 (console.log lines 16-49)',
      ].join('\n'),
    );
    expect(out).toContain('    during boot of 6.1@q35-pmem#1 (console.log lines 9-30)');
  });

  it('lists the failures, and the paths of the reports and of the logs of failed cells', () => {
    const out = plain('failing');
    expect(out).toContain('Failures (8)');
    expect(out).toContain(
      '  fail  6.1@q35-pmem#1 pmem-fsdax: huge_fault: never reported: the program stopped reporting after case 2',
    );
    expect(out).toContain('  report.html   /runs/failing/report.html');
    expect(out).toContain('  junit.xml     /runs/failing/junit.xml');
    expect(out).toContain('  summary.json  /runs/failing/summary.json');
    expect(out).toContain('  console.log   6.1@q35-pmem#2  /runs/failing/cells/6.1@q35-pmem#2/console.log');
  });

  it('names the build log of a cell that could not build', () => {
    const out = plain('errored');
    expect(out).toContain(
      '  error  next@q35-pmem#1 boot: build failed: mm/memremap.c:512:9: error: implicit declaration',
    );
    expect(out).toContain('  build.log     next@q35-pmem#1  /runs/errored/cells/next@q35-pmem#1/build.log');
  });

  it('has no failures section for a passing run', () => {
    expect(plain('passing')).not.toContain('Failures');
    expect(plain('passing')).toContain('findings  none');
  });

  it('is plain text off a terminal, and only adds its own colours on one', () => {
    const s = at('failing');
    expect(renderTerminal(s, { tty: false })).not.toContain('\u001b');
    const tty = renderTerminal(s, { tty: true });
    expect(tty).toContain('\u001b[31mFAILED\u001b[0m');
    expect(tty.replace(/\u001b\[\d+m/g, '')).toBe(renderTerminal(s, { tty: false }));
  });

  it('never passes guest escape sequences or controls to the terminal', () => {
    const s = at('failing');
    const cell = s.cells[0]!;
    const evil: RunSummary = {
      ...s,
      cells: [
        {
          ...cell,
          findings: [
            {
              ...cell.findings[0]!,
              title: 'BUG \u001b]0;pwned\u0007 \u001b[2J x\u009b1m\r\n',
              workload: 'w\u001b[K',
            },
          ],
        },
      ],
    };
    const out = renderTerminal(evil, { tty: true }).replace(/\u001b\[\d+m/g, '');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('BUG   x');
  });

  it('shows at most maxProblems failures and counts the rest; cuts long lines', () => {
    const out = renderTerminal(at('failing'), { tty: false, maxProblems: 3, width: 60 });
    expect(out).toContain('  … and 5 more (see report.html)');
    for (const line of out.split('\n').filter((l) => l.startsWith('  fail')))
      expect(line.length).toBeLessThanOrEqual(68);
  });
});
