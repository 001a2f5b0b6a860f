/**
 * The frames a title looks past: reporting and generic machinery that sits on top of a
 * stack but is never where the bug is. Kept as data, one rule per helper family, each with
 * a sample name that test/unit/scan/skip.test.ts puts on top of a stack to check that the
 * title names the next frame.
 *
 * A rule is a regular expression tested against the frame's function without its clone
 * suffix (`foo.isra.0` → `foo`). Unanchored rules match anywhere in the name, the way
 * syzkaller's skip list (pkg/report/linux.go, linuxStackParams.skipPatterns) does:
 * `kasan` covers `kasan_report`, `__kasan_check_read` and `____kasan_slab_free`.
 */

export interface SkipRule {
  /** Regular expression source, tested against the function's base name. */
  pattern: string;
  /** A real kernel function this rule exists for. */
  sample: string;
}

const r = (pattern: string, sample: string): SkipRule => ({ pattern, sample });

/** Skipped in every report. */
export const GENERIC_SKIPS: readonly SkipRule[] = [
  // Sanitizer runtimes and their instrumentation hooks.
  r('^__sanitizer', '__sanitizer_cov_trace_pc'),
  r('__asan', '__asan_report_load8_noabort'),
  r('kasan', 'kasan_report'),
  r('hwasan', '__hwasan_load8_noabort'),
  r('__msan', '__msan_warning'),
  r('kmsan', 'kmsan_report'),
  r('^kcsan_', 'kcsan_setup_watchpoint'),
  r('kfence', 'kfence_report_error'),
  r('ubsan', '__ubsan_handle_shift_out_of_bounds'),
  r('check_memory_region', 'check_memory_region'),
  r('check_object', 'check_object'),
  r('(?:read|write)_once_.*nocheck', 'read_once_word_at_a_time_nocheck'),
  r('read_word_at_a_time', 'read_word_at_a_time'),
  r('^print_address_description', 'print_address_description'),
  r('^print_report$', 'print_report'),
  r('^describe_object', 'describe_object'),
  // Reporting: WARN/BUG, panic, stack dumps.
  r('panic', 'panic'),
  r('^__warn', '__warn'),
  r('warn_slowpath', 'warn_slowpath_null'),
  r('warn_alloc', 'warn_alloc'),
  r('warn_bogus', 'warn_bogus_irq_restore'),
  r('report_bug', 'report_bug'),
  r('fixup_bug', 'fixup_bug'),
  r('^handle_bug$', 'handle_bug'),
  r('dump_stack', 'dump_stack_lvl'),
  r('show_stack', 'show_stack'),
  r('walk_stack', 'walk_stackframe'),
  r('dump_backtrace', 'dump_backtrace'),
  r('^show_regs$', 'show_regs'),
  r('^show_trace', 'show_trace_log_lvl'),
  r('^sched_show_task$', 'sched_show_task'),
  r('^show_state_filter$', 'show_state_filter'),
  r('^print_modules$', 'print_modules'),
  r('^_*dump_(?:page|folio|mapping)$', 'dump_page'),
  r('^print_', 'print_usage_bug'),
  // Trap and fault plumbing (x86 traps.c and mm/fault.c, 4.x and later names).
  r('invalid_op', 'do_invalid_op'),
  r('do_error', 'do_error_trap'),
  r('_trap$|^do_trap', 'do_trap'),
  r('^exc_', 'exc_page_fault'),
  r('^asm_(?:exc|sysvec)_', 'asm_exc_invalid_op'),
  r('^_*die(?:_addr|_body)?$', 'die'),
  r('^oops_(?:begin|end)$', 'oops_end'),
  r('^page_fault_oops$', 'page_fault_oops'),
  r('^kernelmode_fixup_or_oops$', 'kernelmode_fixup_or_oops'),
  r('^no_context$', 'no_context'),
  r('^_*bad_area', '__bad_area_nosemaphore'),
  r('^do_(?:user|kern)_addr_fault$', 'do_user_addr_fault'),
  r('^_*do_page_fault$', '__do_page_fault'),
  r('^(?:async_)?page_fault$', 'page_fault'),
  r('^handle_page_fault$', 'handle_page_fault'),
  r('^fixup_exception$', 'fixup_exception'),
  r('^ex_handler_', 'ex_handler_refcount'),
  r('^_*do_general_protection$|^general_protection$', 'do_general_protection'),
  // Debug checks that fire on the caller's behalf.
  r('debug_object', 'debug_object_free'),
  r('timer_is_static_object', 'timer_is_static_object'),
  r('work_is_static_object', 'work_is_static_object'),
  r('check_preemption_disabled', 'check_preemption_disabled'),
  r('^debug_smp_processor_id$', 'debug_smp_processor_id'),
  r('__check_object_size|^check_heap_object$|^check_stack_object$', '__check_object_size'),
  r('^usercopy_', 'usercopy_abort'),
  r('might_fault', '__might_fault'),
  r('might_sleep', '__might_sleep'),
  r('might_resched', '__might_resched'),
  r('^_*stack_chk_fail', '__stack_chk_fail'),
  r('^should_fail', 'should_fail_ex'),
  r('^fail_dump$', 'fail_dump'),
  // Locks and lockdep.
  r('lockdep', 'lockdep_rcu_suspicious'),
  r('print_unlock', 'print_unlock_imbalance_bug'),
  r('imbalance_bug', 'print_unlock_imbalance_bug'),
  r('lock_acquire', 'lock_acquire'),
  r('lock_release', 'lock_release'),
  r('lock_class', 'register_lock_class'),
  r('^lock_is_held', 'lock_is_held_type'),
  r('^(?:check_noncircular|check_prevs?_add|validate_chain|mark_lock|mark_usage)$', 'check_noncircular'),
  r('(?:reacquire|mark)_held_locks', 'mark_held_locks'),
  r('bh_(?:enable|disable)', '__local_bh_enable_ip'),
  r('spin_lock', '_raw_spin_lock'),
  r('spin_trylock', '_raw_spin_trylock'),
  r('spin_unlock', '_raw_spin_unlock_irqrestore'),
  r('queued_(?:spin|read|write)_lock', 'native_queued_spin_lock_slowpath'),
  r('(?:read|write)_(?:try)?lock', '_raw_read_lock'),
  r('(?:read|write)_unlock', '_raw_write_unlock'),
  r('^_*down$|down_(?:read|write|trylock)', 'down_read'),
  r('^_*up(?:_read|_write|$)', 'up_write'),
  r('^_*rwsem_', 'rwsem_down_write_slowpath'),
  r('^_*(?:rt_)?mutex_', 'mutex_lock_nested'),
  r('^osq_(?:lock|unlock)$', 'osq_lock'),
  r('__wake_up', '__wake_up_common_lock'),
  r(
    '^atomic(?:64|_long)?_(?:dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)',
    'atomic_dec_and_test',
  ),
  // Reference counts (refcount_t, kref, and the page refcount helpers).
  r('^_*refcount_', 'refcount_warn_saturate'),
  r('^kref_', 'kref_put'),
  r('ref_tracker', 'ref_tracker_free'),
  r('^_*(?:page|folio)_ref_', 'page_ref_dec_and_test'),
  r('^_*(?:put|get)_page|^_*folio_(?:put|get)|^put_devmap_managed_(?:page|folio)', 'put_page'),
  // Library: mem*/str*, user copies, printk and friends, list debugging, retpolines.
  r('mem(?:cpy|cmp|set|chr|move|dup)', 'memcpy_orig'),
  r('str(?:n?cmp|l?cpy|n?cpy|scpy|n?len|n?str|chr|n?dup)', 'strlen'),
  // Allocator entry points (the allocation is not where the bug is).
  r('k?v?[mzc]alloc|krealloc', '__kmalloc_track_caller'),
  r('kmem_cache|allocate_slab', 'kmem_cache_alloc_node'),
  r('copy_(?:to|from)_user', '_copy_to_user'),
  r('copy_(?:page_|folio_)?(?:to|from)_iter', 'copy_page_to_iter'),
  r('^copy(?:in|out)$', 'copyout'),
  r('^_*(?:put|get)_user', '__get_user_8'),
  r('list_(?:add|del|replace|move|splice)', '__list_del_entry_valid'),
  r('_indirect_thunk_|_return_thunk', '__x86_indirect_thunk_rax'),
  r('string|pointer', 'string_nocheck'),
  r('^v?s?n?printf$|^v?scnprintf$|^k?v?asprintf$', 'vsnprintf'),
  r('printk', '_printk'),
  r('^va_format$', 'va_format'),
  r('^_*dev_(?:printk|info|notice|warn|err|alert|crit|emerg)', 'dev_warn'),
  r('^trace_|^perf_trace', 'trace_hardirqs_on'),
  // Work, timers, completions, device teardown: the helper waits or fires, its caller is the bug.
  r('^_*del_timer|^timer_delete', 'del_timer_sync'),
  r('flush_work|cancel_work_sync|__cancel_work_timer|try_to_grab_pending', 'flush_work'),
  r('(?:flush|drain|destroy)_workqueue|queue_work', 'destroy_workqueue'),
  r('finish_wait|kthread_stop|^complete$|wait_for_completion', 'wait_for_completion'),
  r('kobject_|add_uevent_var|get_device_parent', 'kobject_put'),
  r(
    'device_(?:add|del|unregister|destroy|release|for_each_child|remove_file)|devres_release_all',
    'device_del',
  ),
  r('sysfs_remove', 'sysfs_remove_group'),
  r('^kv?free$', 'kfree'),
  // Scheduler, thread and syscall entry.
  r('^_*schedule(?:_timeout|_preempt_disabled)?$', 'schedule'),
  r('^ret_from_fork', 'ret_from_fork'),
  r('^kthread$', 'kthread'),
  r('^entry_SYSCALL', 'entry_SYSCALL_64_after_hwframe'),
  r('^do_(?:syscall_64|fast_syscall_32|int80_syscall_32)$|^x64_sys_call$', 'do_syscall_64'),
  // Memory, bits, trees and I/O accessors (syzkaller's list).
  r('(?:set|clear|change|test)_bit', 'test_and_set_bit'),
  r('^_*rb_', 'rb_erase'),
  r('read[bwlq]$|write[bwlq]$|logic_(?:in|out)', 'readl'),
  r('^crc\\d+|crc_itu_t', 'crc32_le'),
  r('seqprop_assert|owner_on_cpu|raw_spin_rq', 'owner_on_cpu'),
  r('assertfail', 'xfs_assertfail'),
  r('hex_dump_to_buffer|print_hex_dump', 'print_hex_dump'),
  r('^klist_', 'klist_next'),
  r('(?:trace|lockdep)_(?:hard|soft)irq', 'trace_hardirqs_on'),
  r('stack_trace_consume_entry|arch_stack_walk|stack_trace_save', 'stack_trace_save'),
  r('insert_work|__queue_delayed_work|queue_delayed_work_on', 'insert_work'),
  r('ida_free', 'ida_free'),
  r('do_(?:kernel|translation)_fault|do_mem_abort|el1_abort|el1h_64_sync', 'do_mem_abort'),
  r('print_tainted|^get_taint$', 'print_tainted'),
  r('__phys_addr|__fortify_report', '__phys_addr'),
  r('cleanup_srcu_struct|rhashtable_lookup|extract_(?:user|iter)_to_sg|drop_nlink', 'rhashtable_lookup'),
  r('lock_timer_base|__timer_delete_sync|sk_stop_timer_sync|__mod_timer', '__mod_timer'),
  r('dput', 'dput'),
  r('^iput$|^iput_final$|^ihold$|^put_device$', 'iput'),
  r('kfree_skb', 'kfree_skb_reason'),
  // The page cache and page allocator (syzkaller's list; allocation is not where a bug is).
  r('alloc_page|__alloc_frozen_pages', 'alloc_pages'),
  r(
    'folio_(?:alloc|unlock)|filemap_alloc_folio|__filemap_get_folio|find_or_create_page',
    'filemap_alloc_folio',
  ),
  r('do_read_cache_folio|read_cache_page|pagecache_get_page|grab_cache_page_write_begin', 'read_cache_page'),
  r('^(?:un)?lock_page', 'lock_page'),
  r('xas_(?:start|load|find)|find_lock_entries|truncate_inode_pages_range', 'truncate_inode_pages_range'),
  r('slab_', 'slab_free_freelist_hook'),
  // Device and driver teardown helpers (syzkaller's list).
  r(
    'hwrng_unregister|i2c_del_adapter|__unregister_client|rollback_registered|unregister_netdev',
    'unregister_netdev',
  ),
  r(
    'tty_unregister_device|dummy_urb_enqueue|usb_kill_(?:anchored_)?urbs?|usb_control_msg|usb_(?:hcd_)?submit_urb',
    'usb_submit_urb',
  ),
  r('program_check_(?:exception|common)', 'program_check_exception'),
];

