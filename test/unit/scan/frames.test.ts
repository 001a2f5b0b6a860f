import { describe, expect, it } from 'vitest';
import { baseName, isGenericFrame, parseFrame, parseRip, titleFrame } from '../../../harness/scan/frames.ts';
import type { Frame } from '../../../harness/scan/types.ts';

const f = (fn: string): Frame => ({ function: fn, offset: '0x1/0x2', module: null, source: null, ip: false });

describe('parseFrame', () => {
  it('parses 6.1 x86 frames, with and without module and build id', () => {
    expect(parseFrame(' dax_insert_entry+0x2ab/0x320')).toMatchObject({
      function: 'dax_insert_entry',
      offset: '0x2ab/0x320',
      module: null,
      questionable: false,
    });
    expect(parseFrame(' dmirror_devmem_fault+0x8c/0x250 [test_hmm]')).toMatchObject({ module: 'test_hmm' });
    expect(parseFrame(' f+0x8c/0x250 [test_hmm 0123456789abcdef0123456789abcdef01234567]')).toMatchObject({
      module: 'test_hmm',
    });
  });

  it('marks `?` frames as questionable', () => {
    expect(parseFrame(' ? lock_release+0x1c/0x90')).toMatchObject({
      function: 'lock_release',
      questionable: true,
    });
  });

  it('parses frames already decoded to file:line, and old [<addr>] frames', () => {
    expect(parseFrame(' dump_stack_lvl+0x44/0x5c lib/dump_stack.c:107')).toMatchObject({
      source: 'lib/dump_stack.c:107',
    });
    expect(parseFrame(' __dump_stack lib/dump_stack.c:88 [inline]')).toMatchObject({
      offset: null,
      source: 'lib/dump_stack.c:88',
    });
    expect(parseFrame(' dump_stack_lvl (lib/dump_stack.c:107)')).toMatchObject({
      source: 'lib/dump_stack.c:107',
    });
    expect(parseFrame(' [<ffffffff81234567>] put_page+0x1a/0x40')).toMatchObject({ function: 'put_page' });
  });

  it('rejects lines that are not frames', () => {
    for (const line of [
      'Call Trace:',
      ' <TASK>',
      'CPU: 1 PID: 2 Comm: x',
      ' word',
      'RIP: 0010:f+0x1/0x2',
      '',
    ]) {
      expect(parseFrame(line)).toBeUndefined();
    }
  });
});

describe('parseRip', () => {
  it('returns the trapping frame, flagged as the instruction pointer', () => {
    expect(parseRip('RIP: 0010:dax_insert_pfn_pmd+0x41c/0x430')).toEqual({
      function: 'dax_insert_pfn_pmd',
      offset: '0x41c/0x430',
      module: null,
      source: null,
      ip: true,
    });
    expect(parseRip('RIP: 0010:dmirror_devmem_fault+0x8c/0x250 [test_hmm]')).toMatchObject({
      module: 'test_hmm',
    });
  });

  it('ignores user-space RIPs', () => {
    expect(parseRip('RIP: 0033:0x7f2d1c3e4a8b')).toBeUndefined();
  });
});

describe('frame names', () => {
  it('drops compiler clone suffixes and offsets', () => {
    expect(baseName('dmirror_migrate_to_device.constprop.0')).toBe('dmirror_migrate_to_device');
    expect(baseName('bad_page.cold')).toBe('bad_page');
    expect(baseName('dax_disassociate_entry+0x4f/0xb0')).toBe('dax_disassociate_entry');
  });

  it('skips reporting, refcount, lock and allocator plumbing', () => {
    for (const fn of [
      'dump_stack_lvl',
      '__warn',
      'refcount_warn_saturate',
      '____kasan_slab_free',
      '_raw_spin_lock',
      'memcpy_orig',
    ]) {
      expect(isGenericFrame(fn, 'warning')).toBe(true);
    }
    expect(isGenericFrame('free_unref_page', 'bad-page-state')).toBe(true);
    expect(isGenericFrame('free_unref_page', 'warning')).toBe(false);
    expect(isGenericFrame('dax_disassociate_entry', 'bad-page-state')).toBe(false);
  });

  it('looks past the waits of a hung task', () => {
    const frames = ['__schedule', 'schedule', 'schedule_timeout', '__wait_for_common', 'memunmap_pages'].map(
      f,
    );
    expect(titleFrame(frames, 'hung-task')).toBe('memunmap_pages');
  });

  it('gives an empty name when every frame is generic', () => {
    expect(titleFrame(['dump_stack_lvl', 'panic'].map(f), 'panic')).toBe('');
  });
});
