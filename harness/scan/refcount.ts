/**
 * Is a report about a reference count? Signs, from the kernel sources (6.1 and mainline):
 * - every Bad page state: bad_page() checks a page as its last reference goes (or as it
 *   is handed out), and its reasons (nonzero _refcount, nonzero mapcount, non-NULL mapping,
 *   flags still set) are the state a correct refcount lifecycle would have cleared;
 * - a Bad page map with a negative mapcount (zap_pte_range's mapcount underflow);
 * - refcount_t saturation messages and WARNINGs in lib/refcount.c;
 * - percpu-ref underflow (`percpu ref (…) <= 0`), WARNINGs in lib/percpu-refcount.c —
 *   pgmap->ref is a percpu ref;
 * - VM_BUG_ON/VM_WARN_ON conditions on page_ref_count / folio_ref_count / page_count,
 *   e.g. put_page's `VM_BUG_ON_PAGE(page_ref_count(page) == 0)` and folio_get's
 *   `folio_ref_zero_or_close_to_overflow` after expansion;
 * - WARNINGs at the refcount checks of fs/dax.c (dax_associate_entry,
 *   dax_disassociate_entry, …; from 6.15 also dax_folio_put's and dax_folio_init's
 *   WARN_ON_ONCE(folio_ref_count(…)), which usually show as the function they are inlined
 *   into: dax_disassociate_entry, dax_insert_entry, dax_delete_mapping_range),
 *   mm/memremap.c (free_zone_device_page in 6.1, free_zone_device_folio from 6.15,
 *   zone_device_page_init, memunmap_pages), mm/gup.c (try_get_folio, try_grab_page, …),
 *   mm/migrate*.c (migrate_vma_*, expected-count checks), include/linux/page_ref.h, and
 *   include/linux/mm.h's try_get_page;
 * - hangs waiting for a page or pgmap reference to drop: dax_layout_busy_page,
 *   the *_break_layouts helpers (ext4_break_layouts, xfs_break_dax_layouts) in 6.1, and
 *   from 6.15 the common dax_break_layout / dax_break_layout_final with wait_page_idle
 *   (dax_wait_page_idle in the series before it was merged), memunmap_pages. The scan never
 *   reads an idle count: a page is idle at refcount 1 in 6.1 and at 0 from 6.15, and only
 *   the function names say that a task waits for one. In a hung-task report they may be in
 *   the stack of the lock owner that CONFIG_DETECT_HUNG_TASK_BLOCKER prints after it.
 */

import { type Evidence, siteFile } from './evidence.ts';
import { baseName } from './frames.ts';

const REF_WORDS =
  /ref_?count|_refcount|page_count|folio_ref|page_ref|refcount_t|pincount|percpu_ref|percpu ref|ref_zero_or_close_to_overflow/;

const SITE_FUNCS: Record<string, RegExp> = {
  'fs/dax.c':
    /^(?:dax_(?:dis)?associate_entry|dax_insert_entry|dax_busy_page|dax_layout_busy_page|dax_(?:folio|page)_\w+|dax_delete_mapping_entry|__dax_invalidate_entry|dax_break_layout\w*|dax_wait_page_idle)$/,
  'mm/memremap.c': /./,
  'mm/gup.c': /try_get|try_grab|pin|gup_put|put_compound|folio_put|_ref/,
  'mm/migrate.c': /expected|_ref|count|folio_migrate_mapping|migrate_vma_|migrate_device_/,
  'mm/migrate_device.c': /./,
  'include/linux/page_ref.h': /./,
  'include/linux/mm.h': /./,
  'lib/refcount.c': /./,
  'lib/percpu-refcount.c': /./,
};

const WAITS_FOR_REF =
  /^(?:dax_layout_busy_page\w*|__dax_layout_busy_page|dax_break_layout\w*|dax_wait_page_idle|ext4_break_layouts|xfs_break_dax_layouts|xfs_break_layouts|fuse_dax_break_layouts|memunmap_pages|devm_memremap_pages_release|wait_page_idle)$/;

export function isRefcountRelated(ev: Evidence): boolean {
  switch (ev.category) {
    case 'bad-page-state':
      return true;
    case 'bad-page-map':
      return ev.page?.mapcount !== null && ev.page?.mapcount !== undefined && ev.page.mapcount < 0;
    case 'hung-task':
    case 'soft-lockup':
    case 'rcu-stall':
      return ev.frames.some((f) => WAITS_FOR_REF.test(baseName(f.function)));
    default:
      break;
  }
  // A refcount_t or percpu-ref message (analyse.ts found it in the report's lines).
  if (ev.message !== '') return true;
  // A VM_BUG_ON/VM_WARN_ON condition says exactly what was checked.
  if (ev.vmCheck !== '') return REF_WORDS.test(ev.vmCheck);
  if (ev.header.site !== '') {
    const rule = SITE_FUNCS[siteFile(ev.header.site)];
    if (rule !== undefined) {
      const fn = baseName(ev.header.func || ev.frames[0]?.function || '');
      if (rule.test(fn)) return true;
    }
  }
  return false;
}
