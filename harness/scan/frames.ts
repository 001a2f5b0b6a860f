/**
 * Stack frames: parsing `func+0x1a/0x40 [module]` lines (raw, or already decoded with
 * file:line), and choosing the first frame that is not generic report, lock, allocator or
 * library plumbing, which is what a title names.
 */
import type { Category, Frame } from './types.ts';

// " func+0x1a/0x40", " ? func+0x1a/0x40 [mod]", " [<ffffffff81000000>] func+0x1a/0x40",
// decoded: " func+0x1a/0x40 mm/gup.c:123", " func (mm/gup.c:123)", " __dump_stack lib/dump_stack.c:88 [inline]".
const FRAME =
  /^\s*(?:\[<[0-9a-f]+>\]\s*)?(\?\s+)?([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-f]+\/0x[0-9a-f]+))?(?:\s+\[([\w-]+)(?:\s+[0-9a-f]+)?\])?(?:\s+\(?([\w./+-]+\.\w+:\d+)(?::\d+)?\)?)?(\s+\[inline\])?\s*$/;

export interface ParsedFrame extends Frame {
  /** Printed with `? `: the unwinder is not sure this is a real frame. */
  questionable: boolean;
}

/** Parses one stack line; undefined when it is not a frame. */
export function parseFrame(text: string): ParsedFrame | undefined {
  const m = FRAME.exec(text);
  if (!m) return undefined;
  const offset = m[3] ?? null;
  const source = m[5] ?? null;
  // A bare word is not a frame: a frame has an offset, or (decoded, inline) a source.
  if (offset === null && source === null) return undefined;
  return {
    function: m[2]!,
    offset,
    module: m[4] ?? null,
    source,
    ip: false,
    questionable: m[1] !== undefined,
  };
}

const RIP =
  /^(?:RIP|EIP|IP|pc) ?: ?(?:[0-9a-f]{4}:)?(?:\[<[0-9a-f]+>\] )?([A-Za-z_.$][\w.$]*\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[[\w-]+(?: [0-9a-f]+)?\])?)/;

/** The faulting instruction's frame from `RIP: 0010:func+0x1a/0x40`; undefined for user RIPs. */
export function parseRip(text: string): Frame | undefined {
  const m = RIP.exec(text);
  if (!m) return undefined;
  const f = parseFrame(` ${m[1]!}`);
  if (!f) return undefined;
  return { function: f.function, offset: f.offset, module: f.module, source: f.source, ip: true };
}

/**
 * `dax_insert_entry.isra.0` → `dax_insert_entry` (compiler clones are the same function);
 * also drops a `+0x1a/0x40` offset when one is attached.
 */
export function baseName(fn: string): string {
  const end = fn.search(/[.+]/);
  return end > 0 ? fn.slice(0, end) : fn;
}

// Names without leading underscores (isGenericFrame strips them: `____kasan_slab_free`).
// Generic everywhere: reporting, trap and fault plumbing, sanitizers, locks, printk,
// mem*/str*, list debugging, entry code.
const GENERIC_EXACT = new Set([
  'panic',
  'die',
  'die_addr',
  'oops_end',
  'oops_begin',
  'report_bug',
  'handle_bug',
  'fixup_bug',
  'do_trap',
  'do_error_trap',
  'do_int3',
  'do_int3_user',
  'exc_invalid_op',
  'exc_general_protection',
  'exc_page_fault',
  'exc_int3',
  'exc_double_fault',
  'page_fault_oops',
  'kernelmode_fixup_or_oops',
  'no_context',
  'bad_area',
  'bad_area_nosemaphore',
  'do_user_addr_fault',
  'do_kern_addr_fault',
  'handle_page_fault',
  'fixup_exception',
  'print_report',
  'print_address_description',
  'describe_object',
  'check_memory_region',
  'might_fault',
  'might_sleep',
  'might_resched',
  'lock_acquire',
  'lock_release',
  'lock_is_held_type',
  'down',
  'up',
  'up_read',
  'up_write',
  'down_read',
  'down_write',
  'down_read_trylock',
  'down_write_trylock',
  'down_read_killable',
  'down_write_killable',
  'mutex_lock',
  'mutex_unlock',
  'mutex_trylock',
  'mutex_lock_nested',
  'osq_lock',
  'osq_unlock',
  'wake_up',
  'copy_to_user',
  'copy_from_user',
  'string',
  'pointer',
  'snprintf',
  'vsnprintf',
  'scnprintf',
  'sprintf',
  'kasprintf',
  'kvasprintf',
  'dump_page',
  'dump_folio',
  'dump_mapping',
  'print_modules',
  'show_regs',
  'show_stack',
  'show_trace_log_lvl',
  'sched_show_task',
  'show_state_filter',
  'check_noncircular',
  'check_prev_add',
  'check_prevs_add',
  'validate_chain',
  'print_circular_bug',
  'print_usage_bug',
  'mark_lock',
  'schedule',
  'schedule_bug',
  'schedule_timeout',
  'schedule_preempt_disabled',
  'ret_from_fork',
  'ret_from_fork_asm',
  'kthread',
  'entry_SYSCALL_64_after_hwframe',
  'do_syscall_64',
  'do_fast_syscall_32',
  'x64_sys_call',
]);

