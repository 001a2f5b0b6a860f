/**
 * The log lines a report quotes, each with the stack frame it shows (to symbolise it):
 *
 * - a kernel finding: the console lines of its occurrence (Finding.firstLine..lastLine),
 *   with the host's timestamps and the `<N>` syslog prefix taken off and the printk
 *   timestamp and caller id kept, as `dmesg` shows them. Lines that are not the kernel's
 *   (user-space output, /dev/kmsg records) are left out, and so are other tasks' and CPUs'
 *   lines when the report's header has a PRINTK_CALLER id, since the scanner keeps reports
 *   apart by it; stalls and lockups keep every CPU's, for their NMI backtraces.
 * - a probe's hang: the case's diagnostic lines as it printed them.
 *
 * Pure; symbolisation happens at the edge (symbols.ts), keyed by frameKey().
 */
import { splitConsoleLine } from '../../machine/console-log.ts';
import { splitPrefix, cleanLine as stripCodes } from '../../scan/decode.ts';
import { parseFrame, parseRip } from '../../scan/frames.ts';
import type { Category, Finding, Frame } from '../../scan/types.ts';
import type { Bug, Occurrence } from './types.ts';

export interface QuotedLine {
  text: string;
  /** The frame the line shows, when it is a stack line; `source` set when the log already had it. */
  frame: Frame | null;
}

/** Categories whose report gathers other CPUs' lines (NMI backtraces). */
const ALL_CPUS: ReadonlySet<Category> = new Set(['rcu-stall', 'soft-lockup', 'hard-lockup']);

// Where a printk record starts in a console line: `<4>[    4.343145][   T60] …`.
const RECORD = /(?:<\d{1,3}>)?(\[ *\d{1,10}\.\d{1,9}\].*)$/;

/** The console lines of a finding's occurrence. `console` is console.log's lines as written. */
export function quoteFinding(console: readonly string[], finding: Finding): QuotedLine[] {
  const raw = console.slice(Math.max(0, finding.firstLine - 1), Math.max(0, finding.lastLine));
  const lines = raw.map((l, i) => {
    const text = stripCodes(splitConsoleLine(l).text);
    return { text, parsed: splitPrefix(text, finding.firstLine + i, true) };
  });
  const caller = lines[0]?.parsed.caller ?? '';
  // A log without printk timestamps cannot tell the kernel's lines from others: keep them all.
  const timed = lines.some(({ parsed }) => parsed.time !== null);
  const keep = lines.filter(
    ({ parsed }) =>
      !timed ||
      (parsed.kernel &&
        parsed.time !== null &&
        (caller === '' || ALL_CPUS.has(finding.category) || parsed.caller === caller)),
  );
  return keep.map(({ text, parsed }) => ({
    text: RECORD.exec(text)?.[1] ?? text,
    frame: lineFrame(parsed.text),
  }));
}

/** A probe's diagnostic lines; the kernel stacks it printed are frames too. */
export function quoteProbe(log: readonly string[]): QuotedLine[] {
  return log.map((text) => {
    const f = parseFrame(text);
    return {
      text,
      frame:
        f === undefined
          ? null
          : { function: f.function, offset: f.offset, module: f.module, source: f.source, ip: false },
    };
  });
}

/** The frame of one message: `RIP: 0010:f+0x1/0x2` traps there, a stack line returns there. */
function lineFrame(message: string): Frame | null {
  const rip = parseRip(message.trim());
  if (rip !== undefined) return rip;
  const f = parseFrame(message);
  if (f === undefined || f.offset === null) return null;
  return { function: f.function, offset: f.offset, module: f.module, source: f.source, ip: false };
}

/** What symbolisation is keyed by: the same printed frame resolves to the same line. */
export function frameKey(f: Frame): string {
  return `${f.module ?? ''}|${f.function}+${f.offset ?? ''}|${f.ip ? 'ip' : 'ret'}`;
}

/** The lines a report quotes for one occurrence; null for a finding whose console.log is gone. */
export function quotedOccurrence(o: Occurrence): QuotedLine[] | null {
  if (o.kind === 'probe') return quoteProbe(o.hang.log);
  const lines = o.cell.consoleLines();
  return lines === null ? null : quoteFinding(lines, o.finding);
}

/** Every frame a bug's report quotes (the occurrences of the cell it shows), to symbolise. */
export function bugFrames(bug: Bug): Frame[] {
  return bug.occurrences
    .filter((o) => o.cell === bug.shown)
    .flatMap((o) => quotedOccurrence(o) ?? [])
    .flatMap((l) => (l.frame === null ? [] : [l.frame]));
}
