/**
 * The results channel: the guest's second serial port (ttyS1, raw mode), which carries
 * only what /init writes, so step results never interleave with kernel messages.
 *
 * Framing. Every control line starts with `@zdh:<nonce> `, where the nonce is random per
 * run (a step's own output cannot forge a frame):
 *
 *   @zdh:N ready <kernel release> <uptime>
 *   @zdh:N begin <index> <name> <uptime>
 *   <the step's stdout and stderr, raw bytes>
 *   \n@zdh:N end <index> <name> <status> <timedout 0|1> <uptime>
 *   @zdh:N shell <uptime>            (interactive shell started on the console)
 *   @zdh:N note <text>               (a message from /init itself)
 *   @zdh:N done <uptime>
 *
 * The newline before `end` is part of the frame, not of the output, so output is
 * returned byte for byte, with or without a final newline. Uptimes are the guest's
 * /proc/uptime in seconds.
 *
 * Heartbeat. From `ready` on, a background loop in /init writes
 *
 *   \x02@zdh:N alive <uptime>\x03
 *
 * every few seconds, between two of a step's writes (the tty serialises whole writes),
 * so anywhere in the stream, even mid-line. It is cut out byte for byte before anything
 * else is decoded, so a step's output stays exactly what the step wrote.
 *
 * Blocked tasks. While a step runs, each heartbeat is followed by
 *
 *   \x02@zdh:N blocked <uptime> <tid>:<context switches>:<comm> ...\x03
 *
 * when any task of the step's session is in D state (comm with spaces and colons as `_`):
 * the supervisor judges a task that stays there without a context switch for a minute as
 * stuck, on kernels with no hung-task detector too. Cut out the same way.
 */

export type ChannelEvent =
  | { kind: 'ready'; release: string; uptime: number }
  | { kind: 'begin'; index: number; name: string; uptime: number }
  | { kind: 'output'; index: number; data: Buffer }
  | { kind: 'end'; index: number; name: string; status: number; timedOut: boolean; uptime: number }
  | { kind: 'shell'; uptime: number }
  | { kind: 'note'; text: string }
  | { kind: 'done'; uptime: number }
  /** The heartbeat: user space in the guest still runs and its interrupts are served. */
  | { kind: 'alive'; uptime: number }
  /** With a heartbeat, while a step runs: its tasks in D state (uninterruptible sleep). */
  | { kind: 'blocked'; uptime: number; tasks: BlockedTask[] }
  /** Bytes outside any step that are not a frame (e.g. a step's background child writing late). */
  | { kind: 'noise'; data: Buffer };

/** Lines longer than this outside a step are passed on as noise rather than buffered forever. */
const MAX_LINE = 64 * 1024;

export function framePrefix(nonce: string): string {
  return `@zdh:${nonce} `;
}

const STX = 0x02;
const ETX = 0x03;
/** Room for a heartbeat's uptime: its ETX must come within this many bytes. */
const MAX_UPTIME = 32;
/** Room for a blocked-task report (/init writes at most 32 tasks). */
const MAX_BLOCKED = 4096;

interface InBandFrame {
  /** STX and the frame's prefix, up to and with the space after the verb. */
  head: Buffer;
  maxPayload: number;
  parse: (payload: string) => ChannelEvent;
}

/** A task of the running step in D state, as /init saw it: thread id, context switches so far, name. */
export interface BlockedTask {
  tid: number;
  switches: number;
  comm: string;
}

/** `<uptime> <tid>:<switches>:<comm> ...`; entries that do not parse are left out. */
function parseBlocked(payload: string): ChannelEvent {
  const [up, ...rest] = payload.split(' ');
  const tasks: BlockedTask[] = [];
  for (const w of rest) {
    const m = /^(\d+):(\d+):(.*)$/.exec(w);
    if (m) tasks.push({ tid: Number(m[1]), switches: Number(m[2]), comm: m[3]! });
  }
  return { kind: 'blocked', uptime: toNum(up), tasks };
}

