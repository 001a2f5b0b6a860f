/**
 * Report headers and report-body lines, as printed by Linux 6.1 (and the later forms we
 * know of). A header is matched at the start of the message text (printk prefix removed),
 * so user-space text that merely contains "BUG:" (`# BUG: foo`, `ok 3 BUG: bar`) and
 * firmware messages ("ACPI: … BUG") never match. Sources: mm/page_alloc.c bad_page,
 * mm/memory.c print_bad_pte, kernel/panic.c __warn, lib/bug.c, arch/x86/kernel/dumpstack.c,
 * arch/x86/mm/fault.c, mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c,
 * kernel/watchdog*.c, kernel/hung_task.c, kernel/rcu/tree_stall.h.
 */
import type { Category } from './types.ts';

/** How a report of this kind ends in the log. */
export type ReportEnd =
  /** `---[ end trace … ]---` (WARNING, die: Oops, GPF, invalid opcode). */
  | 'trace'
  /** A `=====` rule (KASAN, KFENCE, UBSAN). */
  | 'rule'
  /** `---[ end Kernel panic - not syncing: … ]---`. */
  | 'panic'
  /** No end line: the report ends with its stack dump (Bad page, lockups, hangs, stalls). */
  | 'stack'
  /**
   * Ends with the stack dump that follows `Call Trace:` (lockdep prints lock chains with
   * frames before its `stack backtrace:`; they do not end the report).
   */
  | 'backtrace'
  /** Ends after its list of held locks (` #0: … at: f+0x…`); lockdep prints no stack for it. */
  | 'held'
  /** The header line is the whole report (`BUG: workqueue lockup`, `BUG: Bad rss-counter state`). */
  | 'line';

/** Where a report's guilty frame comes from (see analyse.ts). */
export type Locate =
  /** The header's function, then RIP, then the stack (the default). */
  | 'stack'
  /** lockdep's `…, at: F+0x…` lines (the lock being taken, then the one held), then the stack. */
  | 'at'
  /** The first `at: F+0x…` line, named as printed (generic or not), else the stack. */
  | 'at-first'
  /** The frames after `which became …-unsafe at:` (an irq-safe → irq-unsafe lock order). */
  | 'became'
  /** The frame after `is trying to release lock` (bad unlock balance), then the stack. */
  | 'release'
  /** A stall: the frame inside the first dispatch point (frames.ts stallFrame). */
  | 'stall'
  /** The title names no frame (KCSAN names both functions in its header). */
  | 'none'
  /** The workqueue function in `last function: f` (a leaked lock or atomic), then the stack. */
  | 'last-function';

export interface Header {
  category: Category;
  /**
   * The line has an exact kernel printk format, so it is a report even without a stack
   * (then a corrupted one). A loose header (`BUG: <anything>`) only counts when
   * dump_stack()'s `CPU: N PID: N Comm:` line follows it (see LOOSE_PROOF).
   */
  strict: boolean;
  end: ReportEnd;
  /** A die() line (`Oops: 0000 [#1]`, `invalid opcode: 0000 [#1]`, …): continues a BUG header. */
  die: boolean;
  /** Header text the title needs: KASAN/KFENCE/UBSAN type, die name, panic message, BUG text. */
  detail: string;
  /** `file:line` the header names (WARNING, kernel BUG at, UBSAN), or ''. */
  site: string;
  /** The function the header names (WARNING's `%pS`, KASAN/KFENCE `in func`), or ''. */
  func: string;
  /** The title's kind (before ` in F`) when it is not the category's default, or ''. */
  title: string;
  /** A KIND_SKIPS key (skip.ts): helpers this kind of report also looks past, or ''. */
  kind: string;
  locate: Locate;
  /** The kernel prints no stack for this kind: a report without one is not corrupted. */
  stackless: boolean;
  /** The same header on the next line continues it (symbolised inline frames, see notInline). */
  continues: boolean;
}

