/**
 * Bytes to clean console lines. A console log is untrusted: it can hold NULs, `\r`,
 * ANSI escapes, invalid UTF-8 and lines of megabytes. This stage turns it into lines of
 * bounded length with the printk prefix (timestamp, PRINTK_CALLER id) split off.
 * Pure: no I/O; the caller feeds chunks in order.
 */
import { stripTerminalCodes } from '../util/terminal-text.ts';
import type { LogLine } from './types.ts';

/** Longer lines are cut here. printk records are at most 1024 bytes, so nothing kernel is lost. */
export const MAX_LINE_CHARS = 4096;

/**
 * Receives one line as a range of a larger string (no copy is made for lines that nobody
 * looks at): `text.slice(start, end)` is the line without its `\n` (a trailing `\r` is
 * excluded too). `clean` says the range holds no control characters or escapes, so it
 * needs no cleanLine.
 */
export type LineSink = (text: string, start: number, end: number, n: number, clean: boolean) => void;

// Control characters, DEL and C1 (ESC included): what cleanLine removes, except `\r`, which
// serial consoles put before every `\n`. (A negated class of allowed characters is the
// fastest form of this test.) A lone `\r` inside a line is left to the line's reader.
const NEEDS_CLEANING = /[^\t\n\r -~\xa0-\uffff]/;

/** Splits a stream of chunks into lines; line numbers count every `\n` in the input. */
export class LineSplitter {
  readonly #decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  readonly #emit: LineSink;
  #carry = '';
  /** The current line passed MAX_LINE_CHARS: drop the rest of it until its `\n`. */
  #overlong = false;
  #line = 0;

  constructor(emit: LineSink) {
    this.#emit = emit;
  }

  /** Lines emitted so far. */
  get lines(): number {
    return this.#line;
  }

  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    this.#pushText(text);
  }

  /** Flushes the last line (one without a trailing newline). */
  end(): void {
    this.#pushText(this.#decoder.decode());
    if (this.#carry !== '' || this.#overlong) this.#flushCarry();
  }

  #pushText(text: string): void {
    const clean = !NEEDS_CLEANING.test(text);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (this.#carry === '' && !this.#overlong) {
        let end = nl;
        if (end > start && text.charCodeAt(end - 1) === 13) end--;
        if (end - start > MAX_LINE_CHARS) end = start + MAX_LINE_CHARS;
        this.#emit(text, start, end, ++this.#line, clean);
      } else {
        this.#append(text, start, nl);
        this.#flushCarry();
      }
      start = nl + 1;
    }
    if (start < text.length) this.#append(text, start, text.length);
  }

  #append(text: string, from: number, to: number): void {
    if (this.#overlong) return;
    const room = MAX_LINE_CHARS - this.#carry.length;
    if (to - from > room) {
      this.#carry += text.slice(from, from + room);
      this.#overlong = true;
    } else {
      this.#carry += text.slice(from, to);
    }
  }

  #flushCarry(): void {
    const line = this.#carry;
    this.#carry = '';
    this.#overlong = false;
    // A line that spanned chunks is checked on its own: its pieces' chunks may differ.
    this.#emit(line, 0, line.length, ++this.#line, false);
  }
}

/** A console line for matching: util/terminal-text.ts, the parsers' one strip policy. */
export const cleanLine = stripTerminalCodes;

// `<4>` syslog facility*8+level (console_msg_format=syslog), `[   12.345678]` printk time,
// `[  T123]` / `[    C1]` PRINTK_CALLER.
const PREFIX = /^(?:<(\d{1,3})>)?(?:\[ *(\d{1,10}\.\d{1,9})\](?:\[ *([TC]\d{1,10})\])? ?)?/;
// A kernel line glued to the end of a user-space line that had no newline.
const EMBEDDED = /(?:<(\d{1,3})>)?\[ *(\d{1,10}\.\d{6})\](?:\[ *([TC]\d{1,10})\])? ?/;

/**
 * A printk record is the kernel's unless its syslog prefix shows a facility other than 0:
 * the kernel gives every record user space writes to /dev/kmsg a facility of 1 or more,
 * whatever the writer asks for (kernel/printk/printk.c devkmsg_write), so `<8>` and up
 * cannot be the kernel's own.
 */
const fromKernel = (syslog: string | undefined): boolean => syslog === undefined || Number(syslog) < 8;

/**
 * Splits the printk prefix off a cleaned line. When `seenKernel` (the log has timestamps)
 * and a timestamp appears mid-line, what precedes it is user-space output and is dropped.
 * `kernel` is true for the kernel's own records; a /dev/kmsg record keeps its time.
 */
export function splitPrefix(line: string, n: number, seenKernel: boolean): LogLine {
  const c = line.charCodeAt(0);
  if (c === 91 /* [ */ || c === 60 /* < */) {
    const m = PREFIX.exec(line)!;
    if (m[2] !== undefined) {
      const text = line.slice(m[0].length);
      return { n, text, time: Number(m[2]), caller: m[3] ?? '', kernel: fromKernel(m[1]) };
    }
    if (m[0].length > 0) return { n, text: line.slice(m[0].length), time: null, caller: '', kernel: false };
  }
  if (seenKernel && line.indexOf('[') > 0) {
    const m = EMBEDDED.exec(line);
    if (m) {
      return {
        n,
        text: line.slice(m.index + m[0].length),
        time: Number(m[2]),
        caller: m[3] ?? '',
        kernel: fromKernel(m[1]),
      };
    }
  }
  return { n, text: line, time: null, caller: '', kernel: false };
}