export class ChannelDecoder {
  /** The frames cut out of the raw stream wherever they are: heartbeats, blocked tasks. */
  private readonly inBand: readonly InBandFrame[];
  /** Raw bytes held back: a heartbeat that has begun but not ended yet. */
  private held: Buffer = Buffer.alloc(0);
  private readonly prefix: Buffer;
  private readonly endDelimiter: Buffer;
  private buf: Buffer = Buffer.alloc(0);
  /** The step whose output is streaming, or undefined between steps. */
  private step: { index: number; name: string } | undefined;

  constructor(nonce: string) {
    if (!/^[A-Za-z0-9]+$/.test(nonce)) throw new Error(`bad channel nonce: ${nonce}`);
    const head = (verb: string): Buffer =>
      Buffer.concat([Buffer.from([STX]), Buffer.from(`${framePrefix(nonce)}${verb} `)]);
    this.inBand = [
      { head: head('alive'), maxPayload: MAX_UPTIME, parse: (p) => ({ kind: 'alive', uptime: toNum(p) }) },
      { head: head('blocked'), maxPayload: MAX_BLOCKED, parse: parseBlocked },
    ];
    this.prefix = Buffer.from(framePrefix(nonce));
    this.endDelimiter = Buffer.from(`\n${framePrefix(nonce)}end `);
  }

  /** The step currently streaming output, if any. */
  get currentStep(): { index: number; name: string } | undefined {
    return this.step;
  }

  push(chunk: Uint8Array): ChannelEvent[] {
    const out: ChannelEvent[] = [];
    const data = this.cutHeartbeats(chunk, out);
    this.buf = this.buf.length === 0 ? Buffer.from(data) : Buffer.concat([this.buf, data]);
    for (;;) {
      const before = this.buf.length;
      const stepBefore = this.step;
      if (this.step) this.drainStep(out);
      else this.drainLine(out);
      if (this.buf.length === before && this.step === stepBefore) break;
    }
    return out;
  }

  /** The stream ended: whatever is buffered is returned as output or noise. */
  end(): ChannelEvent[] {
    const out: ChannelEvent[] = [];
    if (this.held.length > 0) {
      this.buf = Buffer.concat([this.buf, this.held]);
      this.held = Buffer.alloc(0);
    }
    if (this.buf.length > 0) {
      if (this.step) out.push({ kind: 'output', index: this.step.index, data: this.buf });
      else out.push({ kind: 'noise', data: this.buf });
    }
    this.buf = Buffer.alloc(0);
    return out;
  }

