/**
 * Golden logs: every test/fixtures/logs/<name>.log is scanned and compared with
 * <name>.expected.json. To accept a deliberate change in output, regenerate them with
 *   UPDATE_GOLDEN=1 npx vitest run --project unit test/unit/scan/golden.test.ts
 * and review the diff.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../../harness/scan/read.ts';
import { Scanner } from '../../../harness/scan/scanner.ts';
import type { Finding } from '../../../harness/scan/types.ts';
import { fixturesDir } from './helpers.ts';

const update = process.env['UPDATE_GOLDEN'] === '1';
/** How many golden logs test/fixtures/logs holds. */
const GOLDEN_LOGS = 41;
const logs = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.log'))
  .sort();

const expectedPath = (log: string): string => join(fixturesDir, log.replace(/\.log$/, '.expected.json'));

function scanInChunks(bytes: Buffer, size: number): Finding[] {
  const scanner = new Scanner();
  for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
  return scanner.finish();
}

describe('golden logs', () => {
  it('finds every fixture: exactly the logs there are, each with its expected findings and no orphan', () => {
    // The exact count: a log that goes missing (renamed, deleted, a bad merge) fails here
    // rather than silently taking its tests with it. Adding a fixture means raising it.
    expect(logs).toHaveLength(GOLDEN_LOGS);
    // An .expected.json without its log is a fixture lost while its golden stayed.
    const goldens = readdirSync(fixturesDir)
      .filter((f) => f.endsWith('.expected.json'))
      .sort();
    expect(goldens).toEqual(logs.map((l) => l.replace(/\.log$/, '.expected.json')));
  });

  for (const log of logs) {
    it(`${log} gives its expected findings`, async () => {
      const findings = await scanFile(join(fixturesDir, log));
      if (update) writeFileSync(expectedPath(log), `${JSON.stringify(findings, null, 2)}\n`);
      const expected = JSON.parse(readFileSync(expectedPath(log), 'utf8')) as Finding[];
      expect(findings).toEqual(expected);
    });

    it(`${log} gives the same findings when every line takes the slow path`, async () => {
      // A NUL (removed by cleaning) makes every chunk need cleaning, which bypasses the fast path.
      const text = readFileSync(join(fixturesDir, log), 'latin1');
      const scanner = new Scanner();
      for (const line of text.split('\n')) scanner.push(Buffer.from(`\x00${line}\n`, 'latin1'));
      const slow = scanner.finish();
      const fast = await scanFile(join(fixturesDir, log));
      expect(slow.map((f) => [f.title, f.count, f.firstLine, f.lastLine, f.workload])).toEqual(
        fast.map((f) => [f.title, f.count, f.firstLine, f.lastLine, f.workload]),
      );
    });

    it(`${log} gives the same findings however the input is split`, async () => {
      const bytes = readFileSync(join(fixturesDir, log));
      const whole = await scanFile(join(fixturesDir, log));
      for (const size of [1, 7, 64, 4093]) expect(scanInChunks(bytes, size)).toEqual(whole);
    });
  }
});
