/** Refcount-relatedness and page kind, from report evidence. */
import { describe, expect, it } from 'vitest';
import { zoneDeviceIndex } from '../../../harness/scan/page-kind.ts';
import { kmsg, scan, warning } from './helpers.ts';

const badPage = (reason: string, flags: string, callers: readonly string[], aops?: string): string[] => [
  'BUG: Bad page state in process t  pfn:140200',
  'page:00000000c3b0a0e5 refcount:0 mapcount:0 mapping:00000000b9b4f1d2 index:0x10 pfn:0x140200',
  ...(aops === undefined ? [] : [`aops:${aops} ino:c`]),
  `flags: ${flags}`,
  `page dumped because: ${reason}`,
  'CPU: 1 PID: 2 Comm: t Not tainted 6.1.0 #1',
  'Call Trace:',
  ' <TASK>',
  ' dump_stack_lvl+0x44/0x5c',
  ' bad_page.cold+0x63/0x94',
  ' free_unref_page+0x1d/0x140',
  ...callers.map((c) => ` ${c}`),
  ' </TASK>',
];
const ZONE4 = '0x2fffc0000001000(reserved|node=0|zone=4|lastcpupid=0x3fff)';
const ZONE2 = '0x17ffffc0000000(node=0|zone=2|lastcpupid=0x1fffff)';

describe('refcount classification', () => {
  it('marks Bad page states, refcount_t and percpu-ref warnings', () => {
    expect(scan(kmsg(badPage('nonzero _refcount', ZONE2, ['release_pages+0x1/0x2'])))[0]!.refcount).toBe(
      true,
    );
    const rc = [
      '------------[ cut here ]------------',
      'refcount_t: saturated; leaking memory.',
      ...warning('lib/refcount.c:22', 'refcount_warn_saturate', [
        'kref_get+0x1/0x2',
        'vb2_buf_get+0x1/0x2',
      ]).slice(1),
    ];
    const finding = scan(kmsg(rc))[0]!;
    expect(finding).toMatchObject({
      refcount: true,
      // syzkaller's form: kref_get is a refcount helper, its caller is named.
      title: 'WARNING: refcount bug in vb2_buf_get',
    });
  });

  it('marks WARNINGs at the refcount checks of fs/dax.c, mm/memremap.c and mm/gup.c', () => {
    expect(scan(kmsg(warning('fs/dax.c:398', 'dax_disassociate_entry')))[0]!.refcount).toBe(true);
    expect(scan(kmsg(warning('mm/memremap.c:528', 'zone_device_page_init')))[0]!.refcount).toBe(true);
    expect(scan(kmsg(warning('mm/gup.c:76', 'try_get_folio')))[0]!.refcount).toBe(true);
  });

  it('does not mark other WARNINGs in the same files or elsewhere', () => {
    expect(scan(kmsg(warning('fs/dax.c:1200', 'dax_iomap_rw')))[0]!.refcount).toBe(false);
    expect(scan(kmsg(warning('mm/gup.c:1000', '__get_user_pages')))[0]!.refcount).toBe(false);
    expect(scan(kmsg(warning('drivers/base/core.c:12', 'device_add')))[0]!.refcount).toBe(false);
  });

  it('marks VM_BUG_ON conditions on page refs, and not other VM_BUG_ONs', () => {
    const vmBug = (cond: string): string[] => [
      'page:00000000a0b1c2d3 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x17fe40',
      `flags: ${ZONE4}`,
      `page dumped because: VM_BUG_ON_PAGE(${cond})`,
      '------------[ cut here ]------------',
      'kernel BUG at include/linux/mm.h:780!',
      'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
      'RIP: 0010:migrate_vma_finalize+0x2f1/0x300',
      'Call Trace:',
      ' dmirror_fops_unlocked_ioctl+0x3e2/0xbe0 [test_hmm]',
      '---[ end trace 0000000000000000 ]---',
    ];
    expect(scan(kmsg(vmBug('page_ref_count(page) == 0')))[0]).toMatchObject({
      category: 'vm-bug-on',
      refcount: true,
    });
    expect(scan(kmsg(vmBug('PageAnon(page) && PageCompound(page)')))[0]).toMatchObject({
      category: 'vm-bug-on',
      refcount: false,
    });
  });

  it('marks hangs waiting for page or pgmap references', () => {
    const hang = (fn: string): string[] => [
      'INFO: task t:5 blocked for more than 5 seconds.',
      'task:t               state:D stack:0     pid:5     ppid:2      flags:0x00004000',
      'Call Trace:',
      ' <TASK>',
      ' __schedule+0x2ea/0x8b0',
      ' schedule+0x5d/0xd0',
      ` ${fn}+0x1a3/0x2f0`,
      ' </TASK>',
    ];
    expect(scan(kmsg(hang('memunmap_pages')))[0]).toMatchObject({
      refcount: true,
      title: 'INFO: task hung in memunmap_pages',
    });
    expect(scan(kmsg(hang('ext4_sync_fs')))[0]!.refcount).toBe(false);
  });
});