/**
 * Syscall wrappers are not skipped but named without their prefix, the way syzkaller strips
 * them (the shortest of the results wins): `__do_sys_bpf` → `bpf`, `__x64_sys_ioctl` → `sys_ioctl`.
 */
export const FRAME_STRIP_PREFIXES: readonly string[] = [
  'SYSC_',
  'SyS_',
  'sys_',
  '____sys_',
  '___sys_',
  '__sys_',
  '__se_sys_',
  '__do_sys_',
  'compat_SYSC_',
  'compat_SyS_',
  '__x64_',
  '__ia32_',
  '__arm64_',
  'ksys_',
];

/** Bad page state / map: the allocator's own checks, on the way in or out. */
export const ALLOCATOR_SKIPS: readonly SkipRule[] = [
  r('^_*bad_page$|^free_page_is_bad', 'bad_page'),
  r('^_*check_(?:free|new)_pages?$', 'check_new_pages'),
  r('^_*free_(?:pages|pcp)_prepare|^free_tail_page_prepare', 'free_pages_prepare'),
  r('^_*free_unref_(?:page|folios)', 'free_unref_page'),
  // 6.15 renamed free_unref_page() to free_frozen_pages()/__free_frozen_pages().
  r('^_*free_frozen_pages$', '__free_frozen_pages'),
  r('^_*alloc_frozen_pages', '__alloc_frozen_pages_noprof'),
  r('^_*free_(?:the_page|pages|one_page|compound_page)', '__free_pages'),
  r('^destroy_large_folio$|^_*folio_put_(?:large|small)$|^release_pages$|^folios_put', 'release_pages'),
  r('^prep_new_page$|^post_alloc_hook$|^rmqueue|^get_page_from_freelist$', 'get_page_from_freelist'),
  r('^_*alloc_pages|^_*folio_alloc|^alloc_page_interleave$|^vma_alloc_folio$', '__alloc_pages'),
  r('^page_frag_free$', 'page_frag_free'),
  r('^print_bad_pte$|^vm_normal_page$', 'vm_normal_page'),
];

