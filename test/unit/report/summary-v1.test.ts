import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeExit, type ExitReason } from '../../../harness/machine/exit-reason.ts';
import { SUMMARY_VERSION } from '../../../harness/model/result.ts';
import { loadSummarySchema } from '../../../harness/report/summary-file.ts';
import { parseSummary as parseWith } from '../../../harness/report/summary-json.ts';
import { reasonFromV1 } from '../../../harness/report/summary-v1.ts';
import { projectRoot } from '../../../harness/util/paths.ts';
import { FIXTURES, fixtureDir } from './helpers.ts';

/** Parsing as `zdh report` does: against the shipped schema. */
const parseSummary = (text: string, source: string) => parseWith(text, source, loadSummarySchema());

// Version 1 summaries (written by zdh before 2026-12-06) kept only an exit's kind and
// words. test/fixtures/summaries-v1/ holds the report fixtures as they were then.
const v1Dir = join(projectRoot, 'test', 'fixtures', 'summaries-v1');

describe('reading version 1 summaries', () => {
  it.each(FIXTURES)('the %s fixture written as version 1 reads as its version 2 twin', (name) => {
    const v1Text = readFileSync(join(v1Dir, `${name}.summary.json`), 'utf8');
    expect(JSON.parse(v1Text).version).toBe(1);
    const v2 = parseSummary(readFileSync(join(fixtureDir(name), 'summary.json'), 'utf8'), 'v2');
    expect(v2.version).toBe(SUMMARY_VERSION);
    expect(parseSummary(v1Text, 'v1')).toEqual(v2);
  });

  // Every reason a version 1 zdh could write, through the words it wrote for it.
  const written: ExitReason[] = [
    { kind: 'done' },
    { kind: 'interrupted' },
    { kind: 'panic', message: 'Fatal exception in interrupt' },
    { kind: 'infrastructure', message: 'cannot start QEMU (is qemu-system-x86 installed?): ENOENT' },
    { kind: 'guest-exit', detail: 'QEMU ended (exit code 0) while the guest was running steps' },
    { kind: 'boot-timeout', stage: 'banner', timeoutS: 60 },
    { kind: 'boot-timeout', stage: 'init', timeoutS: 180 },
    { kind: 'run-timeout', timeoutS: 1500, step: 'dax-ext4' },
    { kind: 'run-timeout', timeoutS: 1500, step: undefined },
    { kind: 'hang', step: 'hmm-tests', timeoutS: 1146 },
    { kind: 'hang', step: 'hmm-tests', timeoutS: 0, unresponsiveS: 120 },
    { kind: 'hang', step: 'hmm-stress', timeoutS: 0, resultsStalled: { status: 1, waitedS: 30 } },
    {
      kind: 'hang',
      step: 'hmm-tests',
      timeoutS: 0,
      wedged: { oops: 'Oops: 0000 [#1] SMP', stall: 'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:' },
    },
  ];
  it.each(written.map((r) => [describeExit(r), r] as const))('%s', (words, reason) => {
    expect(reasonFromV1(reason.kind, words)).toEqual(reason);
  });

  it('refuses an exit kind zdh never wrote, naming the field', () => {
    const v1 = JSON.parse(readFileSync(join(v1Dir, 'passing.summary.json'), 'utf8'));
    v1.cells[0].exit.kind = 'exploded';
    expect(() => parseSummary(JSON.stringify(v1), 'old/summary.json')).toThrow(
      'old/summary.json is a version 1 summary with an exit zdh never wrote: cells.0.exit.kind "exploded"',
    );
  });
});
