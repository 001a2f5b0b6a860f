import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCapture } from '../../../harness/process/run.ts';
import { parseTap } from '../../../harness/tap/parse.ts';
import { PROBES_DIR } from '../../../harness/workloads/programs.ts';

// The probes' data pattern (guests/probes/zdh-pattern.h) is pure C: its host test is built
// with the same warnings as the probes and run here. Its checks include the torn words
// that real zdh-dax runs produced.
const out = mkdtempSync(join(tmpdir(), 'zdh-pattern-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('zdh-pattern.h', () => {
  it('accepts words torn between 0 and their own value, and rejects words from elsewhere', async () => {
    const bin = join(out, 'pattern-test');
    await runCapture('gcc', [
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-o',
      bin,
      join(PROBES_DIR, 'tests', 'pattern-test.c'),
    ]);
    const text = await runCapture(bin, []);
    const doc = parseTap(text);
    expect(doc.plan?.count).toBe(10);
    expect(doc.results).toHaveLength(10);
    expect(doc.results.filter((r) => !r.ok).map((r) => r.name)).toEqual([]);
  });
});