/** KASAN, KFENCE and SLUB reports: the slab entry points where a bad free is caught. */
export const SLAB_SKIPS: readonly SkipRule[] = [
  r('^_*kfree', 'kfree'),
  r('^_*kmem_cache_', 'kmem_cache_free'),
  r('^_*slab_', 'slab_free_freelist_hook'),
  r('^_*kmalloc', '__kmalloc'),
  r('^_*v(?:free|unmap)', 'vfree'),
  r('^free_debug_processing$|^object_err$|^on_freelist$', 'free_debug_processing'),
];

/**
 * kmemleak (`memory leak in F`): the allocation path under the leaking caller. syzkaller's
 * memory-leak skip list matches these words anywhere in the name.
 */
export const LEAK_SKIPS: readonly SkipRule[] = [
  r('kmemleak', 'kmemleak_alloc'),
  r('kmalloc', 'kmalloc_trace'),
  r('kcalloc', 'kcalloc'),
  r('kzalloc', 'kzalloc'),
  r('vmalloc', '__vmalloc_node_range'),
  r('mmap', 'vm_mmap_pgoff'),
  r('kmem', 'kmem_cache_alloc'),
  r('slab', 'slab_post_alloc_hook'),
  r('alloc', '__alloc_skb'),
  r('create_object', 'create_object'),
  r('idr_get', 'idr_get_free'),
  r('list_lru_init', '__list_lru_init'),
  r('kasprintf', 'kasprintf'),
  r('pcpu_create', 'pcpu_create_chunk'),
  r('strn?dup', 'kstrdup'),
  r('memdup', 'kmemdup'),
];

