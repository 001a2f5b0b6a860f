/**
 * One vocabulary (issue 18, part 4): the same summary rendered by every output says the same
 * thing about the same cases. Per workload, summary.json's case statuses, the HTML's counts
 * and case badges, kcidb.json's tests and junit.xml's outcomes agree; the terminal's and the
 * HTML header's totals are their sums.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../harness/model/result.ts';
import { renderHtml } from '../../../harness/report/html.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import { renderKcidb } from '../../../harness/report/kcidb.ts';
import { renderTerminal } from '../../../harness/report/terminal.ts';
import { mergeSummaries } from '../../helpers/merge.ts';
import { FIXTURES, fixtureDir, loadFixture } from './helpers.ts';

type Counts = Record<string, number>;

/** What summary.json says, in the words a person reads. */
const WORD: Record<string, string> = {
  pass: 'passed',
  fail: 'failed',
  skip: 'skipped',
  missing: 'missing',
  xfail: 'xfail',
  xpass: 'xpass',
};
/** What JUnit can say for each (docs/reports.md, "Statuses"). */
const JUNIT: Record<string, string> = {
  passed: 'passed',
  failed: 'failure',
  missing: 'failure',
  xpass: 'failure',
  skipped: 'skipped',
  xfail: 'skipped',
};

const add = (c: Counts, k: string, n = 1): Counts => ({ ...c, [k]: (c[k] ?? 0) + n });
const sum = (list: Counts[]): Counts =>
  list.reduce((acc, c) => Object.entries(c).reduce((a, [k, n]) => add(a, k, n), acc), {} as Counts);

/** Per workload (cell id/workload, in order): counts from summary.json as written on disk. */
function fromSummaryJson(file: string): [string, Counts][] {
  const s = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  return s.cells.flatMap((cell) =>
    cell.workloads.map(
      (w) =>
        [
          `${cell.id}/${w.name}`,
          w.cases.reduce((c, k) => add(c, WORD[k.status] ?? k.status), {} as Counts),
        ] as [string, Counts],
    ),
  );
}

/** Per workload block of report.html: the counts in its summary line, and its rows' badges. */
function fromHtml(html: string): { counts: Counts; badges: Counts }[] {
  const blocks = html.split('<details class="workload"').slice(1);
  return blocks.map((b) => {
    const head = b.slice(0, b.indexOf('</summary>'));
    // The case counts (a workload's line also counts its kernel findings: not cases).
    const counts = [...head.matchAll(/<span class="n [a-z]+">(\d+) ([a-z]+)<\/span>/g)]
      .filter((m) => !m[2]?.startsWith('finding'))
      .reduce((c, m) => add(c, m[2] ?? '', Number(m[1])), {} as Counts);
    const table = b.slice(b.indexOf('</summary>'), b.indexOf('</details>'));
    const badges = [...table.matchAll(/<td><span class="badge [a-z]+">([a-z]+)<\/span><\/td>/g)].reduce(
      (c, m) => add(c, m[1] ?? ''),
      {} as Counts,
    );
    return { counts, badges };
  });
}

/** Per workload: the misc.status of kcidb.json's case tests. */
function fromKcidb(summary: RunSummary): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const t of renderKcidb(summary).tests) {
    if (t.misc['entry'] !== 'case') continue;
    const key = `${t.misc['cell']}/${t.misc['workload']}`;
    out.set(key, add(out.get(key) ?? {}, String(t.misc['status'])));
  }
  return out;
}

