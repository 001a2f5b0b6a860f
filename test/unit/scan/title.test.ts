import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseText } from '../../../harness/scan/title.ts';
import type { Finding } from '../../../harness/scan/types.ts';
import { fixturesDir, kmsg, scan, warning } from './helpers.ts';

describe('normaliseText', () => {
  it('removes addresses, offsets, line numbers, pids and CPU numbers', () => {
    expect(normaliseText('Attempted to kill init! exitcode=0x0000000b')).toBe(
      'Attempted to kill init! exitcode=ADDR',
    );
    expect(normaliseText('bad thing at mm/gup.c:123 in foo+0x1a/0x40')).toBe('bad thing at mm/gup.c in foo');
    expect(normaliseText('stuck on CPU#3 for 22s! [kworker/0:1:123]')).toBe(
      'stuck on CPU for Ns! [kworker/N:N:N]',
    );
    expect(normaliseText('object ffff88810c9a3f00 freed')).toBe('object ADDR freed');
  });

  it('keeps numbers that are part of names', () => {
    expect(normaliseText('ext4 kmalloc-64 x86_64 i915')).toBe('ext4 kmalloc-64 x86_64 i915');
  });
});

describe('titles', () => {
  it('are equal for the same bug on different CPUs, pids and addresses', () => {
    const a = scan(
      kmsg(warning('fs/dax.c:404', 'dax_disassociate_entry', ['truncate_inode_pages_range+0xd4/0x590'])),
    );
    const b = scan(
      kmsg(
        warning('fs/dax.c:417', 'dax_disassociate_entry', ['truncate_inode_pages_range+0xe0/0x5a0']).map(
          (l) => l.replace('CPU: 1 PID: 77', 'CPU: 0 PID: 12345'),
        ),
      ),
    );
    expect(a[0]!.title).toBe('WARNING in dax_disassociate_entry');
    expect(b[0]!.title).toBe(a[0]!.title);
  });

  it('in every golden log hold no addresses, offsets, line numbers, pids or CPU numbers', () => {
    const titles = readdirSync(fixturesDir)
      .filter((f) => f.endsWith('.expected.json'))
      .flatMap((f) =>
        (JSON.parse(readFileSync(join(fixturesDir, f), 'utf8')) as Finding[]).map((x) => x.title),
      );
    expect(titles.length).toBeGreaterThan(30);
    for (const t of titles) {
      expect(t).not.toMatch(/0x[0-9a-f]/i);
      expect(t).not.toMatch(/\+0x|\/0x/);
      expect(t).not.toMatch(/\.[ch]:\d/);
      expect(t).not.toMatch(/\b[0-9a-f]{8,}\b/);
      expect(t).not.toMatch(/CPU[#:]? ?\d|PID:? ?\d|pid \d/i);
      expect(t).not.toMatch(/\[ *\d+\.\d+\]/);
    }
  });
});

/**
 * The guilty frame, for the wrong titles issue 15 lists: each report in its kernel's format,
 * and the title syzkaller's rules give it.
 */
describe('guilty frame', () => {
  const titles = (lines: string[]): string[] => scan(kmsg(lines)).map((f) => f.title);

  it('a refcount_t underflow trapped through invalid_op (4.15–5.1) is one finding named after the caller', () => {
    // lib/refcount.c WARN_ONCE: __warn_printk printed the message before report_bug's cut here.
    expect(
      titles([
        'refcount_t: underflow; use-after-free.',
        '------------[ cut here ]------------',
        'WARNING: CPU: 1 PID: 3496 at lib/refcount.c:187 refcount_sub_and_test_checked+0x167/0x1b0',
        'Kernel panic - not syncing: panic_on_warn set ...',
        'CPU: 1 PID: 3496 Comm: t Not tainted 4.19.0 #1',
        'Call Trace:',
        ' dump_stack+0x1c4/0x2b4',
        ' panic+0x238/0x4e7',
        ' __warn.cold.8+0x163/0x1ba',
        ' report_bug+0x254/0x2d0',
        ' do_error_trap+0x1fc/0x4d0',
        ' do_invalid_op+0x1b/0x20',
        ' invalid_op+0x14/0x20',
        'RIP: 0010:refcount_sub_and_test_checked+0x167/0x1b0',
        'RSP: 0018:ffff8801c5a8f5d8 EFLAGS: 00010286',
        ' refcount_dec_and_test_checked+0x1a/0x20',
        ' dax_zap_entry_pages+0x4e/0x90',
        ' dax_delete_mapping_entry+0x2e/0x70',
        'Kernel Offset: disabled',
        'Rebooting in 86400 seconds..',
      ]),
    ).toEqual(['WARNING: refcount bug in dax_zap_entry_pages']);
  });

  it('a bad usercopy names the copy’s caller, not __check_object_size', () => {
    expect(
      titles([
        "usercopy: Kernel memory exposure attempt detected from SLUB object 'kmalloc-64' (offset 0, size 128)!",
        '------------[ cut here ]------------',
        'kernel BUG at mm/usercopy.c:99!',
        'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
        'CPU: 0 PID: 902 Comm: t Not tainted 6.1.0 #1',
        'RIP: 0010:usercopy_abort+0x7a/0x7c',
        'Call Trace:',
        ' <TASK>',
        ' __check_heap_object+0xd1/0x100',
        ' __check_object_size+0x16d/0x1a0',
        ' dmirror_fops_read+0x1c4/0x300 [test_hmm]',
        ' </TASK>',
        '---[ end trace 0000000000000000 ]---',
      ]),
    ).toEqual(['BUG: bad usercopy in dmirror_fops_read']);
  });

  it('this_cpu in preemptible code keeps no process name or address, and skips check_preemption_disabled', () => {
    expect(
      titles([
        'BUG: using __this_cpu_read() in preemptible [00000000] code: syz-executor.3/12345',
        'caller is dmirror_fops_write+0x3a/0x300',
        'CPU: 1 PID: 12345 Comm: syz-executor.3 Not tainted 6.1.0 #1',
        'Call Trace:',
        ' <TASK>',
        ' dump_stack_lvl+0x5b/0x77',
        ' check_preemption_disabled+0xdf/0xf0',
        ' dmirror_fops_write+0x3a/0x300',
        ' </TASK>',
      ]),
    ).toEqual(['BUG: using __this_cpu_read() in preemptible code in dmirror_fops_write']);
  });

  it('an RCU stall never blames the coverage hook it was caught in', () => {
    const t = titles([
      'rcu: INFO: rcu_preempt self-detected stall on CPU',
      'rcu: \t0-....: (10500 ticks this GP) idle=8f4c/1/0x4000000000000000 softirq=11602/11602 fqs=5249',
      'NMI backtrace for cpu 0',
      'CPU: 0 PID: 77 Comm: t Not tainted 6.1.0 #1',
      'Call Trace:',
      ' <IRQ>',
      ' dump_stack_lvl+0x5b/0x77',
      ' nmi_cpu_backtrace+0xd3/0x100',
      ' rcu_sched_clock_irq+0x7e6/0x1170',
      ' update_process_times+0x62/0x90',
      ' sysvec_apic_timer_interrupt+0x6e/0x90',
      ' </IRQ>',
      ' <TASK>',
      ' asm_sysvec_apic_timer_interrupt+0x16/0x20',
      'RIP: 0010:__sanitizer_cov_trace_pc+0x1/0x50',
      ' dmirror_snapshot_pmd+0x41/0x90',
      ' dmirror_snapshot+0x1b2/0x2b0',
      ' dmirror_fops_unlocked_ioctl+0x2a5/0x620',
      ' __x64_sys_ioctl+0x8b/0xc0',
      ' do_syscall_64+0x3b/0x90',
      ' entry_SYSCALL_64_after_hwframe+0x63/0xcd',
      ' </TASK>',
    ]);
    // The ioctl is the stall's dispatch point: its handler is the identity (syzkaller's rule).
    expect(t).toEqual(['INFO: rcu detected stall in dmirror_fops_unlocked_ioctl']);
  });

  it('a stall on an idle CPU is named inside the idle loop, and a hang behind the RTNL by rtnl_lock', () => {
    expect(
      titles([
        'rcu: INFO: rcu_preempt self-detected stall on CPU',
        'CPU: 1 PID: 0 Comm: swapper/1 Not tainted 6.1.0 #1',
        'RIP: 0010:default_idle+0xb/0x10',
        'Call Trace:',
        ' <TASK>',
        ' default_idle_call+0x33/0xe0',
        ' do_idle+0x1f5/0x270',
        ' cpu_startup_entry+0x19/0x20',
        ' start_secondary+0x115/0x130',
        ' </TASK>',
      ]),
    ).toEqual(['INFO: rcu detected stall in do_idle']);
    expect(
      titles([
        'INFO: task kworker/0:1:12 blocked for more than 143 seconds.',
        '      Not tainted 6.1.0 #1',
        'task:kworker/0:1     state:D stack:0     pid:12    ppid:2      flags:0x00004000',
        'Call Trace:',
        ' <TASK>',
        ' __schedule+0x6f3/0x8b0',
        ' schedule+0x5d/0xd0',
        ' __mutex_lock+0x93/0x7f0',
        ' rtnl_lock+0x15/0x20',
        ' linkwatch_event+0xe/0x30',
        ' </TASK>',
      ]),
    ).toEqual(['INFO: task hung in rtnl_lock']);
  });

  it('a 4.x paging request names the function on its IP: line', () => {
    expect(
      titles([
        'BUG: unable to handle kernel paging request at ffff88002bde1e40',
        'IP: [<ffffffff82d4e304>] dmirror_bounce_copy_from+0x24/0x30',
        'PGD ae2c067 PUD ae2d067 PMD 7faa5067 PTE 800000002bde1060',
        'Oops: 0002 [#1] SMP',
        'CPU: 0 PID: 4290 Comm: t Not tainted 4.9.0 #2',
        'Call Trace:',
        ' [<ffffffff8336ed2f>] dmirror_fops_read+0x1ef/0x8f0',
        '---[ end trace 0000000000000000 ]---',
      ]),
    ).toEqual(['BUG: unable to handle page fault in dmirror_bounce_copy_from']);
  });

  it('a lockdep deadlock names the lock taken, or the one held when the taking is generic', () => {
    const report = (acquire: string): string[] => [
      '======================================================',
      'WARNING: possible circular locking dependency detected',
      '6.1.0 #1 Not tainted',
      '------------------------------------------------------',
      't/77 is trying to acquire lock:',
      `ffff888100a2b8e8 (&mm->mmap_lock){++++}-{3:3}, at: ${acquire}+0x5f/0xb0`,
      '',
      'but task is already holding lock:',
      'ffff88810a1b2d48 (&dmirror->mutex){+.+.}-{3:3}, at: dmirror_fops_unlocked_ioctl+0x8b/0x620',
      '',
      'stack backtrace:',
      'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
      'Call Trace:',
      ' <TASK>',
      ' dump_stack_lvl+0x5b/0x77',
      ' </TASK>',
    ];
    expect(titles(report('dmirror_interval_invalidate'))).toEqual([
      'possible deadlock in dmirror_interval_invalidate',
    ]);
    expect(titles(report('__might_fault'))).toEqual(['possible deadlock in dmirror_fops_unlocked_ioctl']);
  });

  it('a symbolised KASAN report is named after the function its inlined header lines were inlined into', () => {
    expect(
      titles([
        '==================================================================',
        'BUG: KASAN: use-after-free in __list_del_entry include/linux/list.h:117 [inline]',
        'BUG: KASAN: use-after-free in list_del include/linux/list.h:125 [inline]',
        'BUG: KASAN: use-after-free in dmirror_devmem_free+0x8a/0xd0 drivers/zdh/test_hmm.c:1290',
        'Read of size 8 at addr ffff88810a1b2e08 by task t/77',
        'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
        'Call Trace:',
        ' <TASK>',
        ' __dump_stack lib/dump_stack.c:88 [inline]',
        ' dump_stack_lvl+0x5b/0x77 lib/dump_stack.c:106',
        ' __list_del_entry include/linux/list.h:117 [inline]',
        ' list_del include/linux/list.h:125 [inline]',
        ' dmirror_devmem_free+0x8a/0xd0 drivers/zdh/test_hmm.c:1290',
        ' </TASK>',
        '==================================================================',
      ]),
    ).toEqual(['KASAN: use-after-free Read in dmirror_devmem_free']);
  });
});