/** Hung tasks: the victim's waits; the frame above them is where it waits from. */
export const WAIT_SKIPS: readonly SkipRule[] = [
  r('sched', '__schedule'),
  r('wait', 'wait_for_completion'),
  r('completion', '__wait_for_completion'),
  r('mutex', '__mutex_lock'),
  r('rwsem', 'rwsem_down_read_slowpath'),
  r('_lock', '__folio_lock'),
  r('down', 'down_write'),
  r('synchronize', 'synchronize_irq'),
  r('__switch_to|context_switch', '__switch_to'),
  r('kthread', 'kthread'),
  r('percpu_ref_switch', 'percpu_ref_switch_to_atomic_sync'),
  r('msleep', 'msleep'),
  r('cancel_delayed_work', 'cancel_delayed_work_sync'),
  r('_slowlock', 'rt_mutex_slowlock'),
  r('rcu_barrier', 'rcu_barrier'),
];

/** Stalls and lockups: timer-interrupt and idle plumbing around the stuck code. */
export const INTERRUPT_SKIPS: readonly SkipRule[] = [
  r('^_*rcu', 'rcu_sched_clock_irq'),
  r('apic_timer_interrupt', 'apic_timer_interrupt'),
  r('^_*sysvec_', 'sysvec_apic_timer_interrupt'),
  r('^_*(?:handle_)?irq_|^_*handle_irq', '__irq_exit_rcu'),
  r('^_*hrtimer_|^tick_|^update_process_times$|^scheduler_tick$|^watchdog_timer_fn$', 'hrtimer_interrupt'),
  r('^_*nmi_|^default_do_nmi$|^arch_trigger_cpumask_backtrace$|^trigger_', 'nmi_cpu_backtrace'),
  r('^native_|^default_idle|^_*cpu_idle|^do_idle$|^cpu_startup_entry$', 'native_safe_halt'),
  r('^start_secondary$|^secondary_startup', 'start_secondary'),
  r('^run_timer_softirq$|^_*do_softirq|^call_timer_fn$|^expire_timers$', '__do_softirq'),
  r('^xas?_', 'xas_find'),
  r('^_*cond_resched', '__cond_resched'),
  r('^delay_tsc$|^_*const_udelay$|^cpu_relax$', 'delay_tsc'),
];

