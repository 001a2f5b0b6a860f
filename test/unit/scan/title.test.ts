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
