/**
 * A stream of chunks (bytes or text, split anywhere) to lines: the one splitter of both
 * readers of a serial console, the run's console.log (machine/attempt.ts, with
 * machine/console-log.ts CONSOLE_LINES) and the log scanner (scan/scanner.ts, with
 * scan/decode.ts SCAN_LINES). Pure: no I/O; the caller feeds chunks in order.
 *
 * A line ends at `\n`, and the `\r`s right before that `\n` are not part of it (serial
 * consoles put one before every `\n`). A last line without a `\n` comes out at end().
 * Line numbers count every line emitted.
 */
import { TextDecoder } from 'node:util';

export interface LineSplitterOptions {
  /**
   * How bytes become text. 'utf-8': invalid sequences become U+FFFD, a character split
   * across chunks is joined. 'latin1': one char per byte, so `Buffer.from(line, 'latin1')`
   * gives the line's bytes back exactly (NULs, escapes and invalid UTF-8 included).
   */
  encoding: 'utf-8' | 'latin1';
  /** Longest line, in chars (bytes, with 'latin1'). */
  maxLine: number;
  /**
   * What becomes of a longer line. 'cut': its first maxLine chars are the line, the rest
   * is dropped up to its `\n`. 'split': a line that arrives complete is never cut, but a
   * partial line still longer than maxLine once a chunk is taken in is emitted as it
   * stands (its `\r`s kept), and what follows starts a new line.
   */
  overlong: 'cut' | 'split';
}

/**
 * Receives one line as a range of a larger string (no copy is made for lines that nobody
 * looks at): `text.slice(start, end)` is the line. `clean` says the range holds no control
 * characters or escapes but `\t` and `\r` (so the scanner needs no cleanLine); a line
 * that spanned chunks always comes with `clean` false.
 */
export type LineSink = (text: string, start: number, end: number, n: number, clean: boolean) => void;

// Control characters, DEL and C1 (ESC included): what scan/decode.ts cleanLine removes,
// except `\r`, which serial consoles put before every `\n`. (A negated class of allowed
// characters is the fastest form of this test.) A lone `\r` inside a line is left to the
// line's reader.
const NEEDS_CLEANING = /[^\t\n\r -~\xa0-\uffff]/;

const CR = 13;

export class LineSplitter {
  readonly #decoder: TextDecoder | undefined;
  readonly #emit: LineSink;
  readonly #maxLine: number;
  readonly #cut: boolean;
  #carry = '';
  /** ('cut') The current line passed maxLine: drop the rest of it until its `\n`. */
  #overlong = false;
  #line = 0;

  constructor(emit: LineSink, options: LineSplitterOptions) {
    this.#emit = emit;
    this.#maxLine = options.maxLine;
    this.#cut = options.overlong === 'cut';
    this.#decoder =
      options.encoding === 'utf-8' ? new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }) : undefined;
  }

  /** Lines emitted so far. */
  get lines(): number {
    return this.#line;
  }

  push(chunk: Uint8Array | string): void {
    this.#pushText(typeof chunk === 'string' ? chunk : this.#decode(chunk));
  }

  /** Emits the last line (one without a trailing newline), if there is one. */
  end(): void {
    if (this.#decoder) this.#pushText(this.#decoder.decode());
    if (this.#carry !== '' || this.#overlong) this.#flushCarry(false);
  }

  #decode(bytes: Uint8Array): string {
    if (this.#decoder) return this.#decoder.decode(bytes, { stream: true });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }

  #pushText(text: string): void {
    const clean = !NEEDS_CLEANING.test(text);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (this.#carry === '' && !this.#overlong) {
        let end = nl;
        while (end > start && text.charCodeAt(end - 1) === CR) end--;
        if (this.#cut && end - start > this.#maxLine) end = start + this.#maxLine;
        this.#emit(text, start, end, ++this.#line, clean);
      } else {
        this.#append(text, start, nl);
        this.#flushCarry(true);
      }
      start = nl + 1;
    }
    if (start < text.length) this.#append(text, start, text.length);
    if (!this.#cut && this.#carry.length > this.#maxLine) this.#flushCarry(false);
  }

  #append(text: string, from: number, to: number): void {
    if (this.#overlong) return;
    const room = this.#cut ? this.#maxLine - this.#carry.length : Number.POSITIVE_INFINITY;
    if (to - from > room) {
      this.#carry += text.slice(from, from + room);
      this.#overlong = true;
    } else {
      this.#carry += text.slice(from, to);
    }
  }

  /** Emits the carried line; `atNewline` when its `\n` arrived (then its `\r`s go, unless it was cut). */
  #flushCarry(atNewline: boolean): void {
    const line = this.#carry;
    let end = line.length;
    if (atNewline && !this.#overlong) while (end > 0 && line.charCodeAt(end - 1) === CR) end--;
    this.#carry = '';
    this.#overlong = false;
    // A line that spanned chunks is checked on its own: its pieces' chunks may differ.
    this.#emit(line, 0, end, ++this.#line, false);
  }
}