/** Extra skips for one report kind, as syzkaller has them per format. */
export const KIND_SKIPS: Readonly<Record<string, readonly SkipRule[]>> = {
  // print_circular_bug: workqueue functions take locks for their work items.
  lockdep: [r('process_one_work|(?:flush|drain|destroy)_workqueue', 'process_one_work')],
  'locking-bug': [r('lock_sock', 'lock_sock_nested'), r('release_sock', 'release_sock')],
  rcu: [r('rcu', 'rcu_read_lock_held'), r('kmem', 'kmem_cache_alloc_lru'), r('slab', 'slab_pre_alloc_hook')],
  'non-static-key': [r('stack', 'save_stack'), r('lock', 'lockdep_init_map'), r('IRQ', 'IRQ_handler')],
  preempt: [
    r('preempt', 'check_preemption_disabled'),
    r('this_cpu', 'this_cpu_preempt_check'),
    r('debug_', 'debug_smp_processor_id'),
    r('processor_id', 'raw_smp_processor_id'),
  ],
  'scheduling-while-atomic': [r('schedule', '__schedule_bug')],
  spinlock: [
    r('spin_', 'do_raw_spin_lock'),
    r('_lock', 'do_raw_write_lock'),
    r('_unlock', 'do_raw_read_unlock'),
  ],
  usercopy: [r('usercopy', 'usercopy_abort'), r('__check', '__check_object_size')],
  odebug: [
    r('^_*debug_', 'debug_check_no_obj_freed'),
    r('rcu', 'rcu_do_batch'),
    r('hrtimer_', 'hrtimer_init'),
    r('timer_', 'init_timer_key'),
    r('work_', 'work_fixup_free'),
    r('percpu_', 'percpu_ref_exit'),
    r('kmem_|slab_|kfree|vunmap|vfree|__free_', 'kmem_cache_free'),
    r('kobject_', 'kobject_cleanup'),
  ],
  kmalloc: [r('kmalloc|krealloc|slab|kmem', '__kmalloc_node')],
  refcount: [r('refcount', 'refcount_dec_not_one'), r('kobject_', 'kobject_put')],
  'kernel-bug': [r('^skb_', 'skb_put')],
  kasan: [r('kernel_fault|tag_check|mem_abort|^el1_|^el1h_', 'do_tag_check_fault')],
  kmsan: [
    r('alloc_skb|netlink_ack|netlink_rcv_skb', '__alloc_skb'),
    r('_encrypt$|^(?:crypto|cipher|drbg|rng)_', 'crypto_shash_update'),
  ],
  ubsan: [r('overflow', 'handle_overflow')],
  'stack-protector': [r('stack_chk', '__stack_chk_fail')],
};

