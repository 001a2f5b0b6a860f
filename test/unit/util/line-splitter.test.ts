import { describe, expect, it } from 'vitest';
import { CONSOLE_LINES } from '../../../harness/machine/console-log.ts';
import { MAX_LINE_CHARS, SCAN_LINES } from '../../../harness/scan/decode.ts';
import { LineSplitter, type LineSplitterOptions } from '../../../harness/util/line-splitter.ts';

interface Line {
  line: string;
  n: number;
  clean: boolean;
}

function split(options: LineSplitterOptions, chunks: readonly (string | Uint8Array)[], end = true): Line[] {
  const out: Line[] = [];
  const splitter = new LineSplitter(
    (text, start, stop, n, clean) => out.push({ line: text.slice(start, stop), n, clean }),
    options,
  );
  for (const c of chunks) splitter.push(c);
  if (end) splitter.end();
  return out;
}

describe('LineSplitter for the scanner (SCAN_LINES)', () => {
  const scan = (chunks: readonly (string | Uint8Array)[]): Line[] => split(SCAN_LINES, chunks);

  it('numbers lines from 1 and keeps an unterminated last line', () => {
    expect(scan(['a\nb\n', 'c']).map((l) => [l.line, l.n])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('drops the CR of CRLF line ends', () => {
    expect(scan(['one\r\ntwo\r\n']).map((l) => l.line)).toEqual(['one', 'two']);
  });

  it('joins lines split across chunks, and multi-byte characters split across chunks', () => {
    const bytes = Buffer.from('héllo wörld\nnext\n', 'utf8');
    const chunks = [...bytes].map((b) => Uint8Array.of(b));
    expect(scan(chunks).map((l) => l.line)).toEqual(['héllo wörld', 'next']);
  });

  it('replaces invalid UTF-8 instead of failing', () => {
    expect(scan([Uint8Array.of(0x41, 0xff, 0xfe, 0x42, 0x0a)])[0]!.line).toBe('A\uFFFD\uFFFDB');
  });

  it('cuts absurdly long lines at MAX_LINE_CHARS but keeps counting lines', () => {
    const long = 'x'.repeat(MAX_LINE_CHARS * 3);
    const lines = scan([`${long}\nafter\n`]);
    expect(lines[0]!.line.length).toBe(MAX_LINE_CHARS);
    expect(lines[1]).toMatchObject({ line: 'after', n: 2 });
    // The same when the long line arrives in many chunks.
    const chunked = scan([...long.match(/.{1,1000}/g)!, '\nafter\n']);
    expect(chunked.map((l) => [l.line.length, l.n])).toEqual([
      [MAX_LINE_CHARS, 1],
      [5, 2],
    ]);
  });

  it('marks chunks with control characters as needing cleaning', () => {
    expect(scan(['plain\r\n'])[0]!.clean).toBe(true);
    expect(scan(['with \x1b[1mescape\n'])[0]!.clean).toBe(false);
    expect(scan(['nul\x00\n'])[0]!.clean).toBe(false);
  });
});

describe('LineSplitter for console.log (CONSOLE_LINES)', () => {
  const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

  it('splits chunks into lines, drops \\r\\n endings, keeps bytes, holds partial lines until end', () => {
    const lines: string[] = [];
    const s = new LineSplitter((text, start, end) => lines.push(text.slice(start, end)), CONSOLE_LINES);
    s.push(bytes('[ 0.1] a\r\n[ 0.2] b'));
    s.push(bytes('cd\n\xff\x00\r\r\nprompt# '));
    expect(lines).toEqual(['[ 0.1] a', '[ 0.2] bcd', '\xff\x00']);
    s.end();
    expect(lines.at(-1)).toBe('prompt# ');
  });

  it('gives every byte back unchanged, C1 controls and invalid UTF-8 included', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a));
    const [line] = split(CONSOLE_LINES, [all.subarray(0, 100), all.subarray(100), bytes('\n')]);
    expect(Buffer.from(line!.line, 'latin1')).toEqual(all);
  });

  it("drops all the \\r's before a \\n, also when the \\n comes in the next chunk", () => {
    expect(split(CONSOLE_LINES, [bytes('a\r'), bytes('\r\nb\r')]).map((l) => l.line)).toEqual(['a', 'b\r']);
  });

  it('never cuts a complete line, but writes out a partial line of more than maxLine as it stands', () => {
    const max = CONSOLE_LINES.maxLine;
    const long = 'x'.repeat(max + 10);
    expect(split(CONSOLE_LINES, [bytes(`${long}\nafter\n`)]).map((l) => l.line.length)).toEqual([
      max + 10,
      5,
    ]);
    // Held back: not yet over the limit.
    expect(split(CONSOLE_LINES, [bytes('x'.repeat(max))], false)).toEqual([]);
    // Over the limit at the end of a chunk: out at once; the rest of it is a line of its own.
    const out = split(CONSOLE_LINES, [bytes('x'.repeat(max)), bytes('yy\r'), bytes('zz\r\n')], false);
    expect(out.map((l) => [l.line.length, l.n])).toEqual([
      [max + 3, 1],
      [2, 2],
    ]);
    expect(out[0]!.line.endsWith('yy\r')).toBe(true);
  });
});