const h = (
  category: Category,
  end: ReportEnd,
  fields: Partial<
    Pick<
      Header,
      'strict' | 'die' | 'detail' | 'site' | 'func' | 'title' | 'kind' | 'locate' | 'stackless' | 'continues'
    >
  > = {},
): Header => ({
  category,
  end,
  strict: fields.strict ?? true,
  die: fields.die ?? false,
  detail: fields.detail ?? '',
  site: fields.site ?? '',
  func: fields.func ?? '',
  title: fields.title ?? '',
  kind: fields.kind ?? '',
  locate: fields.locate ?? 'stack',
  stackless: fields.stackless ?? false,
  continues: fields.continues ?? false,
});

/** Cheap first test: every header starts with one of these. */
export const HEADER_START =
  /^(?:BUG[: ]|WARNING: |kernel BUG |Kernel BUG |INFO: |\[ (?:INFO|BUG): |rcu: INFO: |unreferenced object |kmemleak: unreferenced object |kernel stack overflow|watchdog: BUG: |NMI watchdog: |Watchdog detected |Oops|general protection|segment-related|invalid opcode|divide error|stack segment|double fault|int3|bounds|overflow|invalid TSS|segment not present|alignment check|coprocessor segment|divide_error|Kernel panic - not syncing|UBSAN: |Unable to handle kernel |PANIC: double fault|Internal error: |unregister_netdevice: waiting|VFS: (?:Busy inodes|Close: file count))/;

const BAD_PAGE = /^BUG: Bad page state in process (.*?) {2}pfn:([0-9a-f]+)/;
const BAD_MAP = /^BUG: Bad page map in process (.*?) {2}pte:[0-9a-f]+ pmd:[0-9a-f]+/;
const KASAN = /^BUG: KASAN: ([\w-]+(?: or [\w-]+)?)(?: in (\S+)(.*))?/;
const KFENCE = /^BUG: KFENCE: ([\w -]+?) in (\S+)/;
const NULL_DEREF =
  /^BUG: (?:kernel NULL pointer dereference, address|unable to handle kernel NULL pointer dereference at)/;
const PAGE_FAULT = /^BUG: unable to handle (?:page fault for address|kernel paging request at)/;
const SOFT_LOCKUP = /^(?:watchdog: )?BUG: soft lockup - CPU#\d+ stuck for \d+s!/;
const SUPPRESSED = /^BUG: .* messages suppressed/;
const NOT_A_REPORT =
  /^(?:BUG: no syscalls can create resource|WARNING: (?:\/etc\/ssh\/moduli does not exist|workqueue cpumask: online intersect|[Tt]he mand mount option|Unsupported flag value|Unprivileged eBPF is enabled|fbcon: Driver '|See https|kernel not compiled with CPU_SRSO))/;
const SLUB = /^BUG ([\w-]+) \((?:Not tainted|Tainted: [^)]*)\): (.+)$/;
const BUG_ANY = /^BUG: (.+)$/;
const KERNEL_BUG = /^kernel BUG at (\S+?:\d+)!/;
const KERNEL_BUG_NOINFO = /^Kernel BUG at (\S+)/;
// 6.1: "WARNING: CPU: %d PID: %d at %s:%d %pS" or "… at %pS"; later: "WARNING: %s:%d at %pS, CPU#%d: …".
const WARNING = /^WARNING: CPU: \d+ (?:UID: \d+ )?PID: \d+ at (?:(\S+?:\d+) )?(\S+)/;
// 6.19+: `WARNING: %s:%d at %pS, CPU#%d: %s/%d` (also without the CPU, or `[…] ` before the file).
const WARNING_NEW = /^WARNING: (?:\[[^\]]*\] )?(\S+?\.\w+:\d+) at ([^\s,]+)/;
const WARNING_ANY = /^WARNING: (.+)$/;
const HUNG = /^INFO: task .+:\d+ blocked for more than \d+ seconds\./;
// syzkaller's kernels (kernel/hung_task.c patched): a killed task that does not exit.
const CANT_DIE = /^INFO: task .+:\d+ can't die for more than \d+ seconds\./;
const RCU = /^(?:rcu: )?INFO: \w+ (?:self-)?detected (?:expedited )?stalls?/;
const HARD_LOCKUP = /^(?:NMI watchdog: )?Watchdog detected hard LOCKUP on cpu \d+/;
const DIE =
  /^(?:Oops: )?(Oops|(?:segment-related )?general protection fault[^:]*|invalid opcode|divide error|stack segment|double fault|int3|bounds|overflow|invalid TSS|segment not present|alignment check|coprocessor segment overrun|divide_error|kernel stack overflow \((?:double-fault|page fault)\)): [0-9a-f]{4} \[#\d+\]/;
const DOUBLE_FAULT = /^PANIC: double fault/;
const PANIC = /^Kernel panic - not syncing: ?(.*)$/;
const UBSAN = /^UBSAN: ([\w -]+?) in (\S+)/;
const ARM64_FAULT =
  /^Unable to handle kernel (NULL pointer dereference|paging request|access to user memory)(?: at virtual address)?/;
// arch/arm64/kernel/traps.c die(): `Internal error: %s: %016lx [#%d] …`.
const ARM64_DIE = /^Internal error: .*: [0-9a-f]+ \[#\d+\]/;
// net/core/dev.c netdev_wait_allrefs: a device whose references never drop.
const NETDEV_WAIT = /^unregister_netdevice: waiting for \S+ to become free/;
// fs/super.c generic_shutdown_super and the 4.x file-count check.
const VFS_BUSY = /^VFS: Busy inodes after unmount/;
const VFS_CLOSE = /^VFS: Close: file count is 0/;
// mm/filemap.c unaccount_page_cache_page.
const BAD_PAGE_CACHE = /^BUG: Bad page cache in process /;

// kernel/locking/lockdep.c. 4.14+ prints `WARNING: …` (some `BUG: …`) under a ===== rule;
// 4.9–4.13 printed `[ INFO: … ]` / `[ BUG: … ]`, and some `INFO: …`.
const LOCKDEP =
  /^(?:\[ )?(?:WARNING|INFO|BUG): (possible circular locking dependency detected|possible recursive locking detected|possible irq lock inversion dependency detected|(?:SOFT|HARD)IRQ-safe -> (?:SOFT|HARD)IRQ-unsafe lock order detected|inconsistent lock state|suspicious RCU usage|held lock freed!|bad unlock balance detected!|lock held when returning to user space!|.+\/-?\d+ still has locks held!|Invalid wait context)/;
/** Another lockdep header in the 4.x bracketed form (`[ BUG: MAX_LOCKDEP_KEYS too low! ]`, …). */
const LOCKDEP_BRACKETED = /^\[ (?:BUG|INFO): (.+?)\.? \]\s*$/;
// Where each names its guilty frame follows syzkaller's lockdep formats.
const LOCKDEP_KINDS: readonly (readonly [RegExp, string, Locate, string, ReportEnd])[] = [
  // print_circular_bug_header: the lock being taken, then the one held, then the stack
  [/^possible circular/, 'possible deadlock', 'at', 'lockdep', 'backtrace'],
  // print_deadlock_bug, print_irq_inversion_bug: the lock as printed
  [/^possible (?:recursive|irq)/, 'possible deadlock', 'at-first', '', 'backtrace'],
  // print_bad_irq_dependency: where the lock became irq-unsafe
  [/IRQ-safe/, 'possible deadlock', 'became', '', 'backtrace'],
  // print_usage_bug (4.x `INFO:` form: the lock as printed; later: the stack)
  [/^inconsistent/, 'inconsistent lock state', 'stack', '', 'backtrace'],
  // kernel/rcu/update.c (4.x: kernel/locking/lockdep.c) lockdep_rcu_suspicious
  [/^suspicious RCU/, 'WARNING: suspicious RCU usage', 'stack', 'rcu', 'backtrace'],
  // print_freed_lock_bug
  [/^held lock freed/, 'WARNING: held lock freed', 'at-first', '', 'backtrace'],
  // print_unlock_imbalance_bug
  // print_unlock_imbalance_bug: the unlock site is named as printed (release_sock included)
  [/^bad unlock balance/, 'WARNING: bad unlock balance', 'release', '', 'backtrace'],
  // lockdep_sys_exit: the held locks, no stack
  [/^lock held when returning/, 'WARNING: lock held when returning to user space', 'at-first', '', 'held'],
  // debug_check_no_locks_held / print_held_locks_bug
  [/still has locks held/, 'BUG: still has locks held', 'at-first', '', 'backtrace'],
  // check_wait_context / print_lock_invalid_wait_context (5.7+)
  [/^Invalid wait context/, 'BUG: Invalid wait context', 'stack', 'locking-bug', 'backtrace'],
];
function lockdep(what: string, old = false): Header {
  for (const [re, title, locate, kind, end] of LOCKDEP_KINDS) {
    if (!re.test(what)) continue;
    // 4.x `INFO: inconsistent lock state` reports were named after the lock as printed.
    const at = old && title === 'inconsistent lock state' ? 'at-first' : locate;
    return h('lockdep', end, { title, locate: at, kind, stackless: end === 'held', detail: what });
  }
  return h('lockdep', 'backtrace', { title: `WARNING: ${what}`, detail: what });
}
// kernel/locking/lockdep.c register_lock_class / assign_lock_key.
const NON_STATIC_KEY = /^INFO: trying to register non-static key\./;
// mm/kmsan/report.c kmsan_report: `BUG: KMSAN: %s in %pSr`.
const KMSAN = /^BUG: KMSAN: ([\w-]+) in (\S+)(.*)/;
// kernel/kcsan/report.c print_report: `BUG: KCSAN: %s in %ps / %ps` (or `… in %pS`).
const KCSAN = /^BUG: KCSAN: (.+)$/;
// mm/kmemleak.c print_unreferenced (`kmemleak: ` when printed to the log by the scan thread).
const KMEMLEAK = /^(?:kmemleak: )?unreferenced object 0x[0-9a-f]+ \(size \d+\):/;
// kernel/sched/core.c __might_resched / ___might_sleep, __schedule_bug.
const MIGHT_SLEEP = /^BUG: sleeping function called from invalid context at /;
const ATOMIC_SCHEDULE = /^BUG: scheduling while atomic: /;
// lib/smp_processor_id.c check_preemption_disabled: `BUG: using %s%s() in preemptible [%08x] code: %s/%d`.
const PREEMPTIBLE = /^BUG: using ((?:__)?this_cpu_\w+|smp_processor_id)\(\) in preemptible /;
// kernel/workqueue.c wq_watchdog_timer_fn.
const WQ_LOCKUP = /^BUG: workqueue lockup - /;
// kernel/workqueue.c process_one_work: then `    last function: %ps`.
const WQ_LEAK = /^BUG: workqueue leaked (?:lock or atomic|atomic, lock or RCU): /;
// arch/x86/kernel/unwind_frame.c bad-stack warnings: no stack of their own.
const BAD_STACK = /^WARNING: kernel stack (regs|frame pointer) at [0-9a-f]+ in \S+ has bad /;
// arch/x86/mm/fault.c (4.x–5.x) / arch/x86/kernel/traps.c handle_stack_overflow: then a die().
const GUARD_PAGE = /^BUG: stack guard page was hit at /;
// kernel/locking/spinlock_debug.c spin_dump / spin_bug.
const SPINLOCK =
  /^BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP) on CPU#\d+/;
// kernel/fork.c check_mm: `BUG: Bad rss-counter state mm:%p type:%s val:%ld`.
const RSS_COUNTER = /^BUG: Bad rss-counter state /;
const NONZERO_MM = /^BUG: non-zero (pgtables_bytes|nr_ptes|nr_pmds) on freeing mm/;
// fs/dcache.c umount_check.
const DENTRY_IN_USE = /^BUG: Dentry .* still in use \(-?\d+\) \[unmount of (\S+)/;
// kernel/panic.c __stack_chk_fail: `stack-protector: Kernel stack is corrupted in: %pB`.
const STACK_PROTECTOR = /^stack-protector: Kernel stack is corrupted in: (\S+)/;
const STACK_END = /^corrupted stack end detected inside scheduler/;

/** The title kind of a WARNING, from the file it fires in (syzkaller's per-file WARNING titles). */
function warningKind(site: string, func: string): Pick<Header, 'title' | 'kind'> {
  const file = site.replace(/:\d+$/, '');
  if (file === 'lib/refcount.c') return { title: 'WARNING: refcount bug', kind: 'refcount' };
  if (file === 'lib/debugobjects.c') return { title: 'WARNING: ODEBUG bug', kind: 'odebug' };
  if (file === 'mm/usercopy.c') return { title: 'WARNING: bad usercopy', kind: 'usercopy' };
  if (file === 'kernel/locking/lockdep.c') return { title: 'WARNING: locking bug', kind: 'locking-bug' };
  if (/^mm\/.*\.c$/.test(file) && /malloc/.test(func))
    return { title: 'WARNING: kmalloc bug', kind: 'kmalloc' };
  return { title: '', kind: '' };
}

function kernelBug(site: string): Header {
  const file = site.replace(/:\d+$/, '');
  if (file === 'mm/usercopy.c')
    return h('kernel-bug', 'trace', { site, title: 'BUG: bad usercopy', kind: 'usercopy' });
  if (file === 'lib/list_debug.c') return h('kernel-bug', 'trace', { site, title: 'BUG: corrupted list' });
  return h('kernel-bug', 'trace', { site, kind: 'kernel-bug' });
}

function panic(message: string): Header {
  const sp = STACK_PROTECTOR.exec(message);
  if (sp !== null) {
    // 4.x prints a raw address when the symbol is unknown: then the stack names the function.
    const func = /^(?:0x)?[0-9a-f]+$/.test(sp[1]!) ? '' : sp[1]!;
    return h('panic', 'panic', {
      detail: message,
      title: 'kernel panic: stack is corrupted',
      func,
      kind: 'stack-protector',
    });
  }
  if (/^kernel stack overflow/.test(message)) {
    return h('panic', 'panic', { detail: message, title: 'kernel stack overflow', locate: 'stall' });
  }
  if (STACK_END.test(message)) {
    return h('panic', 'panic', {
      detail: message,
      title: 'kernel panic: corrupted stack end',
      locate: 'stall',
    });
  }
  return h('panic', 'panic', { detail: message });
}

/**
 * A symbolised KASAN/KMSAN header names inlined functions first, one header line each
 * (`BUG: KASAN: use-after-free in list_del include/linux/list.h:125 [inline]`); the title
 * names the function they were inlined into, on the last of those lines.
 */
const notInline = (func: string, rest: string | undefined): string =>
  rest !== undefined && /\[inline\]\s*$/.test(rest) ? '' : func;

const dieCategory = (name: string): Category =>
  name.includes('general protection fault') ? 'gpf' : name === 'invalid opcode' ? 'invalid-opcode' : 'oops';

/** Header rules in order; a rule that returns undefined says "not a report" and stops the search. */
const RULES: readonly (readonly [RegExp, (m: RegExpExecArray) => Header | undefined])[] = [
  [BAD_PAGE, (m) => h('bad-page-state', 'stack', { detail: m[2]! })],
  [BAD_MAP, () => h('bad-page-map', 'stack')],
  [
    KASAN,
    (m) =>
      h('kasan', 'rule', {
        detail: m[1]!,
        func: notInline(m[2] ?? '', m[3]),
        continues: true,
        kind: 'kasan',
      }),
  ],
  [
    KMSAN,
    (m) =>
      h('kmsan', 'rule', { detail: m[1]!, func: notInline(m[2]!, m[3]), continues: true, kind: 'kmsan' }),
  ],
  [KCSAN, (m) => h('kcsan', 'rule', { detail: m[1]!, locate: 'none', stackless: true })],
  [LOCKDEP, (m) => lockdep(m[1]!, !m[0].includes('WARNING: '))],
  [
    NON_STATIC_KEY,
    () =>
      h('lockdep', 'backtrace', { title: 'INFO: trying to register non-static key', kind: 'non-static-key' }),
  ],
  [KMEMLEAK, () => h('kmemleak', 'stack', { title: 'memory leak' })],
  [MIGHT_SLEEP, () => h('bug', 'stack', { title: 'BUG: sleeping function called from invalid context' })],
  [
    ATOMIC_SCHEDULE,
    () => h('bug', 'stack', { title: 'BUG: scheduling while atomic', kind: 'scheduling-while-atomic' }),
  ],
  [
    PREEMPTIBLE,
    (m) => h('bug', 'stack', { title: `BUG: using ${m[1]!}() in preemptible code`, kind: 'preempt' }),
  ],
  [WQ_LOCKUP, () => h('bug', 'line', { title: 'BUG: workqueue lockup', locate: 'none', stackless: true })],
  [
    WQ_LEAK,
    () =>
      h('bug', 'stack', {
        title: 'BUG: workqueue leaked lock or atomic',
        locate: 'last-function',
        stackless: true,
      }),
  ],
  [
    BAD_STACK,
    (m) =>
      h('warning', 'line', {
        title: `WARNING: kernel stack ${m[1]!} has bad value`,
        locate: 'none',
        stackless: true,
      }),
  ],
  [LOCKDEP_BRACKETED, (m) => lockdep(m[1]!, true)],
  [GUARD_PAGE, () => h('bug', 'trace', { title: 'BUG: stack guard page was hit', locate: 'stall' })],
  [SPINLOCK, (m) => h('bug', 'stack', { title: `BUG: ${m[1]!} ${m[2]!}`, kind: 'spinlock' })],
  [BAD_PAGE_CACHE, () => h('bug', 'stack', { title: 'BUG: Bad page cache' })],
  [
    RSS_COUNTER,
    () => h('bug', 'line', { title: 'BUG: Bad rss-counter state', locate: 'none', stackless: true }),
  ],
  [
    NONZERO_MM,
    (m) =>
      h('bug', 'line', { title: `BUG: non-zero ${m[1]!} on freeing mm`, locate: 'none', stackless: true }),
  ],
  [
    DENTRY_IN_USE,
    (m) => h('bug', 'stack', { title: `BUG: Dentry still in use [unmount of ${m[1]!}]`, locate: 'none' }),
  ],
  [KFENCE, (m) => h('kfence', 'rule', { detail: m[1]!, func: m[2]! })],
  [NULL_DEREF, () => h('null-deref', 'trace')],
  [PAGE_FAULT, () => h('page-fault', 'trace')],
  [SLUB, (m) => h('bug', 'stack', { detail: `${m[2]!} (${m[1]!})` })],
  // "BUG: Bad page state: N messages suppressed" is a rate-limit notice, not a report.
  [SUPPRESSED, () => undefined],
  // Informational lines in a report's words (syzkaller's ignore lists).
  [NOT_A_REPORT, () => undefined],
  [SOFT_LOCKUP, () => h('soft-lockup', 'stack', { locate: 'stall' })],
  // "scheduling while atomic: comm/pid/0x…": the task is not part of the bug.
  [
    BUG_ANY,
    (m) => h('bug', 'stack', { strict: false, detail: m[1]!.replace(/: \S+\/\d+\/0x[0-9a-f]+$/, '') }),
  ],
  [
    WARNING,
    (m) => h('warning', 'trace', { site: m[1] ?? '', func: m[2]!, ...warningKind(m[1] ?? '', m[2]!) }),
  ],
  [
    WARNING_NEW,
    (m) => {
      const func = m[2]!.startsWith('0x') ? '' : m[2]!;
      return h('warning', 'trace', { site: m[1]!, func, ...warningKind(m[1]!, func) });
    },
  ],
  [WARNING_ANY, (m) => h('warning', 'stack', { strict: false, detail: m[1]! })],
  [KERNEL_BUG, (m) => kernelBug(m[1]!)],
  [KERNEL_BUG_NOINFO, (m) => h('kernel-bug', 'trace', { detail: m[1]! })],
  [HUNG, () => h('hung-task', 'stack')],
  [CANT_DIE, () => h('hung-task', 'stack', { title: "INFO: task can't die" })],
  [RCU, () => h('rcu-stall', 'stack', { locate: 'stall' })],
  [HARD_LOCKUP, () => h('hard-lockup', 'stack')],
  [PANIC, (m) => panic(m[1]!)],
  [UBSAN, (m) => h('ubsan', 'rule', { detail: m[1]!, site: m[2]!, kind: 'ubsan' })],
  [
    DIE,
    (m) =>
      h(dieCategory(m[1]!), 'trace', {
        die: true,
        detail: m[1]!.startsWith('general protection') ? '' : m[1]!,
        title: m[1] === 'stack segment' ? 'stack segment fault' : '',
      }),
  ],
  [DOUBLE_FAULT, () => h('oops', 'trace', { detail: 'double fault', title: 'PANIC: double fault' })],
  [ARM64_FAULT, (m) => h(m[1] === 'NULL pointer dereference' ? 'null-deref' : 'page-fault', 'trace')],
  [ARM64_DIE, () => h('oops', 'trace', { die: true, detail: 'Internal error', title: 'Internal error' })],
  [
    NETDEV_WAIT,
    () =>
      h('bug', 'line', {
        title: 'unregister_netdevice: waiting for DEV to become free',
        locate: 'none',
        stackless: true,
      }),
  ],
  [
    VFS_BUSY,
    () =>
      h('bug', 'line', {
        title: 'VFS: Busy inodes after unmount (use-after-free)',
        locate: 'none',
        stackless: true,
      }),
  ],
  [
    VFS_CLOSE,
    () =>
      h('bug', 'line', {
        title: 'VFS: Close: file count is zero (use-after-free)',
        locate: 'none',
        stackless: true,
      }),
  ],
];

/** Matches a report header at the start of a message; undefined for every other line. */
export function matchHeader(text: string): Header | undefined {
  if (!HEADER_START.test(text)) return undefined;
  for (const [re, build] of RULES) {
    const m = re.exec(text);
    if (m !== null) return build(m);
  }
  return undefined;
}

/**
 * dump_stack()'s first line (lib/dump_stack.c; 6.11+ adds UID): a loose header needs it to
 * count, so text echoed into the kernel log by user space is not a report.
 */
export const LOOSE_PROOF = /^CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: /;

/**
 * Lines that belong to a report after its stack has started: frames and other indented
 * lines, stack section markers, registers, and the trailers the kernel prints.
 */
export const BODY =
  /^(?:\s|<\/?[A-Z#]\w*>|[A-Z][A-Z0-9]{1,4}: |Code: |Call [Tt]race:|Modules linked in:|Hardware name:|CPU: \d|Workqueue:|irq event stamp:|(?:hard|soft)irqs last|Kernel Offset:|Dumping ftrace|task:|Sending NMI|NMI backtrace|Disabling lock debugging|Rebooting in|Showing all locks|\d+ locks? held by|rcu: |---\[ end|Task dump|RCU |page|head:|memcg:|aops:|raw:|flags:|anon flags|ksm flags|note: |INFO: lockdep|Kernel panic|kmemleak: |backtrace|stack backtrace:)/;

export const END_TRACE = /^---\[ end trace /;
export const END_PANIC = /^---\[ end Kernel panic/;
export const RULE = /^={20,}\s*$/;
export const CUT_HERE = /^-{6,}\[ cut here \]-{6,}\s*$/;
/** dump_page()'s first line: 6.1 `page:%p refcount:`, 6.10+ `page: refcount:`, older `count:`. */
export const PAGE_DUMP_START = /^page:(?:\S*\s+(?:ref)?count:|\S+ is uninitialized and poisoned)/;
export const VM_CHECK_REASON = /^page dumped because: (VM_(BUG|WARN)_ON\w*_(?:PAGE|FOLIO)\(.*\))\s*$/;
export const REFCOUNT_T = /^refcount_t: (.+?)\.?\s*$/;
/**
 * x86's fast refcount_t (4.13–5.4, without REFCOUNT_FULL): kernel/panic.c
 * refcount_error_report, `refcount_t %s at %pB in %s[%d], uid/euid: %u/%u` (a WARN whose
 * site is refcount_error_report itself): the function at %pB is the guilty one.
 */
export const REFCOUNT_T_AT = /^refcount_t ([a-z][a-z ]*?) at (\S+)(?: \[\w+\])? in \S+\[\d+\]/;
export const PERCPU_REF = /^percpu ref \((.*?)\) <= 0 \(-?\d+\) after switching to atomic/;
export const NMI_BACKTRACE = /^NMI backtrace for cpu \d+\s*$/;

/**
 * Panic messages that are the consequence of a report printed just before (panic_on_oops,
 * panic_on_warn, hung_task_panic, softlockup_panic, hardlockup_panic): not a new bug.
 */
export const CONSEQUENTIAL_PANIC =
  /^(?:Fatal exception|(?:[\w-]+: )?panic_on_warn set|panic_on_oops|hung_task: blocked tasks|softlockup: hung tasks|Hard LOCKUP|Fatal hardware error|RCU Stall|kasan\.fault=panic set|kfence\.fault=panic set)/;