/**
 * Stalls and lockups loop in some code; where the watchdog catches them is random. Their
 * identity is the frame just inside one of these dispatch points (syzkaller's
 * linuxStallAnchorFrames), e.g. the syscall or the file operation that looped.
 */
export const STALL_ANCHORS: readonly string[] = [
  'process_one_work',
  'do_syscall_',
  'do_fast_syscall_',
  'sysenter_dispatch',
  'tracesys_phase2',
  'el0_svc_handler',
  'invoke_syscall',
  'ret_fast_syscall',
  'netif_receive_skb',
  'do_softirq',
  'call_timer_fn',
  '_run_timers',
  'run_timer_softirq',
  'hrtimer_run',
  'run_ksoftirqd',
  'smpboot_thread_fn',
  '^kthread$',
  'start_secondary',
  'cpu_startup_entry',
  'ret_from_fork',
  // File operations and other highly discriminated syscalls: their callee names the driver.
  'vfs_write',
  'vfs_read',
  'vfs_iter_read',
  'vfs_iter_write',
  'do_iter_read',
  'do_iter_write',
  'call_read_iter',
  'call_write_iter',
  'new_sync_read',
  'new_sync_write',
  'vfs_ioctl',
  'ksys_ioctl',
  'compat_ioctl',
  'compat_sys_ioctl',
  'blkdev_driver_ioctl',
  'blkdev_ioctl',
  'do_iter_readv_writev',
  '^call_mmap',
  'mmap_region',
  'do_mmap',
  'do_dentry_open',
  'vfs_open',
  '^sock_sendmsg',
  '^sock_recvmsg',
  '^sock_release',
  '^__sock_release',
  '^setsockopt$',
  'kernel_setsockopt',
  'sock_common_setsockopt',
  '^listen$',
  'kernel_listen',
  'sk_common_release',
  '^sock_mmap',
  '^accept$',
  'kernel_accept',
  '^sock_do_ioctl',
  '^sock_ioctl',
  '^compat_sock_ioctl',
  '^nfnetlink_rcv_msg',
  '^rtnetlink_rcv_msg',
  '^netlink_dump',
  '^(?:sys_)?(?:socketpair|connect|ioctl)',
  // Page fault entry points, exit-to-user work, cross-CPU calls, tasklets.
  '__do_fault',
  'do_page_fault',
  '^page_fault$',
  '__fput',
  'task_work_run',
  'exit_to_usermode',
  'smp_call_function',
  'tasklet_action',
  'tasklet_hi_action',
];

/** One regular expression for a rule list. */
export const compileSkips = (rules: readonly SkipRule[]): RegExp =>
  new RegExp(rules.map((x) => `(?:${x.pattern})`).join('|'));
