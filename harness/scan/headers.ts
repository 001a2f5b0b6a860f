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
  | 'stack';

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
}

const h = (
  category: Category,
  end: ReportEnd,
  fields: Partial<Pick<Header, 'strict' | 'die' | 'detail' | 'site' | 'func'>> = {},
): Header => ({
  category,
  end,
  strict: fields.strict ?? true,
  die: fields.die ?? false,
  detail: fields.detail ?? '',
  site: fields.site ?? '',
  func: fields.func ?? '',
});

/** Cheap first test: every header starts with one of these. */
export const HEADER_START =
  /^(?:BUG[: ]|WARNING: |kernel BUG |Kernel BUG |INFO: task |INFO: rcu|rcu: INFO: |watchdog: BUG: |NMI watchdog: |Watchdog detected |Oops|general protection|segment-related|invalid opcode|divide error|stack segment|double fault|int3|bounds|overflow|invalid TSS|segment not present|alignment check|coprocessor segment|Kernel panic - not syncing|UBSAN: |Unable to handle kernel |PANIC: double fault)/;

const BAD_PAGE = /^BUG: Bad page state in process (.*?) {2}pfn:([0-9a-f]+)/;
const BAD_MAP = /^BUG: Bad page map in process (.*?) {2}pte:[0-9a-f]+ pmd:[0-9a-f]+/;
const KASAN = /^BUG: KASAN: ([\w-]+(?: or [\w-]+)?)(?: in (\S+))?/;
const KFENCE = /^BUG: KFENCE: ([\w -]+?) in (\S+)/;
const NULL_DEREF =
  /^BUG: (?:kernel NULL pointer dereference, address|unable to handle kernel NULL pointer dereference at)/;
