/**
 * Properties over arbitrary input: the analyser never throws, and its work is linear —
 * asserted on counts (each line is examined at most twice; what it keeps is bounded),
 * never on time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_EXCERPT_CHARS, MAX_FRAMES } from '../../../harness/scan/analyse.ts';
import { Scanner } from '../../../harness/scan/scanner.ts';
import type { Finding } from '../../../harness/scan/types.ts';
import { warning } from './helpers.ts';

// Lines that build reports, so random logs are not only noise.
const VOCABULARY = [
  '------------[ cut here ]------------',
  'WARNING: CPU: 1 PID: 77 at fs/dax.c:404 dax_disassociate_entry+0x4f/0xb0',
  'BUG: Bad page state in process fsx  pfn:140200',
  'BUG: KASAN: use-after-free in f+0x1/0x2',
  'BUG: something loose',
  'kernel BUG at include/linux/mm.h:780!',
  'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
  'Kernel panic - not syncing: Fatal exception',
  'INFO: task t:5 blocked for more than 5 seconds.',
  'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:',
  'NMI backtrace for cpu 1',
  'page:00000000a0b1c2d3 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x17fe40',
  'page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)',
  'refcount_t: underflow; use-after-free.',
  'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
  'RIP: 0010:dax_disassociate_entry+0x4f/0xb0',
  'Call Trace:',
  ' <TASK>',
  ' truncate_inode_pages_range+0xd4/0x590',
  ' ? lock_release+0x1c/0x90',
  ' </TASK>',
  '---[ end trace 0000000000000000 ]---',
  '---[ end Kernel panic - not syncing: Fatal exception ]---',
  '==================================================================',
  'zdh: step begin w1',
  'zdh: step end w1 status=0',
  'an ordinary line',
  '',
  // Issue 15's report kinds: header continuations, lock chains, backtraces, header-only reports.
  'BUG: KASAN: use-after-free in list_del include/linux/list.h:125 [inline]',
  'BUG: KMSAN: uninit-value in f+0x1/0x2',
  'BUG: KCSAN: data-race in f / g',
  'WARNING: possible circular locking dependency detected',
  '[ INFO: possible recursive locking detected ]',
  'WARNING: lock held when returning to user space!',
  'ffff888100a2b8e8 (&mm->mmap_lock){++++}-{3:3}, at: f+0x5f/0xb0',
  ' #0: ffff888100a2b8e8 (&x->lock){+.+.}-{3:3}, at: g+0x5f/0xb0',
  'stack backtrace:',
  'unreferenced object 0xffff888100e4b000 (size 64):',
  '  backtrace:',
  '    [<ffffffff813ad1e4>] kmemleak_alloc+0x4a/0x80',
  'BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!',
  'BUG: stack guard page was hit at 00000000a6d8f2e8 (stack is 000000003b1c54a4..00000000e62a7b2d)',
  'kernel stack overflow (double-fault): 0000 [#1] PREEMPT SMP NOPTI',
  'Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: f+0x1/0x2',
  'IP: [<ffffffff82d4e304>] f+0x24/0x30',
  ' <EOI>  [<ffffffff81a34e92>] ? g+0x42/0x60',
  'page allocation failure: order:10, mode:0xcc0(GFP_KERNEL)',
];
const PREFIXES = [
  '',
  '[    1.000000] ',
  '[    2.000000][  T101] ',
  '[    3.000000][    C1] ',
  '\x1b[31m',
  '\x00',
];

const logLine = fc
  .tuple(fc.constantFrom(...PREFIXES), fc.oneof(fc.constantFrom(...VOCABULARY), fc.string({ maxLength: 40 })))
  .map(([p, t]) => p + t);

function run(input: Uint8Array | string, chunk = 997): { findings: Finding[]; scanner: Scanner } {
  const scanner = new Scanner();
  for (let i = 0; i < input.length; i += chunk) scanner.push(input.slice(i, i + chunk));
  return { findings: scanner.finish(), scanner };
}

function checkInvariants(findings: Finding[], scanner: Scanner, newlines: number): void {
  const { lines, visits, reports } = scanner.stats;
  expect(lines === newlines || lines === newlines + 1).toBe(true);
  expect(visits).toBeLessThanOrEqual(2 * lines);
  expect(reports).toBeLessThanOrEqual(lines);
  expect(findings.reduce((n, f) => n + f.count, 0)).toBe(reports);
  for (const f of findings) {
    expect(f.firstLine).toBeGreaterThanOrEqual(1);
    expect(f.lastLine).toBeGreaterThanOrEqual(f.firstLine);
    expect(f.lastLine).toBeLessThanOrEqual(lines);
    expect(f.excerpt.length).toBeLessThanOrEqual(MAX_EXCERPT_CHARS + 1);
    expect(f.frames.length).toBeLessThanOrEqual(MAX_FRAMES);
    expect(f.title).not.toMatch(/0x[0-9a-f]|\+0x/);
  }
}

const countNewlines = (s: string | Uint8Array): number =>
  typeof s === 'string' ? s.split('\n').length - 1 : s.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);

describe('scanner properties', () => {
  it('never throws on random bytes, and keeps its invariants', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), fc.integer({ min: 1, max: 600 }), (bytes, chunk) => {
        const { findings, scanner } = run(bytes, chunk);
        checkInvariants(findings, scanner, countNewlines(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random logs made of report lines, and keeps its invariants', () => {
    fc.assert(
      fc.property(fc.array(logLine, { maxLength: 300 }), fc.integer({ min: 1, max: 300 }), (lines, chunk) => {
        const text = lines.join('\n');
        const { findings, scanner } = run(text, chunk);
        checkInvariants(findings, scanner, countNewlines(text));
      }),
      { numRuns: 300 },
    );
  });

  it('does work proportional to the input: k copies of a log cost k times one copy', () => {
    fc.assert(
      fc.property(
        fc.array(logLine, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 2, max: 20 }),
        (lines, k) => {
          const one = `${lines.join('\n')}\n`;
          const a = run(one).scanner.stats;
          const b = run(one.repeat(k)).scanner.stats;
          expect(b.lines).toBe(k * a.lines);
          // Every line is examined once, or twice when it ends a report; never more.
          expect(b.visits).toBeLessThanOrEqual(2 * b.lines);
          expect(b.reports).toBeLessThanOrEqual(k * (a.reports + 2));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps a bounded amount of a report however long it runs', () => {
    const report = warning('fs/dax.c:404', 'dax_disassociate_entry');
    const endless = [...report.slice(0, -1), ...Array.from({ length: 20_000 }, (_, i) => ` f${i}+0x1/0x2`)];
    const { findings, scanner } = run(`${endless.join('\n')}\n`, 4096);
    expect(findings).toHaveLength(1);
    checkInvariants(findings, scanner, endless.length);
  });

  it('survives a megabyte line with header words in it', () => {
    const junk = 'BUG: WARNING: ------------[ cut here ]------------ '.repeat(25_000);
    const { findings, scanner } = run(`[    1.000000] ${junk}\n${junk}\n`, 65_536);
    checkInvariants(findings, scanner, 2);
  });
});
