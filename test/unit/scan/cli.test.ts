/** `zdh scan` through commander, with only the scan command registered. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerScan } from '../../../harness/cli/commands/scan.ts';
import { fixturesDir } from './helpers.ts';

async function zdhScan(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  const result = { code: 0 };
  const program = new Command('zdh').exitOverride();
  registerScan(program, result).exitOverride();
  try {
    await program.parseAsync(['scan', ...args], { from: 'user' });
    return { code: result.code, stdout, stderr };
  } catch (error) {
    return { code: -1, stdout, stderr, error };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const log = (name: string): string => join(fixturesDir, name);
const dir = mkdtempSync(join(tmpdir(), 'zdh-scan-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('zdh scan', () => {
  it('exits 0 and says so when no log has a finding', async () => {
    const r = await zdhScan([log('clean-boot-6.1.log'), log('clean-notime.log')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('clean-boot-6.1.log: no findings');
    expect(r.stdout).toContain('clean-notime.log: no findings');
  });

  it('exits 1 and prints a human summary when a log has findings', async () => {
    const r = await zdhScan([log('hung-task.log')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('hung-task.log: 1 finding');
    expect(r.stdout).toContain('INFO: task hung in memunmap_pages');
    expect(r.stdout).toMatch(/\[hung-task, refcount, device-private\] workload hmm-rmmod, lines 2-24/);
  });

  it('prints one JSON object per log, one per line, with --json', async () => {
    const r = await zdhScan(['--json', log('clean-boot-6.1.log'), log('steps-dedupe.log')]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const [clean, steps] = lines.map(
      (l) => JSON.parse(l) as { file: string; findings: { title: string; count: number }[] },
    );
    expect(clean).toEqual({ file: log('clean-boot-6.1.log'), findings: [] });
    expect(steps!.findings.map((f) => [f.title, f.count])).toContainEqual([
      'WARNING in free_zone_device_page',
      4,
    ]);
    expect(Object.keys(steps!.findings[0]!).sort()).toEqual(
      [
        'category',
        'corrupted',
        'count',
        'excerpt',
        'firstLine',
        'frames',
        'lastLine',
        'page',
        'pageKind',
        'refcount',
        'title',
        'workload',
      ].sort(),
    );
  });

  it('exits 2 when a log cannot be read, still reporting the others', async () => {
    const r = await zdhScan(['--json', join(dir, 'missing.log'), log('hung-task.log')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read log');
    expect(r.stderr).toContain('missing.log');
    expect(JSON.parse(r.stdout.trim()).findings).toHaveLength(1);
  });

  it('exits 2 when the vmlinux given cannot be read', async () => {
    const r = await zdhScan(['--vmlinux', join(dir, 'nope'), log('hung-task.log')]);
    expect(r.error).toMatchObject({ kind: 'config' });
  });

  it('reads the log as a stream, whatever its bytes', async () => {
    const file = join(dir, 'binary.log');
    writeFileSync(file, Buffer.from([0, 255, 10, 27, 91, 50, 74, 13, 10, 0xc3]));
    const r = await zdhScan([file]);
    expect(r.code).toBe(0);
  });

  it('rejects a bad --zone-device', async () => {
    const r = await zdhScan(['--zone-device', 'x', log('hung-task.log')]);
    expect(r.error).toMatchObject({ kind: 'usage' });
  });
});
