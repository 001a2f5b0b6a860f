/** How lines become reports: preludes, interleaving, ends, echoes, panics, live findings. */
import { describe, expect, it } from 'vitest';
import { Scanner, scanLines } from '../../../harness/scan/scanner.ts';
import type { Finding } from '../../../harness/scan/types.ts';
import { kmsg, scan, warning } from './helpers.ts';

const pageDump = [
  'page:00000000a0b1c2d3 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x17fe40',
  'flags: 0x2ffff8000000000(node=0|zone=4|lastcpupid=0x1ffff)',
  'page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)',
];
const kernelBug = [
  '------------[ cut here ]------------',
  'kernel BUG at include/linux/mm.h:780!',
  'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
  'CPU: 1 PID: 4 Comm: t Not tainted 6.1.0 #1',
  'RIP: 0010:migrate_vma_finalize+0x2f1/0x300',
  'Call Trace:',
  ' <TASK>',
  ' dmirror_fops_unlocked_ioctl+0x3e2/0xbe0 [test_hmm]',
  ' </TASK>',
  '---[ end trace 0000000000000000 ]---',
];

describe('segmenting', () => {
  it('keeps the page dump printed before a VM_BUG_ON with its report', () => {
    const [f] = scan(kmsg([...pageDump, ...kernelBug]));
    expect(f).toMatchObject({ category: 'vm-bug-on', firstLine: 1, lastLine: 13, corrupted: false });
    expect(f!.page).toMatchObject({ pfn: 0x17fe40, refcount: 0, zone: 4 });
    expect(f!.excerpt.split('\n')[0]).toMatch(/^page:/);
  });

  it('does not attach an unrelated dump_page() to a later report', () => {
    const info = [...pageDump.slice(0, 2), 'page dumped because: isolation failed'];
    const filler = Array.from({ length: 100 }, (_, i) => `filler ${i}`);
    const findings = scan(kmsg([...info, ...filler, ...warning('fs/dax.c:404', 'dax_disassociate_entry')]));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ category: 'warning', page: null, firstLine: 104 });
  });

  it('separates interleaved reports by PRINTK_CALLER id', () => {
    const a = kmsg(warning('fs/dax.c:380', 'dax_insert_entry', ['dax_fault_iter+0x6ac/0x7a0']), 'T101');
    const b = kmsg(
      warning('mm/memremap.c:528', 'zone_device_page_init', ['dmirror_devmem_alloc_page+0x46/0x1a0']),
      'T202',
    );
    const mixed = a.flatMap((line, i) => [line, b[i]!]);
    const findings = scan(mixed);
    expect(findings.map((f) => f.title)).toEqual([
      'WARNING in dax_insert_entry',
      'WARNING in zone_device_page_init',
    ]);
    expect(findings.map((f) => f.frames.map((fr) => fr.function))).toEqual([
      ['dax_insert_entry', 'dax_fault_iter'],
      ['zone_device_page_init', 'dmirror_devmem_alloc_page'],
    ]);
  });

  it('ends a report without an end line at the end of its stack', () => {
    const hang = [
      'INFO: task t:5 blocked for more than 5 seconds.',
      'task:t               state:D stack:0     pid:5     ppid:2      flags:0x00004000',
      'Call Trace:',
      ' <TASK>',
      ' memunmap_pages+0x1a3/0x2f0',
      ' </TASK>',
      'an ordinary line after the report',
    ];
    expect(scan(kmsg(hang))[0]).toMatchObject({ firstLine: 1, lastLine: 6 });
  });

  it('ignores user-space "BUG:" and "WARNING:" lines, timestamped or not', () => {
    const log = [
      ...kmsg(['BUG: echoed by a test via /dev/kmsg', 'some output', 'WARNING: also echoed']),
      'BUG: printed on the console by a test',
      '# BUG: foo',
      'ok 3 BUG: bar',
      ...kmsg(['more output'], undefined, 20),
    ];
    expect(scan(log)).toEqual([]);
  });

  it('takes a loose BUG: header for a report when dump_stack follows it', () => {
    const log = kmsg([
      'BUG: scheduling while atomic: hmm-tests/903/0x00000002',
      'Modules linked in: test_hmm',
      'CPU: 1 PID: 903 Comm: hmm-tests Tainted: G        W          6.1.0 #1',
      'Call Trace:',
      ' dmirror_fops_read+0x81/0x120 [test_hmm]',
    ]);
    expect(scan(log)[0]).toMatchObject({
      category: 'bug',
      title: 'BUG: scheduling while atomic in dmirror_fops_read',
    });
  });

  it('keeps a report whose header has no stack, marked corrupted', () => {
    const [f] = scan(
      kmsg([
        '------------[ cut here ]------------',
        'WARNING: CPU: 1 PID: 88 at mm/gup.c:224 try_grab_page+0x1b0/0x1d0',
      ]),
    );
    expect(f).toMatchObject({ title: 'WARNING in try_grab_page', corrupted: true, frames: [] });
  });

  it('keeps a VM_BUG_ON page dump whose header was cut off, marked corrupted', () => {
    const [f] = scan(kmsg(pageDump));
    expect(f).toMatchObject({ category: 'vm-bug-on', corrupted: true, refcount: true });
  });

  it('folds the panic that ends an Oops into the Oops', () => {
    const oops = [
      'BUG: kernel NULL pointer dereference, address: 0000000000000008',
      'Oops: 0000 [#1] PREEMPT SMP NOPTI',
      'RIP: 0010:__dev_dax_pte_fault+0x9c/0x1a0 [device_dax]',
      'Call Trace:',
      ' dev_dax_huge_fault+0x1cf/0x3a0 [device_dax]',
      '---[ end trace 0000000000000000 ]---',
      'Kernel panic - not syncing: Fatal exception',
      '---[ end Kernel panic - not syncing: Fatal exception ]---',
    ];
    const findings = scan(kmsg(oops));
    expect(findings.map((f) => f.category)).toEqual(['null-deref']);
  });

  it('folds the panic_on_warn panic a sanitizer report triggers (kernel/panic.c check_panic_on_warn)', () => {
    const kasan = [
      '==================================================================',
      'BUG: KASAN: slab-use-after-free in dmirror_devmem_free+0x8a/0xd0',
      'Read of size 8 at addr ffff88810a1b2e08 by task t/77',
      'CPU: 1 PID: 77 Comm: t Not tainted 6.6.0 #1',
      'Call Trace:',
      ' <TASK>',
      ' kasan_report+0xb1/0xe0',
      ' dmirror_devmem_free+0x8a/0xd0',
      ' </TASK>',
      '==================================================================',
      'Kernel panic - not syncing: KASAN: panic_on_warn set ...',
      'CPU: 1 PID: 77 Comm: t Not tainted 6.6.0 #1',
      'Call Trace:',
      ' <TASK>',
      ' panic+0x6a4/0x750',
      ' check_panic_on_warn+0xab/0xb0',
      ' </TASK>',
    ];
    expect(scan(kmsg(kasan)).map((f) => f.title)).toEqual([
      'KASAN: slab-use-after-free Read in dmirror_devmem_free',
    ]);
  });

  it('reports a panic on its own, and a consequential one without its report as corrupted', () => {
    expect(
      scan(kmsg(['Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b']))[0],
    ).toMatchObject({
      title: 'kernel panic: Attempted to kill init! exitcode=ADDR',
      category: 'panic',
    });
    expect(scan(kmsg(['Kernel panic - not syncing: Fatal exception']))[0]).toMatchObject({ corrupted: true });
  });

  it('attaches an NMI backtrace from another CPU to the stall that asked for it', () => {
    const c0 = kmsg(
      ['rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:', 'Sending NMI from CPU 0 to CPUs 1:'],
      'C0',
    );
    const c1 = kmsg(
      [
        'NMI backtrace for cpu 1',
        'CPU: 1 PID: 1502 Comm: x Not tainted 6.1.0 #1',
        'RIP: 0010:get_dev_pagemap+0x47/0x130',
        'Call Trace:',
        ' follow_devmap_pmd+0xc6/0x150',
      ],
      'C1',
      11,
    );
    const [f] = scan([...c0, ...c1]);
    expect(f).toMatchObject({
      category: 'rcu-stall',
      title: 'INFO: rcu detected stall in get_dev_pagemap',
      corrupted: false,
    });
  });

  it('reports each finding live through onFinding, before de-duplication', () => {
    const seen: Finding[] = [];
    const scanner = new Scanner({ onFinding: (f) => seen.push(f) });
    const report = kmsg(warning('fs/dax.c:404', 'dax_disassociate_entry')).join('\n');
    scanner.push(`${report}\n`);
    expect(seen).toHaveLength(1); // complete at its end line, before finish()
    scanner.push(`${report}\n`);
    const findings = scanner.finish();
    expect(seen).toHaveLength(2);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.count).toBe(2);
  });

  it('refuses input after finish', () => {
    const scanner = new Scanner();
    scanner.finish();
    expect(() => scanner.push('x\n')).toThrow(/after finish/);
  });

  it('scans lines given as an iterable', () => {
    function* lines(): Generator<string> {
      yield* kmsg(warning('fs/dax.c:404', 'dax_disassociate_entry'));
    }
    expect(scanLines(lines())[0]!.title).toBe('WARNING in dax_disassociate_entry');
  });

  it('skips ordinary lines without examining them once no report is open', () => {
    const filler = Array.from({ length: 1000 }, (_, i) => `ordinary message ${i}`);
    const scanner = new Scanner();
    const loose = [
      'BUG: echoed by a test via /dev/kmsg',
      ...Array.from({ length: 70 }, (_, i) => `output ${i}`),
    ];
    const log = [
      ...kmsg(warning('fs/dax.c:404', 'dax_disassociate_entry'), 'T5'),
      ...kmsg(loose, 'T6', 20),
      ...kmsg(filler, 'T7', 30),
    ];
    scanner.push(`${log.join('\n')}\n`);
    expect(scanner.finish()).toHaveLength(1);
    // The report's lines and the echo's window are examined; the 1000 fillers are not.
    expect(scanner.stats.visits).toBeLessThan(120);
    expect(scanner.stats.lines).toBe(log.length);
  });

  it('finds the same reports when every line takes the slow path (dirty chunks)', () => {
    const log = [
      ...kmsg([...pageDump, ...kernelBug]),
      ...kmsg(warning('fs/dax.c:404', 'dax_disassociate_entry'), 'T9', 30),
    ];
    const fast = scan(log);
    const scanner = new Scanner();
    for (const line of log) scanner.push(`\x00${line}\n`); // a NUL makes every chunk need cleaning
    expect(scanner.finish()).toEqual(fast);
  });
});
