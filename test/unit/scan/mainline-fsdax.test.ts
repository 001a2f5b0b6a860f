/**
 * Golden logs for kernels past the fsdax refcount rework (6.15+). golden.test.ts compares
 * their whole output; this file says what each one is built from and pins the facts that
 * matter (title, refcount, page kind), so a change to them is a deliberate one.
 *
 * Sources read (torvalds/linux, stored versions; see docs/scan.md "Kernels past the fsdax
 * refcount rework"): fs/dax.c at 00c010e130e58301db2ea0cec1eadc931e1cb8cf, kernel/hung_task.c
 * at 00b5cdeb9fe761654d5a76a411c79b8ff04a81e5, and the mainline forms of
 * kernel/sched/core.c sched_show_task(), mm/debug.c __dump_folio(), mm/page_alloc.c
 * bad_page(), mm/memremap.c free_zone_device_folio(), fs/ext4/inode.c ext4_evict_inode(),
 * fs/xfs/xfs_super.c xfs_fs_evict_inode(). Offsets, pids, addresses and line numbers in the
 * logs are made up (the scanner normalises them away); the printk formats are the kernel's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../../harness/scan/read.ts';
import { fixturesDir } from './helpers.ts';

interface Pin {
  title: string;
  refcount: boolean;
  pageKind: string | null;
  workload: string;
}

const logs: Record<string, { follows: string[]; findings: Pin[] }> = {
  'fsdax-hung-6.15.log': {
    follows: [
      'kernel/hung_task.c hung_task_info(): "INFO: task %s:%d blocked for more than %ld seconds.", "      %s %s %.*s" (print_tainted(): "Not tainted" / "Tainted: G        W  ..."), the hung_task_timeout_secs line, sched_show_task(), then debug_show_blocker() (CONFIG_DETECT_HUNG_TASK_BLOCKER): "INFO: task %s:%d <%s> blocked on an rw-semaphore likely owned by task %s:%d <%s>" and the owner\'s sched_show_task(); "Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings"',
      'kernel/sched/core.c sched_show_task(): "task:%-15.15s state:%c" " stack:%-5lu pid:%-5d tgid:%-5d ppid:%-6d task_flags:0x%04x flags:0x%08lx"',
      'fs/dax.c dax_break_layout_final(): wait_page_idle_uninterruptible() (TASK_UNINTERRUPTIBLE, so the hung-task detector sees it), called from ext4_evict_inode() and xfs_fs_evict_inode() before the inode goes',
      "fs/dax.c dax_break_layout(): wait_page_idle() sleeps TASK_INTERRUPTIBLE (state S, never a hung task itself) with the file system's callback (xfs_wait_dax_page() drops only the MMAPLOCK), so a writer waiting for the IOLOCK (i_rwsem) is the task reported, and the blocker line names the truncating task",
    ],
    findings: [
      {
        title: 'INFO: task hung in dax_break_layout_final',
        refcount: true,
        pageKind: 'fsdax',
        workload: 'dax-ext4',
      },
      { title: 'INFO: task hung in xfs_ilock', refcount: true, pageKind: 'fsdax', workload: 'dax-xfs' },
    ],
  },
  'fsdax-warn-6.15.log': {
    follows: [
      'kernel/panic.c __warn(): "WARNING: CPU: %d PID: %d at %s:%d %pS" (the form before the 6.19 one); lib/dump_stack.c: "CPU: %d UID: %u PID: %d Comm: %.20s %s %s %.*s %s" with the preemption model, and "Tainted: [W]=WARN"',
      'fs/dax.c dax_folio_put(): WARN_ON_ONCE(folio_ref_count(new_folio)) while a PMD folio is split back to order-0 pages, inlined into dax_disassociate_entry(), reached from dax_break_layout() -> dax_delete_mapping_range() under ext4_break_layouts()',
      'fs/dax.c dax_associate_entry(): WARN_ON_ONCE(folio->mapping) on a new, unshared entry, inlined into dax_insert_entry() on the fault path (dax_fault_iter)',
      'mm/memremap.c free_zone_device_folio(): the WARN_ON_ONCE() checks of the pgmap at its top, on the munmap path folios_put_refs() -> free_zone_device_folio() that a mapped ZONE_DEVICE folio takes from 6.15',
    ],
    findings: [
      { title: 'WARNING in dax_disassociate_entry', refcount: true, pageKind: 'fsdax', workload: 'dax-ext4' },
      { title: 'WARNING in dax_insert_entry', refcount: true, pageKind: 'fsdax', workload: 'dax-ext4' },
      {
        title: 'WARNING in free_zone_device_folio',
        refcount: true,
        pageKind: 'zone-device',
        workload: 'hmm-stress',
      },
    ],
  },
  'bad-page-state-6.15.log': {
    follows: [
      'mm/page_alloc.c bad_page(): "BUG: Bad page state in process %s  pfn:%05lx", dump_page(), print_modules(), dump_stack(); reasons from page_bad_reason() and free_tail_page_prepare() ("nonzero pincount")',
      'mm/debug.c __dump_folio(): "page: refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx", "head: order:%u mapcount:%d entire_mapcount:%d nr_pages_mapped:%d pincount:%d", "memcg:%lx", "%sflags: %pGp%s" (anon prefix; zone=N, no devmap flag), "page_type: %x(%s)" when page_has_type(), raw:/head: hex dumps, "page dumped because: %s"',
      '6.15 allocator names: __free_frozen_pages() (was free_unref_page()), free_page_is_bad_report()',
    ],
    findings: [
      {
        title: 'BUG: Bad page state (nonzero mapcount) in migrate_device_finalize',
        refcount: true,
        pageKind: 'ordinary',
        workload: 'hmm-stress',
      },
      {
        title: 'BUG: Bad page state (nonzero pincount) in put_back_pages',
        refcount: true,
        pageKind: 'ordinary',
        workload: 'gup',
      },
      {
        title: 'BUG: Bad page state (nonzero mapcount) in free_pgd_range',
        refcount: true,
        pageKind: 'ordinary',
        workload: 'gup',
      },
    ],
  },
};

describe('golden logs of kernels past the fsdax refcount rework', () => {
  for (const [log, { follows, findings }] of Object.entries(logs)) {
    it(`${log} is classified as the source says`, async () => {
      expect(follows.length).toBeGreaterThan(0);
      const got = await scanFile(join(fixturesDir, log));
      expect(
        got.map((f) => ({
          title: f.title,
          refcount: f.refcount,
          pageKind: f.pageKind,
          workload: f.workload,
        })),
      ).toEqual(findings);
      for (const f of got) expect(f.corrupted).toBe(false);
    });
  }

  it('no 6.15+ golden shows the devmap page flag or a 1-based idle count', () => {
    for (const log of Object.keys(logs)) {
      const text = readFileSync(join(fixturesDir, log), 'utf8');
      expect(text).not.toMatch(/devmap/);
      expect(text).not.toMatch(/put_devmap_managed/);
    }
  });

  it('the fsdax probe diagnoses both refcount generations and keeps its prefixes', () => {
    const probe = readFileSync(
      join(import.meta.dirname, '..', '..', '..', 'guests', 'probes', 'zdh-dax.c'),
      'utf8',
    );
    expect(probe).toContain('DIAGNOSIS: missing wake-up');
    expect(probe).toContain('DIAGNOSIS: leaked page reference');
    for (const name of [
      'free_zone_device_folio',
      'put_devmap_managed_page',
      'dax_break_layout',
      'ext4_break_layouts',
      'xfs_break_dax_layouts',
    ])
      expect(probe).toContain(name);
    expect(probe).not.toMatch(/count had already dropped to 1/);
  });
});
