/**
 * The skip list (harness/scan/skip.ts), one test per rule: a report whose stack has that
 * helper on top is titled after the frame below it. The reports are in the kernel's own
 * formats (6.1 unless noted); the kind of report is chosen so that the rule's list applies.
 */
import { describe, expect, it } from 'vitest';
import { isGenericFrame } from '../../../harness/scan/frames.ts';
import {
  ALLOCATOR_SKIPS,
  compileSkips,
  GENERIC_SKIPS,
  INTERRUPT_SKIPS,
  KIND_SKIPS,
  LEAK_SKIPS,
  type SkipRule,
  SLAB_SKIPS,
  WAIT_SKIPS,
} from '../../../harness/scan/skip.ts';
import { kmsg, scan } from './helpers.ts';

/** The frame every test expects the title to name. */
const GUILTY = 'zdh_guilty_fn';

const titleOf = (lines: string[]): string => {
  const findings = scan(kmsg(lines));
  expect(findings).toHaveLength(1);
  return findings[0]!.title;
};

const trace = (top: string): string[] => [
  'Call Trace:',
  ' <TASK>',
  ` ${top}+0x1a/0x40`,
  ` ${GUILTY}+0x2b/0x90`,
  ' do_syscall_64+0x3b/0x90',
  ' entry_SYSCALL_64_after_hwframe+0x63/0xcd',
  ' </TASK>',
];

// kernel/panic.c __warn, at a site in a file with no title kind of its own.
const warning = (top: string, site = 'drivers/misc/zdh.c:12'): string[] => [
  '------------[ cut here ]------------',
  `WARNING: CPU: 1 PID: 77 at ${site} ${top}+0x1a/0x40`,
  'Modules linked in:',
  'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
  `RIP: 0010:${top}+0x1a/0x40`,
  'RSP: 0018:ffffc90000abbd88 EFLAGS: 00010286',
  ...trace(top),
  '---[ end trace 0000000000000000 ]---',
];

// mm/page_alloc.c bad_page.
const badPage = (top: string): string[] => [
  'BUG: Bad page state in process t  pfn:10a4c0',
  'page:00000000b9b4f1d2 refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x10a4c0',
  'flags: 0x17ffffc0000000(node=0|zone=2|lastcpupid=0x1fffff)',
  'page dumped because: nonzero _refcount',
  'Modules linked in:',
  'CPU: 1 PID: 77 Comm: t Tainted: G    B   6.1.0 #1',
  ...trace(top),
];

// kernel/hung_task.c check_hung_task.
const hung = (top: string): string[] => [
  'INFO: task t:77 blocked for more than 122 seconds.',
  '      Not tainted 6.1.0 #1',
  '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
  'task:t               state:D stack:0     pid:77    ppid:1      flags:0x00004000',
  ...trace(top),
];

// kernel/watchdog_hld.c watchdog_overflow_callback (a hard lockup: some of these helpers are
// also the dispatch points that name a soft lockup or RCU stall, see the stall tests).
const hardLockup = (top: string): string[] => [
  'NMI watchdog: Watchdog detected hard LOCKUP on cpu 1',
  'Modules linked in:',
  'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
  `RIP: 0010:${top}+0x5d/0x1c0`,
  ...trace(top),
];

// mm/kasan/report.c, a bad free caught at a slab entry point.
const kasanFree = (top: string): string[] => [
  '==================================================================',
  `BUG: KASAN: double-free in ${top}+0x1a/0x40`,
  'Free of addr ffff888100e4b000 by task t/77',
  '',
  'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
  ...trace(top),
  '==================================================================',
];

// mm/kmemleak.c print_unreferenced.
const leak = (top: string): string[] => [
  'unreferenced object 0xffff888100e4b000 (size 64):',
  '  comm "t", pid 77, jiffies 4294893296 (age 8.120s)',
  '  hex dump (first 32 bytes):',
  '    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................',
  '  backtrace:',
  `    [<ffffffff81a3c4f2>] ${top}+0x1a/0x40`,
  `    [<ffffffff81a3c5a7>] ${GUILTY}+0x2b/0x90`,
  '    [<ffffffff81e01234>] do_syscall_64+0x3b/0x90',
];

