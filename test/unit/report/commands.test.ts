/** `zdh report` and `zdh merge` through commander, on scratch copies of the golden run folders. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { RegisterCommand } from '../../../harness/cli/commands/index.ts';
import { registerMerge } from '../../../harness/cli/commands/merge.ts';
import { registerReport } from '../../../harness/cli/commands/report.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { readSummary } from '../../../harness/report/summary-file.ts';
import { kcidbErrors, scratch, validateJUnit } from './helpers.ts';

async function zdh(
  register: RegisterCommand,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  const result = { code: -1 };
  const program = new Command('zdh').exitOverride();
  register(program, result).exitOverride();
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: result.code, stdout, stderr };
  } catch (error) {
    return { code: -1, stdout, stderr, error };
  } finally {
    vi.restoreAllMocks();
  }
}

const runs = scratch('passing', 'failing', 'errored', 'interrupted', 'shard-1', 'shard-2');
afterAll(() => runs.cleanup());
afterEach(() => vi.restoreAllMocks());
const run = (name: string): string => join(runs.dir, name);

describe('zdh report RUN_DIR', () => {
  it.each([
    ['passing', 0, 'PASSED'],
    ['failing', 1, 'FAILED'],
    ['errored', 2, 'ERROR'],
    ['interrupted', 130, 'INTERRUPTED'],
  ])('renders %s again and exits %i', async (name, code, word) => {
    const r = await zdh(registerReport, ['report', run(name)]);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(code);
    expect(r.stdout.split('\n')[0]).toContain(`: ${word} in `);
    expect(r.stdout).toContain(`  report.html   ${run(name)}/report.html`);
    for (const f of ['junit.xml', 'report.html', 'summary.json'])
      expect(existsSync(join(run(name), f))).toBe(true);
    expect(readSummary(join(run(name), 'summary.json')).run.dir).toBe(run(name));
    await validateJUnit([join(run(name), 'junit.xml')]);
  });

  it('writes kcidb.json with the --kcidb-origin given (default zdh)', async () => {
    await zdh(registerReport, ['report', run('failing')]);
    const plain = JSON.parse(readFileSync(join(run('failing'), 'kcidb.json'), 'utf8'));
    expect(plain.checkouts[0].id).toMatch(/^zdh:/);
    const r = await zdh(registerReport, ['report', '--kcidb-origin', 'my_lab', run('failing')]);
    expect(r.code).toBe(1);
    const d = JSON.parse(readFileSync(join(run('failing'), 'kcidb.json'), 'utf8'));
    expect(kcidbErrors(d)).toEqual([]);
    expect(
      d.tests.every(
        (t: { id: string; origin: string }) => t.id.startsWith('my_lab:') && t.origin === 'my_lab',
      ),
    ).toBe(true);
    expect(r.stdout).toContain(`  kcidb.json    ${run('failing')}/kcidb.json`);
  });

  it('refuses a --kcidb-origin KCIDB would not accept, as a usage error', async () => {
    const r = await zdh(registerReport, ['report', '--kcidb-origin', 'My Lab', run('passing')]);
    expect((r.error as ZdhError).kind).toBe('usage');
    expect((r.error as ZdhError).message).toContain('--kcidb-origin');
  });

  it('accepts the summary.json itself', async () => {
    const r = await zdh(registerReport, ['report', join(run('passing'), 'summary.json')]);
    expect(r.code).toBe(0);
  });

  it('recomputes the verdicts from the facts in summary.json', async () => {
    const file = join(run('passing'), 'summary.json');
    const s = JSON.parse(readFileSync(file, 'utf8'));
    s.cells[0].workloads[0].cases[0].status = 'fail';
    writeFileSync(file, JSON.stringify(s));
    const r = await zdh(registerReport, ['report', run('passing')]);
    expect(r.code).toBe(1);
    expect(readSummary(file).totals.cases.fail).toBe(1);
    expect(readSummary(file).run.status).toBe('failed');
  });

  it('is a usage error for a folder that does not exist', async () => {
    const r = await zdh(registerReport, ['report', join(runs.dir, 'nope')]);
    expect(r.error).toBeInstanceOf(ZdhError);
    expect((r.error as ZdhError).kind).toBe('usage');
  });

  it('is a config error for a folder without a valid summary.json', async () => {
    const r = await zdh(registerReport, ['report', runs.dir]);
    expect((r.error as ZdhError).kind).toBe('config');
    expect((r.error as ZdhError).message).toMatch(/cannot read .*summary\.json/);
  });
});

describe('zdh merge [--out DIR] RUN_DIR...', () => {
  it('writes merged reports into --out, prints the summary and exits by the merged status', async () => {
    const out = join(runs.dir, 'merged');
    const r = await zdh(registerMerge, ['merge', '--out', out, run('shard-1'), run('shard-2')]);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('merged from 2 runs');
    const s = readSummary(join(out, 'summary.json'));
    expect(s.cells).toHaveLength(4);
    expect(s.run.mergedFrom).toEqual(['20251125T204740-shard1', '20251125T204741-shard2']);
    expect(s.run.command).toEqual(['merge', '--out', out, run('shard-1'), run('shard-2')]);
    expect(s.cells[0]!.artifacts.console).toBe('../shard-1/cells/6.1@q35-pmem#1/console.log');
    const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
    // The console slices were found through the rebased paths.
    expect(xml).toContain('console.log lines 9-16:\n[    0.098720] zdh: step begin pmem-fsdax');
    await validateJUnit([join(out, 'junit.xml')]);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(
      'href="../shard-2/cells/next%40tcg-pmem%231/console.log"',
    );
    const kcidb = JSON.parse(readFileSync(join(out, 'kcidb.json'), 'utf8'));
    expect(kcidbErrors(kcidb)).toEqual([]);
    expect(kcidb.tests.length).toBe(xml.match(/<testcase\b/g)?.length);
    expect(kcidb.tests[0].id).toContain(s.run.id);
  });

  it('takes --kcidb-origin too', async () => {
    const out = join(runs.dir, 'merged-origin');
    const r = await zdh(registerMerge, ['merge', '--out', out, '--kcidb-origin', 'lab_2', run('shard-1')]);
    expect(r.code).toBe(0);
    const kcidb = JSON.parse(readFileSync(join(out, 'kcidb.json'), 'utf8'));
    expect(kcidb.builds.every((b: { id: string }) => b.id.startsWith('lab_2:'))).toBe(true);
  });

  it('reports duplicates it dropped on stderr', async () => {
    const out = join(runs.dir, 'merged-twice');
    const r = await zdh(registerMerge, ['merge', '--out', out, run('shard-1'), run('shard-1')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'zdh merge: cell 6.1@q35-pmem#1 of run 20251125T204740-shard1 appears twice: kept once',
    );
  });

  it('refuses to write into one of the runs it merges', async () => {
    const r = await zdh(registerMerge, ['merge', '--out', run('shard-1'), run('shard-1'), run('shard-2')]);
    expect((r.error as ZdhError).kind).toBe('usage');
    expect(existsSync(join(run('shard-1'), 'report.html'))).toBe(false);
  });
});
