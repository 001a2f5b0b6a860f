/**
 * Which kind of page a report is about, from what the log shows:
 * 1. the page dump: `device pfn:` means device-private; `zone=N` other than ZONE_DEVICE's
 *    index means an ordinary page; `aops:ext4_dax_aops` (xfs_dax_aops, ext2_dax_aops) is
 *    fsdax, `aops:dev_dax_aops` is devdax;
 * 2. the code the report is in (header site and frames): fs/dax.c and the filesystems'
 *    DAX paths are fsdax; drivers/dax/device.c (dev_dax_*) is devdax;
 *    migrate_device_coherent_page is device-coherent; the migrate_to_ram path, device
 *    exclusive entries and test_hmm's dmirror_* are device-private (test_hmm's coherent
 *    mode shares dmirror_* code, so only coherent-only functions say coherent);
 * 3. a ZONE_DEVICE page with nothing more is `zone-device`, and so is a report fired in the
 *    code that only ever handles ZONE_DEVICE pages without saying which kind:
 *    free_zone_device_folio() (6.15+; free_zone_device_page() before) and the pgmap
 *    helpers of mm/memremap.c. No evidence at all is null.
 *
 * Nothing here needs the 6.1-era devmap machinery (pte_devmap/pmd_devmap, PFN_DEV,
 * put_devmap_managed_page), which later kernels drop: the kind comes from the dump and from
 * the DAX/HMM code paths, which both generations have. The 6.1 names are still matched
 * where a 6.1 log has them.
 */

import { type Evidence, siteFile } from './evidence.ts';
import { baseName } from './frames.ts';
import type { PageKind } from './types.ts';

/** ZONE_DEVICE's index on x86_64 with ZONE_DMA and ZONE_DMA32: DMA, DMA32, NORMAL, MOVABLE, DEVICE. */
export const DEFAULT_ZONE_DEVICE = 4;

/**
 * ZONE_DEVICE's index in `zone=N` for a kernel .config (enum zone_type order in
 * include/linux/mmzone.h: DMA, DMA32, NORMAL, HIGHMEM, MOVABLE, DEVICE); null without ZONE_DEVICE.
 */
export function zoneDeviceIndex(config: string): number | null {
  const on = (name: string): boolean => new RegExp(`^CONFIG_${name}=y$`, 'm').test(config);
  if (!on('ZONE_DEVICE')) return null;
  let index = 2; // NORMAL, MOVABLE always exist
  if (on('ZONE_DMA')) index++;
  if (on('ZONE_DMA32')) index++;
  if (on('HIGHMEM')) index++;
  return index;
}

const FSDAX_FUNC =
  /^(?:dax_(?:insert|associate|disassociate|iomap|fault|layout_busy|writeback|delete_mapping|invalidate_mapping|zero|break_layout|busy_page|lock_|unlock_|finish_sync_fault|truncate_page|file_unshare|remap_file_range|dedupe|folio_|page_|wait_page_idle)\w*|__dax_\w+|grab_mapping_entry|dax_iomap_\w+|ext[24]_dax_\w+|xfs_dax_\w+|xfs_break_dax_layouts|ext4_break_layouts|fuse_dax_\w+|fsdax_\w+)$/;
const DEVDAX_FUNC = /^(?:dev_dax_\w+|__dev_dax_\w+|dax_pgoff_to_phys|dax_mmap)$/;
const COHERENT_FUNC = /^(?:migrate_device_coherent_page|migrate_device_coherent_folio|\w*_coherent_\w*)$/;
const PRIVATE_FUNC =
  /^(?:dmirror_\w+|\w+_migrate_to_ram|migrate_to_ram|remove_device_exclusive_entry|make_device_exclusive\w*|device_private_\w+|nouveau_dmem_\w+|svm_migrate_\w+|kvmppc_uvmem_\w+|hmm_range_fault|hmm_vma_\w+)$/;

/** mm/memremap.c functions that only handle ZONE_DEVICE pages, of any kind. */
const ZONE_DEVICE_FUNC =
  /^(?:free_zone_device_(?:folio|page)|zone_device_(?:page|folio)_init|init_zone_device_folio|memunmap_pages|memremap_pages|devm_memremap_pages_release|put_devmap_managed_\w+|__put_devmap_managed_\w+)$/;

type CodeKind = Exclude<PageKind, 'ordinary' | 'zone-device'>;

function kindFromCode(ev: Evidence): CodeKind | null {
  const file = siteFile(ev.header.site);
  if (file === 'fs/dax.c' || file.startsWith('fs/fuse/dax')) return 'fsdax';
  if (file.startsWith('drivers/dax/device')) return 'devdax';
  if (file === 'lib/test_hmm.c') return 'device-private';
  const names = [ev.header.func, ...ev.frames.map((f) => f.function)].filter((n) => n !== '').map(baseName);
  // The most specific evidence wins: coherent-only code, then the DAX flavours, then HMM.
  if (names.some((n) => COHERENT_FUNC.test(n))) return 'device-coherent';
  if (names.some((n) => DEVDAX_FUNC.test(n))) return 'devdax';
  if (names.some((n) => FSDAX_FUNC.test(n))) return 'fsdax';
  if (names.some((n) => PRIVATE_FUNC.test(n))) return 'device-private';
  if (ev.frames.some((f) => f.module === 'test_hmm')) return 'device-private';
  return null;
}

function kindFromAops(aops: string | null): CodeKind | null {
  if (aops === null) return null;
  if (/^(?:ext[24]|xfs|fuse)_dax_aops$/.test(aops)) return 'fsdax';
  if (aops === 'dev_dax_aops') return 'devdax';
  return null;
}

export function pageKindOf(ev: Evidence, zoneDevice: number = DEFAULT_ZONE_DEVICE): PageKind | null {
  if (ev.devicePfn) return 'device-private';
  const page = ev.page;
  if (page !== null && page.zone !== null && page.zone !== zoneDevice) return 'ordinary';
  const fromPage = kindFromAops(page?.aops ?? null);
  if (fromPage !== null) return fromPage;
  const fromCode = kindFromCode(ev);
  if (fromCode !== null) return fromCode;
  if (page !== null && page.zone === zoneDevice) return 'zone-device';
  if (siteFile(ev.header.site) === 'mm/memremap.c' && ZONE_DEVICE_FUNC.test(baseName(ev.header.func)))
    return 'zone-device';
  return null;
}