  /**
   * Removes complete heartbeats and blocked-task reports from the raw stream (emitting
   * `alive` and `blocked`), and holds back a tail that may be the start of one: from an STX
   * that could begin it to the end.
   */
  private cutHeartbeats(chunk: Uint8Array, out: ChannelEvent[]): Buffer {
    let raw = this.held.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.held, chunk]);
    this.held = Buffer.alloc(0);
    const kept: Buffer[] = [];
    for (;;) {
      let k = -1;
      let beat: InBandFrame | undefined;
      for (const b of this.inBand) {
        const i = raw.indexOf(b.head);
        if (i >= 0 && (k < 0 || i < k)) {
          k = i;
          beat = b;
        }
      }
      if (!beat) {
        const stx = raw.lastIndexOf(STX);
        const tail = stx < 0 ? Buffer.alloc(0) : raw.subarray(stx);
        if (
          tail.length > 0 &&
          this.inBand.some((b) => tail.length < b.head.length && b.head.subarray(0, tail.length).equals(tail))
        ) {
          this.held = Buffer.from(tail);
          raw = raw.subarray(0, stx);
        }
        kept.push(raw);
        break;
      }
      const limit = beat.head.length + beat.maxPayload;
      const e = raw.indexOf(ETX, k + beat.head.length);
      if (e < 0 || e - k > limit) {
        if (e < 0 && raw.length - k <= limit) {
          kept.push(raw.subarray(0, k));
          this.held = Buffer.from(raw.subarray(k));
          break;
        }
        // Not a frame after all (no ETX where one must be): pass the STX on as output.
        kept.push(raw.subarray(0, k + 1));
        raw = raw.subarray(k + 1);
        continue;
      }
      kept.push(raw.subarray(0, k));
      out.push(beat.parse(raw.toString('latin1', k + beat.head.length, e)));
      raw = raw.subarray(e + 1);
    }
    return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
  }

  private drainStep(out: ChannelEvent[]): void {
    const step = this.step!;
    const k = this.buf.indexOf(this.endDelimiter);
    if (k < 0) {
      // Keep a tail that could be the start of the delimiter.
      const keep = Math.min(this.buf.length, this.endDelimiter.length - 1);
      const emit = this.buf.length - keep;
      if (emit > 0) {
        out.push({ kind: 'output', index: step.index, data: this.buf.subarray(0, emit) });
        this.buf = this.buf.subarray(emit);
      }
      return;
    }
    const nl = this.buf.indexOf(0x0a, k + this.endDelimiter.length);
    if (k > 0) {
      out.push({ kind: 'output', index: step.index, data: this.buf.subarray(0, k) });
      this.buf = this.buf.subarray(k);
    }
    if (nl < 0) return;
    const line = this.buf.toString('utf8', this.endDelimiter.length, nl - k).replace(/\r$/, '');
    this.buf = this.buf.subarray(nl - k + 1);
    this.step = undefined;
    const f = line.split(' ');
    out.push({
      kind: 'end',
      index: toInt(f[0], step.index),
      name: f[1] ?? step.name,
      status: toInt(f[2], -1),
      timedOut: f[3] === '1',
      uptime: toNum(f[4]),
    });
  }

  private drainLine(out: ChannelEvent[]): void {
    const nl = this.buf.indexOf(0x0a);
    if (nl < 0) {
      if (this.buf.length > MAX_LINE) {
        out.push({ kind: 'noise', data: this.buf });
        this.buf = Buffer.alloc(0);
      }
      return;
    }
    const raw = this.buf.subarray(0, nl + 1);
    this.buf = this.buf.subarray(nl + 1);
    const p = raw.indexOf(this.prefix);
    if (p < 0) {
      out.push({ kind: 'noise', data: raw });
      return;
    }
    if (p > 0) out.push({ kind: 'noise', data: raw.subarray(0, p) });
    const line = raw
      .toString('utf8', p + this.prefix.length)
      .replace(/\r?\n$/, '')
      .replace(/\r$/, '');
    const sp = line.indexOf(' ');
    const verb = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    const f = rest.split(' ');
    switch (verb) {
      case 'ready':
        out.push({ kind: 'ready', release: f[0] ?? '', uptime: toNum(f[1]) });
        return;
      case 'begin': {
        const index = toInt(f[0], -1);
        const name = f[1] ?? '';
        this.step = { index, name };
        out.push({ kind: 'begin', index, name, uptime: toNum(f[2]) });
        return;
      }
      case 'shell':
        out.push({ kind: 'shell', uptime: toNum(f[0]) });
        return;
      case 'done':
        out.push({ kind: 'done', uptime: toNum(f[0]) });
        return;
      case 'note':
        out.push({ kind: 'note', text: rest });
        return;
      default:
        out.push({ kind: 'noise', data: raw });
    }
  }
}

function toInt(s: string | undefined, fallback: number): number {
  if (s === undefined || !/^-?\d+$/.test(s)) return fallback;
  return Number(s);
}

function toNum(s: string | undefined): number {
  const n = s === undefined ? Number.NaN : Number(s);
  return Number.isFinite(n) ? n : Number.NaN;
}
