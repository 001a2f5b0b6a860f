/**
 * The serial console as it arrives, one line at a time, each prefixed with the host's
 * time (ISO 8601, UTC, milliseconds) and a space:
 *
 *   2025-11-25T20:47:41.123Z [    1.448753] Run /init as init process
 *
 * The line's bytes are kept as they came (minus the trailing \r\n): the log may hold
 * NULs, escapes and invalid UTF-8. splitConsoleLine() takes the stamp off again.
 */

import type { LineSplitterOptions } from '../util/line-splitter.ts';

const STAMP_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;

export function stampLine(at: Date, line: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${at.toISOString()} `), line, Buffer.from('\n')]);
}

/** Splits a console.log line into the host time and the console text. */
export function splitConsoleLine(line: string): { hostTime: string | undefined; text: string } {
  const m = STAMP_RE.exec(line);
  if (!m) return { hostTime: undefined, text: line };
  return { hostTime: m[1], text: line.slice(m[0].length) };
}

// `<N>` (console_msg_format=syslog, see cmdline.ts), then `[   12.345678]` (PRINTK_TIME).
const PRINTK_PREFIX = /^(?:<(\d{1,3})>)?\[ *\d{1,10}\.\d{1,9}\]/;

/**
 * Who put a console line there, from its printk prefix:
 *   'kernel'  a printk record of the kernel's own (facility 0, or no syslog prefix shown);
 *   'user'    a record user space wrote to /dev/kmsg: the kernel gives those a facility of
 *             1 or more whatever the writer asks for (kernel/printk/printk.c devkmsg_write),
 *             and the console shows it as `<facility*8+level>`, so `<8>` and up;
 *   'console' no printk prefix: written to the console device directly, or a log without
 *             timestamps.
 */
export function lineOrigin(text: string): 'kernel' | 'user' | 'console' {
  const m = PRINTK_PREFIX.exec(text);
  if (!m) return 'console';
  return m[1] !== undefined && Number(m[1]) >= 8 ? 'user' : 'kernel';
}

/**
 * How attempt.ts splits the console into lines (util/line-splitter.ts): byte for byte
 * ('latin1': `Buffer.from(line, 'latin1')` gives the bytes back), a line never cut, but a
 * partial line of more than 16 KiB written out anyway, its newline being long overdue.
 */
export const CONSOLE_LINES: LineSplitterOptions = {
  encoding: 'latin1',
  maxLine: 16 * 1024,
  overlong: 'split',
};