describe('page kind', () => {
  it('prefers the page dump: aops of a DAX file is fsdax, a non-device zone is ordinary', () => {
    expect(scan(kmsg(badPage('non-NULL mapping', ZONE4, ['f+0x1/0x2'], 'ext4_dax_aops')))[0]!.pageKind).toBe(
      'fsdax',
    );
    expect(
      scan(kmsg(badPage('non-NULL mapping', ZONE2, ['dax_disassociate_entry+0x6c/0xb0'])))[0]!.pageKind,
    ).toBe('ordinary');
  });

  it('names the kind from the code when the page is ZONE_DEVICE or absent', () => {
    const kind = (callers: string[]): string | null =>
      scan(kmsg(badPage('nonzero mapcount', ZONE4, callers)))[0]!.pageKind;
    expect(kind(['dax_disassociate_entry+0x6c/0xb0'])).toBe('fsdax');
    expect(kind(['__dev_dax_pmd_fault+0x1/0x2 [device_dax]'])).toBe('devdax');
    expect(kind(['dmirror_devmem_free+0x1/0x2 [test_hmm]'])).toBe('device-private');
    expect(
      kind(['migrate_device_coherent_page+0x1/0x2', 'dmirror_fops_unlocked_ioctl+0x1/0x2 [test_hmm]']),
    ).toBe('device-coherent');
    expect(kind(['some_driver_free+0x1/0x2'])).toBe('zone-device');
    expect(scan(kmsg(warning('drivers/base/core.c:12', 'device_add')))[0]!.pageKind).toBeNull();
  });

  it('takes `device pfn:` in a page dump for a device-private page', () => {
    const log = kmsg(badPage('nonzero mapcount', ZONE4, ['some_driver_free+0x1/0x2'])).map((l) =>
      l.replace('index:0x10 pfn:', 'index:0x10 device pfn:'),
    );
    expect(scan(log)[0]!.pageKind).toBe('device-private');
  });

  it('honours a different ZONE_DEVICE index', () => {
    const log = kmsg(badPage('nonzero mapcount', ZONE4, ['some_driver_free+0x1/0x2']));
    expect(scan(log, { zoneDevice: 3 })[0]!.pageKind).toBe('ordinary');
  });

  it('computes the ZONE_DEVICE index from a kernel config', () => {
    expect(zoneDeviceIndex('CONFIG_ZONE_DMA=y\nCONFIG_ZONE_DMA32=y\nCONFIG_ZONE_DEVICE=y\n')).toBe(4);
    expect(zoneDeviceIndex('CONFIG_ZONE_DMA32=y\nCONFIG_ZONE_DEVICE=y\n')).toBe(3);
    expect(zoneDeviceIndex('CONFIG_ZONE_DMA=y\n# CONFIG_ZONE_DEVICE is not set\n')).toBeNull();
  });
});
