import { describe, expect, it } from 'vitest';
import { cleanLine, LineSplitter, MAX_LINE_CHARS, splitPrefix } from '../../../harness/scan/decode.ts';

function split(chunks: readonly (string | Uint8Array)[]): { line: string; n: number; clean: boolean }[] {
  const out: { line: string; n: number; clean: boolean }[] = [];
  const splitter = new LineSplitter((text, start, end, n, clean) =>
    out.push({ line: text.slice(start, end), n, clean }),
  );
  for (const c of chunks) splitter.push(c);
  splitter.end();
  return out;
}

describe('LineSplitter', () => {
  it('numbers lines from 1 and keeps an unterminated last line', () => {
    expect(split(['a\nb\n', 'c']).map((l) => [l.line, l.n])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('drops the CR of CRLF line ends', () => {
    expect(split(['one\r\ntwo\r\n']).map((l) => l.line)).toEqual(['one', 'two']);
  });

  it('joins lines split across chunks, and multi-byte characters split across chunks', () => {
    const bytes = Buffer.from('héllo wörld\nnext\n', 'utf8');
    const chunks = [...bytes].map((b) => Uint8Array.of(b));
    expect(split(chunks).map((l) => l.line)).toEqual(['héllo wörld', 'next']);
  });

  it('replaces invalid UTF-8 instead of failing', () => {
    expect(split([Uint8Array.of(0x41, 0xff, 0xfe, 0x42, 0x0a)])[0]!.line).toBe('A\uFFFD\uFFFDB');
  });

  it('cuts absurdly long lines at MAX_LINE_CHARS but keeps counting lines', () => {
    const long = 'x'.repeat(MAX_LINE_CHARS * 3);
    const lines = split([`${long}\nafter\n`]);
    expect(lines[0]!.line.length).toBe(MAX_LINE_CHARS);
    expect(lines[1]).toMatchObject({ line: 'after', n: 2 });
    // The same when the long line arrives in many chunks.
    const chunked = split([...long.match(/.{1,1000}/g)!, '\nafter\n']);
    expect(chunked.map((l) => [l.line.length, l.n])).toEqual([
      [MAX_LINE_CHARS, 1],
      [5, 2],
    ]);
  });

  it('marks chunks with control characters as needing cleaning', () => {
    expect(split(['plain\r\n'])[0]!.clean).toBe(true);
    expect(split(['with \x1b[1mescape\n'])[0]!.clean).toBe(false);
    expect(split(['nul\x00\n'])[0]!.clean).toBe(false);
  });
});

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