const GENERIC_PREFIX = [
  'dump_stack',
  'warn',
  'warn_slowpath',
  'warn_alloc',
  'report_bug',
  'asm_exc_',
  'asm_sysvec_',
  'kasan_',
  'asan_',
  'kfence_',
  'kmsan_',
  'msan_',
  'ubsan_',
  'refcount_',
  'printk',
  'vprintk',
  'lockdep_',
  'lock_',
  'raw_spin_',
  'queued_spin_lock',
  'native_queued_spin_lock',
  'pv_queued_spin_lock',
  'queued_read_lock',
  'queued_write_lock',
  'raw_read_',
  'raw_write_',
  'do_raw_spin_',
  'spin_',
  'mutex_',
  'mutex_lock_',
  'rwsem_',
  'down',
  'memcpy',
  'memmove',
  'memset',
  'memcmp',
  'memchr',
  'strcmp',
  'strncmp',
  'strcpy',
  'strncpy',
  'strscpy',
  'strlcpy',
  'strlen',
  'strnlen',
  'strchr',
  'strnstr',
  'list_add',
  'list_del',
  'x64_sys_',
  'ia32_sys_',
  'do_sys_',
  'se_sys_',
  'entry_SYSCALL',
  'x86_indirect_thunk',
  'x86_return_thunk',
  'debug_object',
  'print_',
  'trace_',
  'perf_trace',
  'up_',
];

// Page reference helpers: where a refcount check fires, never where the bug is.
const PAGE_REF_HELPERS = [
  'page_ref_',
  'folio_ref_',
  'put_page',
  'get_page',
  'folio_put',
  'folio_get',
  'put_devmap_managed_page',
];

// The allocator's own checks: a Bad page state fires inside them.
const ALLOCATOR = [
  'bad_page',
  'free_page_is_bad',
  'check_free_page',
  'check_new_page',
  'check_new_pages',
  'free_pages_prepare',
  'free_pcp_prepare',
  'free_unref_page',
  'free_unref_folios',
  'free_the_page',
  'free_pages',
  'free_one_page',
  'free_compound_page',
  'destroy_large_folio',
  'folio_put_large',
  'folio_put_small',
  'release_pages',
  'folios_put',
  'free_tail_page_prepare',
  'prep_new_page',
  'post_alloc_hook',
  'rmqueue',
  'get_page_from_freelist',
  'alloc_pages',
  'folio_alloc',
  'alloc_page_interleave',
  'vma_alloc_folio',
  'page_frag_free',
  'print_bad_pte',
  'vm_normal_page',
];

// Slab allocator entry points and SLUB's own checks: where a double free is caught.
const SLAB_HELPERS = [
  'kfree',
  'kmem_cache_',
  'slab_',
  'kmalloc',
  'vfree',
  'vunmap',
  'free_debug_processing',
  'object_err',
  'on_freelist',
];

// Waiting: a hang shows the victim's wait, the frame above it is where it waits from.
const WAIT_SUBSTRINGS = [
  'schedule',
  'sched',
  'wait',
  'completion',
  'mutex',
  'rwsem',
  '_lock',
  'down',
  'synchronize',
  '__switch_to',
  'context_switch',
  'kthread',
  'percpu_ref_switch',
  'msleep',
  'io_schedule',
];

// Stalls and lockups are detected from timer interrupts; their IRQ plumbing is generic.
const INTERRUPT_PREFIX = [
  'rcu_',
  'sysvec_',
  'irq_',
  'handle_irq',
  'hrtimer_',
  'tick_',
  'update_process_times',
  'scheduler_tick',
  'watchdog_timer_fn',
  'nmi_',
  'default_do_nmi',
  'exc_nmi',
  'arch_trigger_cpumask_backtrace',
  'trigger_',
  'native_safe_halt',
  'default_idle',
  'cpu_idle',
  'do_idle',
  'cpu_startup_entry',
  'start_secondary',
  'secondary_startup',
  'run_timer_softirq',
  'do_softirq',
  'irq_exit',
  'irq_exit_rcu',
  'call_timer_fn',
  'expire_timers',
  'xas_',
  'xa_',
  'cond_resched',
  'native_',
  'delay_tsc',
  'const_udelay',
  'cpu_relax',
];

const startsWithAny = (name: string, prefixes: readonly string[]): boolean => {
  for (const p of prefixes) if (name.startsWith(p)) return true;
  return false;
};

/** True when a frame names generic plumbing that a title should look past. */
export function isGenericFrame(fn: string, category: Category): boolean {
  const name = baseName(fn);
  // `____kasan_slab_free` and `kasan_slab_free` are the same family: compare without underscores.
  const bare = name.replace(/^_+/, '');
  if (GENERIC_EXACT.has(bare) || startsWithAny(bare, GENERIC_PREFIX)) return true;
  if (startsWithAny(bare, PAGE_REF_HELPERS)) return true;
  switch (category) {
    case 'bad-page-state':
    case 'bad-page-map':
      return startsWithAny(bare, ALLOCATOR);
    case 'hung-task':
      return WAIT_SUBSTRINGS.some((s) => name.includes(s));
    case 'rcu-stall':
    case 'soft-lockup':
    case 'hard-lockup':
      return startsWithAny(bare, INTERRUPT_PREFIX);
    case 'kasan':
    case 'kfence':
    case 'bug':
      return startsWithAny(bare, SLAB_HELPERS);
    default:
      return false;
  }
}

/** The first non-generic frame's function name, without clone suffixes; '' when none. */
export function titleFrame(frames: readonly Frame[], category: Category): string {
  for (const f of frames) if (!isGenericFrame(f.function, category)) return baseName(f.function);
  return '';
}
