/**
 * The serial console as it arrives, one line at a time, each prefixed with the host's
 * time (ISO 8601, UTC, milliseconds) and a space:
 *
 *   2025-11-25T20:47:41.123Z [    1.448753] Run /init as init process
 *
 * The line's bytes are kept as they came (minus the trailing \r\n): the log may hold
 * NULs, escapes and invalid UTF-8. splitConsoleLine() takes the stamp off again.
 */

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

/** Longest partial line held back before it is written out anyway. */
const MAX_PARTIAL = 16 * 1024;

/**
 * Splits console bytes into lines. Each complete line goes to `onLine` with the time it
 * was completed; a partial line is held until its newline arrives (or flush()).
 */
export class LineSplitter {
  private partial: Buffer = Buffer.alloc(0);
  private readonly onLine: (line: Buffer) => void;

  constructor(onLine: (line: Buffer) => void) {
    this.onLine = onLine;
  }

  push(chunk: Uint8Array): void {
    let buf = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : Buffer.from(chunk);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) break;
      let end = nl;
      while (end > 0 && buf[end - 1] === 0x0d) end--;
      this.onLine(buf.subarray(0, end));
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > MAX_PARTIAL) {
      this.onLine(buf);
      buf = Buffer.alloc(0);
    }
    this.partial = buf;
  }

  flush(): void {
    if (this.partial.length > 0) this.onLine(this.partial);
    this.partial = Buffer.alloc(0);
  }
}
