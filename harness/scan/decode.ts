/**
 * Bytes to clean console lines. A console log is untrusted: it can hold NULs, `\r`,
 * ANSI escapes, invalid UTF-8 and lines of megabytes. util/line-splitter.ts with
 * SCAN_LINES makes lines of bounded length of it; this stage cleans them and splits the
 * printk prefix (timestamp, PRINTK_CALLER id) off. Pure: no I/O.
 */
import type { LineSplitterOptions } from '../util/line-splitter.ts';
import { stripTerminalCodes } from '../util/terminal-text.ts';
import type { LogLine } from './types.ts';

/** Longer lines are cut here. printk records are at most 1024 bytes, so nothing kernel is lost. */
export const MAX_LINE_CHARS = 4096;

/** How the scanner splits a log into lines (util/line-splitter.ts): text as UTF-8, long lines cut. */
export const SCAN_LINES: LineSplitterOptions = {
  encoding: 'utf-8',
  maxLine: MAX_LINE_CHARS,
  overlong: 'cut',
};

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