function checkRules(rules: readonly SkipRule[], report: (top: string) => string[], kind: string): void {
  for (const rule of rules) {
    it(`${rule.pattern}: ${rule.sample} on top of a ${kind} stack`, () => {
      expect(new RegExp(rule.pattern).test(rule.sample)).toBe(true);
      expect(titleOf(report(rule.sample))).toMatch(new RegExp(` in ${GUILTY}$`));
    });
  }
}

describe('generic skips', () => {
  checkRules(GENERIC_SKIPS, warning, 'WARNING');
});

describe('category skips', () => {
  checkRules(ALLOCATOR_SKIPS, badPage, 'Bad page state');
  checkRules(WAIT_SKIPS, hung, 'hung task');
  checkRules(INTERRUPT_SKIPS, hardLockup, 'hard lockup');
  checkRules(SLAB_SKIPS, kasanFree, 'KASAN double-free');
  checkRules(LEAK_SKIPS, leak, 'kmemleak');
});

// One report per KIND_SKIPS key, in the format that kind is printed in.
const KIND_REPORTS: Record<string, (top: string) => string[]> = {
  // kernel/locking/lockdep.c print_circular_bug_header: the lock being taken, then the one held.
  lockdep: (top) => [
    '======================================================',
    'WARNING: possible circular locking dependency detected',
    '6.1.0 #1 Not tainted',
    '------------------------------------------------------',
    't/77 is trying to acquire lock:',
    `ffff888100e4b0a0 (sk_lock-AF_INET){+.+.}-{0:0}, at: ${top}+0x1a/0x40`,
    '',
    'but task is already holding lock:',
    `ffff888100e4b1b0 (&zdh->mutex){+.+.}-{3:3}, at: ${GUILTY}+0x2b/0x90`,
    '',
    'stack backtrace:',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    ...trace(top),
  ],
  // kernel/rcu/update.c lockdep_rcu_suspicious.
  rcu: (top) => [
    '=============================',
    'WARNING: suspicious RCU usage',
    '6.1.0 #1 Not tainted',
    '-----------------------------',
    'include/linux/rcupdate.h:737 suspicious rcu_dereference_check() usage!',
    '',
    'stack backtrace:',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    ...trace(top),
  ],
  // kernel/locking/lockdep.c assign_lock_key.
  'non-static-key': (top) => [
    'INFO: trying to register non-static key.',
    'The code is fine but needs lockdep annotation, or maybe',
    "you didn't initialize this object before use?",
    'turning off the locking correctness validator.',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    ...trace(top),
  ],
  // lib/smp_processor_id.c check_preemption_disabled.
  preempt: (top) => [
    'BUG: using __this_cpu_read() in preemptible [00000000] code: t/77',
    'caller is zdh_guilty_fn+0x2b/0x90',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    ...trace(top),
  ],
  // kernel/sched/core.c __schedule_bug.
  'scheduling-while-atomic': (top) => [
    'BUG: scheduling while atomic: t/77/0x00000002',
    'Modules linked in:',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    ...trace(top),
  ],
  // kernel/locking/spinlock_debug.c spin_bug.
  spinlock: (top) => [
    'BUG: spinlock already unlocked on CPU#1, t/77',
    ' lock: 0xffff888100e4b0a0, .magic: dead4ead, .owner: <none>/-1, .owner_cpu: -1',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    ...trace(top),
  ],
  // mm/usercopy.c usercopy_abort: then BUG().
  usercopy: (top) => [
    "usercopy: Kernel memory exposure attempt detected from SLUB object 'kmalloc-64' (offset 0, size 128)!",
    '------------[ cut here ]------------',
    'kernel BUG at mm/usercopy.c:102!',
    'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    'RIP: 0010:usercopy_abort+0x7a/0x7c',
    ...trace(top),
    '---[ end trace 0000000000000000 ]---',
  ],
  // lib/debugobjects.c debug_print_object.
  odebug: (top) => [
    '------------[ cut here ]------------',
    'ODEBUG: free active (active state 0) object type: timer_list hint: zdh_timer_fn+0x0/0x10',
    ...warning('debug_print_object', 'lib/debugobjects.c:509')
      .slice(1, 5)
      .concat([
        'RIP: 0010:debug_print_object+0x8d/0xb0',
        ...trace(top),
        '---[ end trace 0000000000000000 ]---',
      ]),
  ],
  // mm/util.c kvmalloc_node's WARN_ON_ONCE for huge sizes.
  kmalloc: (top) =>
    warning('kvmalloc_node', 'mm/util.c:596')
      .slice(0, 6)
      .concat([...trace(top), '---[ end trace 0000000000000000 ]---']),
  // lib/ubsan.c ubsan_prologue.
  ubsan: (top) => [
    '================================================================================',
    'UBSAN: signed-integer-overflow in drivers/misc/zdh.c:40:9',
    '2147483647 + 1 cannot be represented in type int',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    'Call Trace:',
    ' <TASK>',
    ' dump_stack_lvl+0x5b/0x77',
    ' ubsan_epilogue+0x5/0x40',
    ` ${top}+0x1a/0x40`,
    ` ${GUILTY}+0x2b/0x90`,
    ' </TASK>',
    '================================================================================',
  ],
  // kernel/locking/lockdep.c's own WARN_ONs.
  'locking-bug': (top) => warning(top, 'kernel/locking/lockdep.c:5005'),
  // lib/refcount.c refcount_warn_saturate and the 4.x checked helpers.
  refcount: (top) => warning(top, 'lib/refcount.c:28'),
  // lib/bug.c: a BUG_ON in an skb helper (include/linux/skbuff.h).
  'kernel-bug': (top) => [
    '------------[ cut here ]------------',
    'kernel BUG at net/core/skbuff.c:120!',
    'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    `RIP: 0010:${top}+0x1a/0x40`,
    ...trace(top),
    '---[ end trace 0000000000000000 ]---',
  ],
  // mm/kasan/report.c (the hardware tag-based mode traps through these on arm64).
  kasan: (top) => [
    '==================================================================',
    `BUG: KASAN: invalid-access in ${top}+0x1a/0x40`,
    'Read at addr f4ff000002a2d000 by task t/77',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    ...trace(top),
    '==================================================================',
  ],
  // mm/kmsan/report.c kmsan_report.
  kmsan: (top) => [
    '=====================================================',
    `BUG: KMSAN: uninit-value in ${top}+0x1a/0x40`,
    ` ${top}+0x1a/0x40`,
    ` ${GUILTY}+0x2b/0x90`,
    '',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    '=====================================================',
  ],
  // kernel/panic.c __stack_chk_fail, 4.x form whose symbol was not found.
  'stack-protector': (top) => [
    'Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ffffffff81a3c4f2',
    'CPU: 1 PID: 77 Comm: t Not tainted 4.19.0 #1',
    ...trace(top),
    '---[ end Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ffffffff81a3c4f2 ]---',
  ],
};

describe('kind skips', () => {
  it('has a report format for every kind', () => {
    expect(Object.keys(KIND_REPORTS).sort()).toEqual(Object.keys(KIND_SKIPS).sort());
  });
  for (const [kind, rules] of Object.entries(KIND_SKIPS)) checkRules(rules, KIND_REPORTS[kind]!, kind);
});

describe('the skip list does not swallow real code', () => {
  it.each([
    'dax_disassociate_entry',
    'dmirror_fops_release',
    'ext4_punch_hole',
    'inet_shutdown',
    'tcp_sendmsg',
    'migrate_vma_pages',
    'zone_device_page_init',
    'memunmap_pages',
    'unix_release_sock',
    'downgrade_write_zdh',
  ])('%s is a frame a title can name', (fn) => {
    expect(isGenericFrame(fn, 'warning')).toBe(false);
    expect(compileSkips(GENERIC_SKIPS).test(fn)).toBe(false);
  });
});
