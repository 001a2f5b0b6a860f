import { describe, expect, it } from 'vitest';
import { matchHeader } from '../../../harness/scan/headers.ts';
import { kmsg, scan } from './helpers.ts';

describe('matchHeader', () => {
  const cases: [string, string, Partial<ReturnType<typeof matchHeader>>][] = [
    ['BUG: Bad page state in process fsx  pfn:140200', 'bad-page-state', { detail: '140200', strict: true }],
    ['BUG: Bad page map in process t  pte:800000012b3c4067 pmd:10b2a5067', 'bad-page-map', {}],
    ['kernel BUG at include/linux/mm.h:780!', 'kernel-bug', { site: 'include/linux/mm.h:780' }],
    [
      'WARNING: CPU: 3 PID: 1548359 at fs/dax.c:404 dax_disassociate_entry+0x4f/0xb0',
      'warning',
      { site: 'fs/dax.c:404', func: 'dax_disassociate_entry+0x4f/0xb0', end: 'trace' },
    ],
    ['WARNING: CPU: 0 PID: 1 at foo+0x1/0x2', 'warning', { site: '', func: 'foo+0x1/0x2' }],
    [
      'WARNING: mm/gup.c:224 at try_grab_page+0x1b0/0x1d0, CPU#1: gup_test/88',
      'warning',
      { site: 'mm/gup.c:224' },
    ],
    [
      'BUG: KASAN: use-after-free in dmirror_devmem_free+0x2e/0x90 [test_hmm]',
      'kasan',
      { detail: 'use-after-free' },
    ],
    [
      'BUG: KASAN: double-free or invalid-free in kfree+0xd9/0x1e0',
      'kasan',
      { detail: 'double-free or invalid-free' },
    ],
    ['BUG: KFENCE: use-after-free read in f+0x4b/0x90', 'kfence', { detail: 'use-after-free read' }],
    ['BUG: KFENCE: memory corruption in f+0x4b/0x90', 'kfence', { detail: 'memory corruption' }],
    ['BUG: kernel NULL pointer dereference, address: 0000000000000008', 'null-deref', {}],
    ['BUG: unable to handle page fault for address: ffffea1fffffffc0', 'page-fault', {}],
    ['Oops: 0000 [#1] PREEMPT SMP NOPTI', 'oops', { die: true }],
    [
      'general protection fault, probably for non-canonical address 0xdffffc0000000000: 0000 [#1] SMP KASAN',
      'gpf',
      { die: true },
    ],
    [
      'Oops: general protection fault, probably for non-canonical address 0x3fff88842fc80000: 0000 [#1] PREEMPT SMP NOPTI',
      'gpf',
      {},
    ],
    ['invalid opcode: 0000 [#1] PREEMPT SMP NOPTI', 'invalid-opcode', { die: true }],
    ['Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI', 'invalid-opcode', {}],
    [
      'UBSAN: shift-out-of-bounds in mm/gup.c:2147:23',
      'ubsan',
      { detail: 'shift-out-of-bounds', site: 'mm/gup.c:2147:23' },
    ],
    ['watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [dax-trunc:1201]', 'soft-lockup', {}],
    ['NMI watchdog: Watchdog detected hard LOCKUP on cpu 0', 'hard-lockup', {}],
    ['INFO: task rmmod:512 blocked for more than 5 seconds.', 'hung-task', {}],
    ['rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:', 'rcu-stall', {}],
    ['rcu: INFO: rcu_preempt self-detected stall on CPU', 'rcu-stall', {}],
    [
      'rcu: INFO: rcu_sched detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies s: 49 root: 0x2/.',
      'rcu-stall',
      {},
    ],
    ['Kernel panic - not syncing: Fatal exception', 'panic', { detail: 'Fatal exception', end: 'panic' }],
    [
      'BUG: sleeping function called from invalid context at mm/migrate_device.c:816',
      'bug',
      { strict: true, title: 'BUG: sleeping function called from invalid context' },
    ],
    [
      'BUG: scheduling while atomic: hmm-tests/903/0x00000002',
      'bug',
      { title: 'BUG: scheduling while atomic' },
    ],
    ['BUG: some new kind of report', 'bug', { strict: false }],
    [
      "INFO: task syz-executor.1:4321 can't die for more than 143 seconds.",
      'hung-task',
      { title: "INFO: task can't die" },
    ],
    ['INFO: rcu_sched self-detected stall on CPU', 'rcu-stall', { locate: 'stall' }],
    ['[ INFO: possible circular locking dependency detected ]', 'lockdep', { title: 'possible deadlock' }],
    ['unreferenced object 0xffff888100e4b000 (size 64):', 'kmemleak', {}],
    ['BUG: KCSAN: data-race in foo / bar', 'kcsan', { stackless: true }],
    [
      'WARNING: CPU: 0 UID: 0 PID: 1 at fs/dax.c:404 dax_disassociate_entry+0x4f/0xb0',
      'warning',
      { site: 'fs/dax.c:404', func: 'dax_disassociate_entry+0x4f/0xb0' },
    ],
    [
      'WARNING: fs/dax.c:404 at 0xffffffff81234567, CPU#3: t/77',
      'warning',
      { site: 'fs/dax.c:404', func: '' },
    ],
    ['unregister_netdevice: waiting for lo to become free. Usage count = 2', 'bug', { stackless: true }],
    ['BUG kmalloc-64 (Not tainted): Object already free', 'bug', { strict: true }],
  ];
  for (const [text, category, fields] of cases) {
    it(`recognises ${category}: ${text.slice(0, 60)}`, () => {
      expect(matchHeader(text)).toMatchObject({ category, ...fields });
    });

    it(`finds ${category} through the scanner's fast path: ${text.slice(0, 40)}`, () => {
      // Nothing before the header opens a report, so only the fast path's own test can see it.
      const log = kmsg([
        'an ordinary line',
        text,
        'CPU: 1 PID: 2 Comm: t Not tainted 6.1.0 #1',
        'Call Trace:',
        ' f+0x1/0x2',
      ]);
      expect(scan(log).map((f) => f.category)).toContain(category);
    });
  }

  const harmless = [
    '# BUG: foo',
    'ok 3 BUG: bar',
    'ACPI: [Firmware Bug]: BIOS _OSI(Linux) query ignored',
    'WARNING: Unprivileged eBPF is enabled with eIBRS, data leaks possible via Spectre v2 BHB attacks!',
    'WARNING: The mand mount option has been deprecated and',
    'INFO: lockdep is turned off.',
    'INFO: NMI handler (perf_event_nmi_handler) took too long to run: 1.234 msecs',
    'kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
    'ODEBUG: selftest passed',
    'BUG: Bad page state: 12 messages suppressed',
    'ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0.S08], AE_NOT_FOUND',
    'EXT4-fs warning (device pmem0): ext4_multi_mount_protect:319: MMP interval 42 higher than expected',
    'Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on',
    'BUG: Bad page state: 12 messages suppressed',
    'INFO: lockdep is turned off.',
    'hung_task: blocked tasks',
    'page:00000000c3b0a0e5 refcount:0 mapcount:0 mapping:0000000000000000 index:0x10 pfn:0x140200',
    'PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug',
  ];
  for (const text of harmless) {
    it(`does not take "${text.slice(0, 50)}" for a report`, () => {
      expect(matchHeader(text)).toBeUndefined();
    });
  }
});
