/** `zdh report RUN_DIR --upstream [--finding TITLE]` through commander, on scratch copies of run folders. */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerReport } from '../../../harness/cli/commands/report.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { fixtureDir } from './helpers.ts';
import { upstreamDir } from './upstream-helpers.ts';

async function report(args: string[]): Promise<{ code: number; stdout: string; error?: unknown }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const result = { code: -1 };
  const program = new Command('zdh').exitOverride();
  registerReport(program, result).exitOverride();
  try {
    await program.parseAsync(['report', ...args], { from: 'user' });
    return { code: result.code, stdout };
  } catch (error) {
    return { code: -1, stdout, error };
  } finally {
    vi.restoreAllMocks();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'zdh-upstream-cli-'));
const run = join(tmp, 'default-6.1');
const passing = join(tmp, 'passing');
const savedCache = process.env['ZDH_CACHE_DIR'];
beforeAll(() => {
  cpSync(join(upstreamDir, 'default-6.1'), run, { recursive: true });
  cpSync(fixtureDir('passing'), passing, { recursive: true });
  // An empty cache: the builds are gone, so nothing is symbolised and no binutils run.
  process.env['ZDH_CACHE_DIR'] = join(tmp, 'cache');
});
afterAll(() => {
  if (savedCache === undefined) delete process.env['ZDH_CACHE_DIR'];
  else process.env['ZDH_CACHE_DIR'] = savedCache;
  rmSync(tmp, { recursive: true, force: true });
});

const EXT4 = 'HANG: missing wake-up in ext4_break_layouts';
const XFS = 'HANG: missing wake-up in xfs_break_dax_layouts';

describe('zdh report --upstream', () => {
  it('writes one report per bug and its .config into RUN_DIR/upstream, prints the paths, exits 0', async () => {
    const r = await report([run, '--upstream']);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    const out = join(run, 'upstream');
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'hang-missing-wake-up-in-ext4-break-layouts-235af0b7.config',
      'hang-missing-wake-up-in-ext4-break-layouts-235af0b7.txt',
      expect.stringMatching(/^hang-missing-wake-up-in-xfs-break-dax-layouts-[0-9a-f]{8}\.config$/),
      expect.stringMatching(/^hang-missing-wake-up-in-xfs-break-dax-layouts-[0-9a-f]{8}\.txt$/),
    ]);
    expect(r.stdout.trim().split('\n')).toEqual([
      join(out, files[1]!),
      join(out, files[0]!),
      join(out, files[3]!),
      join(out, files[2]!),
    ]);
    expect(readFileSync(join(out, files[0]!), 'utf8')).toBe(
      readFileSync(join(run, 'cells', 'debian-6.1_default_1', 'config'), 'utf8'),
    );
    const text = readFileSync(join(out, files[1]!), 'utf8');
    expect(text.split('\n')[0]).toBe(EXT4);
    expect(text.replace(/\s+/g, ' ')).toContain(
      "Stack frames are as the kernel printed them: the build (zdh cache key 1cfca069f4cf) is no longer in zdh's cache",
    );
    // The run's other reports were not rewritten.
    expect(existsSync(join(run, 'junit.xml'))).toBe(false);
  });

  it('--finding TITLE writes that one report', async () => {
    rmSync(join(run, 'upstream'), { recursive: true, force: true });
    const r = await report([run, '--upstream', '--finding', XFS]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(readdirSync(join(run, 'upstream')).every((f) => f.startsWith('hang-missing-wake-up-in-xfs'))).toBe(
      true,
    );
  });

  it('an unknown --finding is a usage error listing the titles', async () => {
    const r = await report([run, '--upstream', '--finding', 'WARNING in nowhere']);
    expect(r.error).toBeInstanceOf(ZdhError);
    const e = r.error as ZdhError;
    expect(e.kind).toBe('usage');
    expect(e.message).toBe(`no finding titled "WARNING in nowhere" in ${run}`);
    expect(e.hint).toContain(`    ${EXT4}\n    ${XFS}`);
  });

  it('nothing to report: says so and exits 0, writing nothing', async () => {
    const r = await report([passing, '--upstream']);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`nothing to report in ${passing}: no kernel finding and no probe hang\n`);
    expect(existsSync(join(passing, 'upstream'))).toBe(false);
  });

  it('a folder that is not a run, or --finding or --debug-info without --upstream, is a usage error', async () => {
    for (const args of [
      [join(tmp, 'nope'), '--upstream'],
      [run, '--finding', EXT4],
      [run, '--debug-info'],
    ]) {
      const r = await report(args);
      expect(r.error).toBeInstanceOf(ZdhError);
      expect((r.error as ZdhError).kind).toBe('usage');
    }
  });
});
