import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../harness/report/html.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import { renderKcidb } from '../../../harness/report/kcidb.ts';
import { loadSummarySchema } from '../../../harness/report/summary-file.ts';
import { renderTerminal } from '../../../harness/report/terminal.ts';
import { atRuns, loadFixture } from './helpers.ts';

// A run names the expectations file its cells were judged with (or says there was none), in
// summary.json, report.html, junit.xml and kcidb.json.
const file612 = { file: 'configs/expectations/linux-6.12-tcg.yaml', description: 'Linux 6.12.y under TCG' };

function runWith(expectations: { file: string; description: string | null }[] | undefined) {
  const summary = atRuns(loadFixture('passing'), 'passing');
  const cell = summary.cells[0]!;
  summary.cells = [expectations === undefined ? cell : { ...cell, expectations }];
  return summary;
}

describe('the expectations file a run used is named in its reports', () => {
  it('summary.json with cells[].expectations matches the schema, and so does one without (older runs)', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(loadSummarySchema());
    for (const s of [runWith([file612]), runWith([]), runWith(undefined)]) {
      expect(validate(JSON.parse(JSON.stringify(s))), JSON.stringify(validate.errors)).toBe(true);
    }
    const bad = runWith([{ file: '', description: null }]);
    expect(validate(JSON.parse(JSON.stringify(bad)))).toBe(false);
  });

  it('report.html names the file and its description on the cell, or says that every failure counts', () => {
    expect(renderHtml(runWith([file612]))).toContain(
      '<b>Expectations:</b> <code>configs/expectations/linux-6.12-tcg.yaml</code> (Linux 6.12.y under TCG)',
    );
    expect(renderHtml(runWith([]))).toMatch(
      /<b>Expectations:<\/b> none for this kernel[^<]*: every failure counts/,
    );
    expect(renderHtml(runWith(undefined))).not.toContain('<b>Expectations:</b>');
  });

  it('junit.xml carries it as a property of every suite of the cell', () => {
    const xml = renderJUnit(runWith([file612]), { runDir: '/runs/passing' });
    const props = [...xml.matchAll(/<property name="expectations.files" value="([^"]*)"\/>/g)].map(
      (m) => m[1],
    );
    const suites = [...xml.matchAll(/<testsuite /g)].length;
    expect(suites).toBeGreaterThan(1);
    expect(props).toEqual(Array(suites).fill('configs/expectations/linux-6.12-tcg.yaml'));
    expect(renderJUnit(runWith([]), { runDir: '/runs/passing' })).toContain(
      '<property name="expectations.files" value="none"/>',
    );
  });

  it("kcidb.json's tests carry it in misc", () => {
    const data = renderKcidb(runWith([file612]));
    expect(data.tests?.length).toBeGreaterThan(0);
    for (const t of data.tests ?? []) {
      expect((t.misc as Record<string, unknown>)['expectations']).toBe(
        'configs/expectations/linux-6.12-tcg.yaml',
      );
    }
  });

  it('the end-of-run summary lists the files, and says when a cell had none', () => {
    const line = (s: ReturnType<typeof runWith>) =>
      renderTerminal(s, { tty: false })
        .split('\n')
        .filter((l) => l.startsWith('  expected'));
    expect(line(runWith([file612]))).toEqual(['  expected  configs/expectations/linux-6.12-tcg.yaml']);
    expect(line(runWith([]))).toEqual(['  expected  none for 1 cell (every failure counts)']);
    expect(line(runWith(undefined))).toEqual([]);
  });
});