const PAGE_FAULT = /^BUG: unable to handle (?:page fault for address|kernel paging request at)/;
const SOFT_LOCKUP = /^(?:watchdog: )?BUG: soft lockup - CPU#\d+ stuck for \d+s!/;
const SUPPRESSED = /^BUG: .* messages suppressed/;
const SLUB = /^BUG ([\w-]+) \((?:Not tainted|Tainted: [^)]*)\): (.+)$/;
const BUG_ANY = /^BUG: (.+)$/;
const KERNEL_BUG = /^kernel BUG at (\S+?:\d+)!/;
const KERNEL_BUG_NOINFO = /^Kernel BUG at (\S+)/;
// 6.1: "WARNING: CPU: %d PID: %d at %s:%d %pS" or "… at %pS"; later: "WARNING: %s:%d at %pS, CPU#%d: …".
const WARNING = /^WARNING: CPU: \d+ PID: \d+ at (?:(\S+?:\d+) )?(\S+)/;
const WARNING_NEW = /^WARNING: (\S+?:\d+) at ([^\s,]+), CPU#\d+/;
const WARNING_ANY = /^WARNING: (.+)$/;
const HUNG = /^INFO: task .+:\d+ blocked for more than \d+ seconds\./;
const RCU = /^(?:rcu: )?INFO: \w+ (?:self-)?detected (?:expedited )?stalls?/;
const HARD_LOCKUP = /^(?:NMI watchdog: )?Watchdog detected hard LOCKUP on cpu \d+/;
const DIE =
  /^(?:Oops: )?(Oops|(?:segment-related )?general protection fault[^:]*|invalid opcode|divide error|stack segment|double fault|int3|bounds|overflow|invalid TSS|segment not present|alignment check|coprocessor segment overrun): [0-9a-f]{4} \[#\d+\]/;
const DOUBLE_FAULT = /^PANIC: double fault/;
const PANIC = /^Kernel panic - not syncing: ?(.*)$/;
const UBSAN = /^UBSAN: ([\w -]+?) in (\S+)/;
const ARM64_FAULT = /^Unable to handle kernel (NULL pointer dereference|paging request) at virtual address/;

const dieCategory = (name: string): Category =>
  name.includes('general protection fault') ? 'gpf' : name === 'invalid opcode' ? 'invalid-opcode' : 'oops';

/** Header rules in order; a rule that returns undefined says "not a report" and stops the search. */
const RULES: readonly (readonly [RegExp, (m: RegExpExecArray) => Header | undefined])[] = [
  [BAD_PAGE, (m) => h('bad-page-state', 'stack', { detail: m[2]! })],
  [BAD_MAP, () => h('bad-page-map', 'stack')],
  [KASAN, (m) => h('kasan', 'rule', { detail: m[1]!, func: m[2] ?? '' })],
  [KFENCE, (m) => h('kfence', 'rule', { detail: m[1]!, func: m[2]! })],
  [NULL_DEREF, () => h('null-deref', 'trace')],
  [PAGE_FAULT, () => h('page-fault', 'trace')],
  [SLUB, (m) => h('bug', 'stack', { detail: `${m[2]!} (${m[1]!})` })],
  // "BUG: Bad page state: N messages suppressed" is a rate-limit notice, not a report.
  [SUPPRESSED, () => undefined],
  [SOFT_LOCKUP, () => h('soft-lockup', 'stack')],
  // "scheduling while atomic: comm/pid/0x…": the task is not part of the bug.
  [
    BUG_ANY,
    (m) => h('bug', 'stack', { strict: false, detail: m[1]!.replace(/: \S+\/\d+\/0x[0-9a-f]+$/, '') }),
  ],
  [WARNING, (m) => h('warning', 'trace', { site: m[1] ?? '', func: m[2]! })],
  [WARNING_NEW, (m) => h('warning', 'trace', { site: m[1]!, func: m[2]! })],
  [WARNING_ANY, (m) => h('warning', 'stack', { strict: false, detail: m[1]! })],
  [KERNEL_BUG, (m) => h('kernel-bug', 'trace', { site: m[1]! })],
  [KERNEL_BUG_NOINFO, (m) => h('kernel-bug', 'trace', { detail: m[1]! })],
  [HUNG, () => h('hung-task', 'stack')],
  [RCU, () => h('rcu-stall', 'stack')],
  [HARD_LOCKUP, () => h('hard-lockup', 'stack')],
  [PANIC, (m) => h('panic', 'panic', { detail: m[1]! })],
  [UBSAN, (m) => h('ubsan', 'rule', { detail: m[1]!, site: m[2]! })],
  [
    DIE,
    (m) =>
      h(dieCategory(m[1]!), 'trace', {
        die: true,
        detail: m[1]!.startsWith('general protection') ? '' : m[1]!,
      }),
  ],
  [DOUBLE_FAULT, () => h('oops', 'trace', { detail: 'double fault' })],
  [ARM64_FAULT, (m) => h(m[1] === 'paging request' ? 'page-fault' : 'null-deref', 'trace')],
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
  /^(?:\s|<\/?[A-Z#]\w*>|[A-Z][A-Z0-9]{1,4}: |Code: |Call Trace:|Modules linked in:|Hardware name:|CPU: \d|Workqueue:|irq event stamp:|(?:hard|soft)irqs last|Kernel Offset:|Dumping ftrace|task:|Sending NMI|NMI backtrace|Disabling lock debugging|Rebooting in|Showing all locks|\d+ locks? held by|rcu: |---\[ end|Task dump|RCU |page|head:|memcg:|aops:|raw:|flags:|anon flags|ksm flags|note: |INFO: lockdep|Kernel panic)/;

export const END_TRACE = /^---\[ end trace /;
export const END_PANIC = /^---\[ end Kernel panic/;
export const RULE = /^={20,}\s*$/;
export const CUT_HERE = /^-{6,}\[ cut here \]-{6,}\s*$/;
/** dump_page()'s first line: 6.1 `page:%p refcount:`, 6.10+ `page: refcount:`, older `count:`. */
export const PAGE_DUMP_START = /^page:(?:\S*\s+(?:ref)?count:|\S+ is uninitialized and poisoned)/;
export const PAGE_DUMP_REASON = /^page dumped because: (.*)$/;
export const VM_CHECK_REASON = /^page dumped because: (VM_(BUG|WARN)_ON\w*_(?:PAGE|FOLIO)\(.*\))\s*$/;
export const REFCOUNT_T = /^refcount_t: (.+?)\.?\s*$/;
export const PERCPU_REF = /^percpu ref \((.*?)\) <= 0 \(-?\d+\) after switching to atomic/;
export const NMI_BACKTRACE = /^NMI backtrace for cpu \d+\s*$/;

/**
 * Panic messages that are the consequence of a report printed just before (panic_on_oops,
 * panic_on_warn, hung_task_panic, softlockup_panic, hardlockup_panic): not a new bug.
 */
export const CONSEQUENTIAL_PANIC =
  /^(?:Fatal exception|panic_on_warn set|panic_on_oops|hung_task: blocked tasks|softlockup: hung tasks|Hard LOCKUP|Fatal hardware error|kernel: panic_on_warn set)/;
