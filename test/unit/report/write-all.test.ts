import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunSummary, readSummary } from '../../../harness/report/summary-file.ts';
import { writeReports } from '../../../harness/report/write-all.ts';
import { writeFileAtomic } from '../../../harness/util/atomic.ts';
import { kcidbErrors, scratch, validateJUnit } from './helpers.ts';

const runs = scratch('failing', 'interrupted');
afterAll(() => runs.cleanup());

describe('writeReports', () => {
  it('writes summary.json, junit.xml, report.html and kcidb.json into the run folder and returns their paths', async () => {
    const dir = join(runs.dir, 'failing');
    const summary = readRunSummary(dir);
    const paths = writeReports(summary, dir);
    expect(paths).toEqual({
      junit: join(dir, 'junit.xml'),
      summary: join(dir, 'summary.json'),
      html: join(dir, 'report.html'),
      kcidb: join(dir, 'kcidb.json'),
    });
    expect(readSummary(paths.summary)).toEqual({ ...summary, run: { ...summary.run, dir } });
    expect(readFileSync(paths.html, 'utf8')).toContain('<h3>INFO: task hung in memunmap_pages</h3>');
    const xml = readFileSync(paths.junit, 'utf8');
    expect(xml).toContain(`[[ATTACHMENT|${dir}/cells/6.1@q35-pmem#1/console.log]]`);
    expect(xml).toContain('[    0.370200] zdh: step begin pmem-fsdax');
    await validateJUnit([paths.junit]);
    const kcidb = JSON.parse(readFileSync(paths.kcidb, 'utf8'));
    expect(kcidbErrors(kcidb)).toEqual([]);
    expect(kcidb.tests.length).toBe(xml.match(/<testcase\b/g)?.length);
    // Excerpts quote the console as JUnit does.
    expect(JSON.stringify(kcidb)).toContain('zdh: step begin pmem-fsdax');
    expect(readdirSync(dir).sort()).toEqual([
      'cells',
      'junit.xml',
      'kcidb.json',
      'report.html',
      'summary.json',
    ]);
  });

  it('puts the KCIDB origin it is given on every id', () => {
    const dir = join(runs.dir, 'interrupted');
    const paths = writeReports(readRunSummary(dir), dir, { kcidbOrigin: 'my_lab' });
    const kcidb = JSON.parse(readFileSync(paths.kcidb, 'utf8'));
    expect(kcidb.tests[0].id.startsWith('my_lab:')).toBe(true);
    expect(kcidb.builds[0].origin).toBe('my_lab');
  });

  it('records the folder it wrote to as run.dir', () => {
    const dir = join(runs.dir, 'interrupted');
    const moved = join(runs.dir, 'elsewhere');
    mkdirSync(moved);
    const paths = writeReports(readRunSummary(dir), moved);
    expect(readSummary(paths.summary).run.dir).toBe(moved);
  });

  it('replaces existing reports', () => {
    const dir = join(runs.dir, 'interrupted');
    writeFileSync(join(dir, 'report.html'), 'old');
    const paths = writeReports(readRunSummary(dir), dir);
    expect(readFileSync(paths.html, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });
});

describe('writeFileAtomic', () => {
  it('leaves the old file and no temporary file when it cannot finish', () => {
    const dir = join(runs.dir, 'atomic');
    mkdirSync(join(dir, 'target'), { recursive: true });
    writeFileSync(join(dir, 'target', 'keep'), 'x');
    expect(() => writeFileAtomic(join(dir, 'target'), 'text')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readdirSync(join(dir, 'target'))).toEqual(['keep']);
  });
});
