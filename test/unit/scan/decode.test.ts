import { describe, expect, it } from 'vitest';
import { cleanLine, splitPrefix } from '../../../harness/scan/decode.ts';

describe('cleanLine', () => {
  it('removes ANSI colour, cursor and title escapes', () => {
    expect(cleanLine('\x1b[1;31mWARNING:\x1b[0m x')).toBe('WARNING: x');
    expect(cleanLine('\x1b]0;title\x07text\x1b[2J')).toBe('text');
  });

  it('removes NUL, CR and other control characters but keeps tabs', () => {
    expect(cleanLine('a\x00b\rc\x7fd\te')).toBe('abcd\te');
  });

  it('leaves clean lines untouched', () => {
    const s = '[    1.000000] ordinary line';
    expect(cleanLine(s)).toBe(s);
  });
});

describe('splitPrefix', () => {
  it('splits timestamp and PRINTK_CALLER ids', () => {
    expect(splitPrefix('[   12.345678][  T123] BUG: x', 1, false)).toEqual({
      n: 1,
      text: 'BUG: x',
      time: 12.345678,
      caller: 'T123',
      kernel: true,
    });
    expect(splitPrefix('[    0.100000][    C1] rcu: x', 2, false)).toMatchObject({
      caller: 'C1',
      text: 'rcu: x',
    });
  });

  it('accepts a syslog level before the timestamp, and lines without a prefix', () => {
    expect(splitPrefix('<4>[    1.000000] WARNING: x', 1, false)).toMatchObject({
      text: 'WARNING: x',
      kernel: true,
    });
    expect(splitPrefix('plain text', 1, false)).toMatchObject({
      text: 'plain text',
      kernel: false,
      time: null,
    });
  });

  it("tells a /dev/kmsg record (facility 1 or more in the syslog prefix) from the kernel's own", () => {
    expect(splitPrefix('<0>[   20.100000][  T812] Kernel panic - not syncing: x', 1, true)).toMatchObject({
      kernel: true,
      time: 20.1,
      caller: 'T812',
    });
    for (const prefix of ['<12>', '<8>', '<190>']) {
      expect(
        splitPrefix(`${prefix}[   20.100000][  T812] Kernel panic - not syncing: x`, 1, true),
      ).toMatchObject({
        kernel: false,
        time: 20.1,
        text: 'Kernel panic - not syncing: x',
      });
    }
    expect(splitPrefix('login: <12>[    5.000000] BUG: x', 1, true)).toMatchObject({
      kernel: false,
      text: 'BUG: x',
    });
    expect(splitPrefix('login: <4>[    5.000000] BUG: x', 1, true)).toMatchObject({
      kernel: true,
      text: 'BUG: x',
    });
  });

  it('finds a kernel line glued to user-space output once the log has timestamps', () => {
    const glued = 'login: [    5.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008';
    expect(splitPrefix(glued, 1, true)).toMatchObject({
      kernel: true,
      text: glued.slice(glued.indexOf('BUG')),
    });
    expect(splitPrefix(glued, 1, false)).toMatchObject({ kernel: false });
  });
});