/** Per junit.xml suite: the outcomes of its cases (the step and kernel-finding entries aside). */
function fromJUnit(summary: RunSummary): Map<string, Counts> {
  const xml = renderJUnit(summary, { runDir: summary.run.dir });
  const out = new Map<string, Counts>();
  for (const suite of xml.split('<testsuite ').slice(1)) {
    const name = (/^name="([^"]*)"/.exec(suite)?.[1] ?? '').replace(/&amp;/g, '&');
    let counts: Counts = {};
    for (const tc of suite.split('<testcase ').slice(1)) {
      // The case name without the repeat tag (` [#2]`).
      const caseName = (/(?:^|\s)name="([^"]*)"/.exec(tc)?.[1] ?? '').replace(/ \[#[^\]]*\]$/, '');
      if (caseName === 'step' || caseName.startsWith('kernel: ')) continue;
      const body = tc.slice(0, tc.indexOf('</testcase>') === -1 ? undefined : tc.indexOf('</testcase>'));
      const outcome = /<failure\b/.test(body) ? 'failure' : /<skipped\b/.test(body) ? 'skipped' : 'passed';
      counts = add(counts, outcome);
    }
    out.set(name, counts);
  }
  return out;
}

const runs: [string, RunSummary, string | null][] = [
  ...FIXTURES.map(
    (n) => [n, loadFixture(n), join(fixtureDir(n), 'summary.json')] as [string, RunSummary, string],
  ),
  [
    'merged shards',
    mergeSummaries([loadFixture('shard-1'), loadFixture('shard-2')], { dir: '/runs/m' }),
    null,
  ],
];

describe('every renderer counts the same cases the same way, per workload', () => {
  it.each(runs)('%s', (_name, summary, file) => {
    const expected: [string, Counts][] = file
      ? fromSummaryJson(file)
      : summary.cells.flatMap((cell) =>
          cell.workloads.map(
            (w) =>
              [
                `${cell.id}/${w.name}`,
                w.cases.reduce((c, k) => add(c, WORD[k.status] ?? k.status), {} as Counts),
              ] as [string, Counts],
          ),
        );
    const html = fromHtml(renderHtml(summary));
    const kcidb = fromKcidb(summary);
    const junit = fromJUnit(summary);
    expect(html).toHaveLength(expected.length);
    expected.forEach(([key, counts], i) => {
      expect(html[i]?.counts, `${key}: the HTML's workload line`).toEqual(counts);
      expect(html[i]?.badges, `${key}: the HTML's case badges`).toEqual(counts);
      expect(kcidb.get(key) ?? {}, `${key}: kcidb.json`).toEqual(counts);
      const cellId = key.slice(0, key.lastIndexOf('/'));
      const stopped = summary.cells.find((c) => c.id === cellId)?.status;
      const junitWant = Object.entries(counts).reduce(
        (c, [label, n]) =>
          add(
            c,
            label === 'missing' && (stopped === 'interrupted' || stopped === 'pending')
              ? 'skipped'
              : (JUNIT[label] ?? label),
            n,
          ),
        {} as Counts,
      );
      expect(junit.get(key) ?? {}, `${key}: junit.xml`).toEqual(junitWant);
    });

    // The totals are the sum, in the terminal and in the HTML's header.
    const total = sum(expected.map(([, c]) => c));
    const line = /^ {2}cases {5}(.*)$/m.exec(renderTerminal(summary, { tty: false }))?.[1] ?? '';
    const terminal =
      line === 'none'
        ? {}
        : Object.fromEntries(line.split(', ').map((p) => [p.split(' ')[1], Number(p.split(' ')[0])]));
    expect(terminal).toEqual(total);
    const glance =
      renderHtml(summary).split('<div class="label">Cases</div>')[1]?.split('</div></div>')[0] ?? '';
    const header = [...glance.matchAll(/<span class="n [a-z]+">(\d+) ([a-z]+)<\/span>/g)].reduce(
      (c, m) => add(c, m[2] ?? '', Number(m[1])),
      {} as Counts,
    );
    expect(header).toEqual(total);
  });

  it('an xfail is "xfail" everywhere a person reads it, never "skipped"', () => {
    const summary = loadFixture('passing');
    const html = renderHtml(summary);
    const hmm = fromHtml(html)[1];
    expect(hmm?.counts).toEqual({ passed: 3, xfail: 1 });
    expect(renderTerminal(summary, { tty: false })).toContain('cases     6 passed, 1 skipped, 1 xfail');
    const t = renderKcidb(summary).tests.find((x) => x.misc['case'] === 'hmm.exclusive_mprotect');
    expect(t?.misc['status']).toBe('xfail');
  });
});
