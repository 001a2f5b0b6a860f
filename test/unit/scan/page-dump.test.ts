import { describe, expect, it } from 'vitest';
import { parsePageDump } from '../../../harness/scan/page-dump.ts';

describe('parsePageDump', () => {
  it('parses the 6.1 form (hashed page pointer first)', () => {
    const dump = parsePageDump([
      'BUG: Bad page state in process fsx  pfn:140200',
      'page:00000000c3b0a0e5 refcount:0 mapcount:0 mapping:00000000b9b4f1d2 index:0x10 pfn:0x140200',
      'aops:ext4_dax_aops ino:c dentry name(?):"testfile"',
      'flags: 0x2fffc0000001000(reserved|node=0|zone=4|lastcpupid=0x3fff)',
      'raw: 02fffc0000001000 ffffea0005008008 ffffea0005008008 ffff888104a5d3a8',
      'page dumped because: non-NULL mapping',
    ]);
    expect(dump).toEqual({
      page: {
        pfn: 0x140200,
        refcount: 0,
        mapcount: 0,
        mapping: '00000000b9b4f1d2',
        flags: ['reserved'],
        zone: 4,
        reason: 'non-NULL mapping',
        aops: 'ext4_dax_aops',
      },
      devicePfn: false,
    });
  });

  it('parses the 6.10+ form (no pointer), a negative mapcount and anon flags', () => {
    const dump = parsePageDump([
      'page: refcount:3 mapcount:-1 mapping:0000000000000000 index:0x7f0000001 pfn:0x12b3c4',
      'head: order:9 mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0',
      'anon flags: 0x17ffffc0080014(uptodate|lru|swapbacked|node=0|zone=2|lastcpupid=0x1fffff)',
      'page dumped because: VM_BUG_ON_FOLIO(((unsigned int) folio_ref_count(folio) + 127u <= 127u))',
    ])!.page;
    expect(dump).toMatchObject({ pfn: 0x12b3c4, refcount: 3, mapcount: -1, mapping: null, zone: 2 });
    expect(dump.flags).toEqual(['uptodate', 'lru', 'swapbacked']);
    expect(dump.reason).toBe('VM_BUG_ON_FOLIO(((unsigned int) folio_ref_count(folio) + 127u <= 127u))');
  });

  it('notices the `device pfn:` of device-private folios', () => {
    const dump = parsePageDump([
      'page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 device pfn:0x10',
    ]);
    expect(dump).toMatchObject({ devicePfn: true, page: { pfn: 0x10 } });
  });

  it('parses the old `count:` form and the poisoned form', () => {
    expect(
      parsePageDump(['page:ffffea0001234567 count:2 mapcount:1 mapping:(null) index:0x0'])!.page,
    ).toMatchObject({
      refcount: 2,
      mapcount: 1,
      mapping: null,
      pfn: null,
    });
    expect(parsePageDump(['page:00000000deadbeef is uninitialized and poisoned'])!.page.reason).toBe(
      'uninitialized and poisoned',
    );
  });

  it('falls back to the Bad page header pfn, and returns null without any page', () => {
    expect(parsePageDump(['no dump here'], 0x1234)!.page).toMatchObject({ pfn: 0x1234, refcount: null });
    expect(parsePageDump(['no dump here'])).toBeNull();
  });
});
