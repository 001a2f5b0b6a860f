/**
 * Groups console lines into reports. Per printing context (PRINTK_CALLER id, or one
 * shared context when the log has none) it keeps:
 * - a prelude: lines that come before a header and belong to it — `cut here`, the WARN
 *   message (`refcount_t: …`), the dump_page() printed before a VM_BUG_ON/VM_WARN_ON, the
 *   `=====` rule before KASAN/UBSAN;
 * - the open report, from its header until its end line (`---[ end trace`, a rule,
 *   `---[ end Kernel panic`), the end of its stack dump, or the next header.
 * Interleaved reports from different CPUs/tasks are separated by their caller ids. NMI
 * backtraces that a stall or lockup triggers on other CPUs are attached to it.
 * Work per line is constant (bounded regexes over a bounded line, bounded buffers), so
 * the whole pass is linear in the input.
 */
import {
  BODY,
  CONSEQUENTIAL_PANIC,
  CUT_HERE,
  END_PANIC,
  END_TRACE,
  type Header,
  LOOSE_PROOF,
  matchHeader,
  NMI_BACKTRACE,
  PAGE_DUMP_START,
  PERCPU_REF,
  REFCOUNT_T,
  REFCOUNT_T_AT,
  RULE,
  VM_CHECK_REASON,
} from './headers.ts';
import type { LogLine } from './types.ts';

/** Lines kept per report; later ones only move lastLine. */
export const MAX_REPORT_LINES = 400;
/** A prelude not followed by a header within this many lines of its context is dropped. */
const MAX_PRELUDE_LINES = 80;
/**
 * A loose header (`BUG: …`, `WARNING: …` in no exact kernel format) is a report only when
 * dump_stack()'s `CPU: N PID: N Comm:` line follows within this many lines (lockdep prints
 * its lock chains first).
 */
const LOOSE_HEADER_WINDOW = 60;
/** After its stack, a report waiting for its end line gives up after this many foreign lines. */
const MAX_IDLE_LINES = 40;
/** A report that never shows a stack stops collecting after this many lines. */
const MAX_STACKLESS_LINES = 250;
/** Contexts with open state; beyond this the oldest is closed (bounds memory on hostile input). */
const MAX_CONTEXTS = 64;
/** A consequential panic this close after a report is part of it. */
const PANIC_AFTER_REPORT_LINES = 200;

export interface RawReport {
  header: Header;
  /** Prelude, header and body lines of the report's context, capped at MAX_REPORT_LINES. */
  lines: LogLine[];
  /** Index in `lines` of the header line. */
  headerIndex: number;
  firstLine: number;
  lastLine: number;
  workload: string;
  /** Why the segmenter already knows this report is corrupted, or ''. */
  corrupted: string;
}

interface OpenReport {
  header: Header;
  ctx: string;
  lines: LogLine[];
  headerIndex: number;
  first: number;
  last: number;
  workload: string;
  /** A frame-like (indented) line after a `Call Trace:` / RIP / frames. */
  stackSeen: boolean;
  /** `Call Trace:` or `backtrace:` was printed (a 'backtrace' report's stack starts after it). */
  traceSeen: boolean;
  /** A loose header was followed by dump_stack()'s CPU line. */
  proven: boolean;
  hasDie: boolean;
  panicked: boolean;
  idle: number;
  span: number;
  /** Contexts whose lines are routed here (NMI backtraces of other CPUs). */
  attached: string[];
}

interface Prelude {
  lines: LogLine[];
  span: number;
  /** Started by a `=====` rule: only the header right after it (KASAN, UBSAN) claims it. */
  rule: boolean;
  /** Holds a dump_page(): the header can be a page_owner stack away. */
  pageDump: boolean;
  /** `page dumped because: VM_…` or a refcount_t / percpu-ref message: worth a finding alone. */
  significant: LogLine | undefined;
  workload: string;
}

interface Ctx {
  report: OpenReport | undefined;
  prelude: Prelude | undefined;
  /** Set when this context's lines are routed to another context's report. */
  attachedTo: OpenReport | undefined;
  touched: number;
}

const FRAME_LIKE =
  /^(?:kmemleak: )?\s+(?:\? )?(?:\[<[0-9a-f]+>\] )?[A-Za-z_.$][\w.$]*(?:\+0x|\s+\(?[\w./-]+:\d)/;
/**
 * Messages that print a dump_stack() of their own (warn_alloc, the OOM killer, fault
 * injection; syzkaller's infoMessagesWithStack): the CPU line after them does not prove an
 * earlier loose `BUG:`/`WARNING:` line to be a report.
 */
const OWN_STACK_DUMP =
  /page allocation failure:|invoked oom-killer:|^FAULT_INJECTION: forcing a failure|^vmalloc: allocation failure|FAULT_FLAG_ALLOW_RETRY missing/;
/** lockdep_print_held_locks: ` #0: ffff… (&lock){+.+.}-{3:3}, at: f+0x…/0x…`. */
const HELD_LOCK = /^ #\d+: /;
const STALL_KINDS = new Set(['rcu-stall', 'hard-lockup', 'soft-lockup']);
const DIE_CONTINUES = new Set(['null-deref', 'page-fault', 'kernel-bug', 'bug', 'oops']);

export class Segmenter {
  readonly #ctxs = new Map<string, Ctx>();
  readonly #emit: (report: RawReport) => void;
  readonly #workload: () => string;
  #tick = 0;
  /** Line number of the last report closed, for panics that follow it. */
  #lastClosed = Number.NEGATIVE_INFINITY;
  /** Contexts whose state changed during this feed: dropped from #ctxs at its end when empty. */
  readonly #touched = new Set<string>();
  /** Lines examined, re-examinations included: the linear-work invariant tests check. */
  visits = 0;

  /** `workload` tells which step the line being fed belongs to (asked only when a report starts). */
  constructor(emit: (report: RawReport) => void, workload: () => string) {
    this.#emit = emit;
    this.#workload = workload;
  }

  /**
   * True while some context has an open report, prelude or attachment: then every line
   * must be fed. When false, a line that starts no header, prelude, or NMI backtrace
   * (see the scanner's fast path) changes nothing and may be skipped.
   */
  get busy(): boolean {
    return this.#ctxs.size > 0;
  }

  /** Feeds one kernel line. */
  feed(line: LogLine): void {
    this.#feed(line);
    // Empty contexts go, so that `busy` turns false again and the fast path resumes.
    this.#touched.add(line.caller);
    for (const key of this.#touched) {
      const ctx = this.#ctxs.get(key);
      if (
        ctx !== undefined &&
        ctx.report === undefined &&
        ctx.prelude === undefined &&
        ctx.attachedTo === undefined
      ) {
        this.#ctxs.delete(key);
      }
    }
    this.#touched.clear();
  }

  #feed(line: LogLine): void {
    this.visits++;
    this.#tick++;
    const header = matchHeader(line.text);
    if (header !== undefined) {
      const ctx = this.#ctx(line.caller);
      ctx.touched = this.#tick;
      this.#header(ctx, line, header);
      return;
    }
    const ctx = this.#ctxs.get(line.caller);
    if (ctx !== undefined) {
      ctx.touched = this.#tick;
      const report = ctx.report ?? ctx.attachedTo;
      if (report !== undefined) {
        if (this.#body(report, line)) return;
        // The report ended before this line: examine it again as a fresh line.
        this.visits++;
      }
    }
    this.#outside(ctx, line);
  }

  /** Closes everything still open (end of input). */
  finish(): void {
    for (const ctx of this.#ctxs.values()) {
      if (ctx.report !== undefined) this.#close(ctx.report);
      this.#expirePrelude(ctx);
    }
    this.#ctxs.clear();
  }

  #ctx(key: string): Ctx {
    let ctx = this.#ctxs.get(key);
    if (ctx === undefined) {
      if (this.#ctxs.size >= MAX_CONTEXTS) this.#evictOldest();
      ctx = { report: undefined, prelude: undefined, attachedTo: undefined, touched: this.#tick };
      this.#ctxs.set(key, ctx);
    }
    return ctx;
  }

  #evictOldest(): void {
    let oldestKey: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [key, ctx] of this.#ctxs) {
      if (ctx.touched < oldest) {
        oldest = ctx.touched;
        oldestKey = key;
      }
    }
    if (oldestKey === undefined) return;
    const ctx = this.#ctxs.get(oldestKey)!;
    if (ctx.report !== undefined) this.#close(ctx.report);
    this.#expirePrelude(ctx);
    this.#ctxs.delete(oldestKey);
  }

  #header(ctx: Ctx, line: LogLine, header: Header): void {
    if (ctx.attachedTo !== undefined) this.#detach(ctx, line.caller);
    const open = ctx.report;
    if (open !== undefined) {
      if (open.header.continues && open.span === 0 && open.header.category === header.category) {
        // The next header line of a symbolised KASAN/KMSAN report: the function it names is
        // the one the inlined functions named before it were inlined into.
        this.#append(open, line);
        if (open.header.func === '') open.header = header;
        return;
      }
      if (
        // A panic ends the open report (panic_on_oops, …), unless it is a report of its own
        // (stack-protector, corrupted stack end: headers.ts gives those their own title).
        (header.category === 'panic' && header.title === '') ||
        (header.die && !open.hasDie && DIE_CONTINUES.has(open.header.category))
      ) {
        this.#append(open, line);
        if (header.die) open.hasDie = true;
        if (header.category === 'panic') open.panicked = true;
        return;
      }
      this.#close(open);
    }
    if (header.category === 'panic' && CONSEQUENTIAL_PANIC.test(header.detail)) {
      if (line.n - this.#lastClosed <= PANIC_AFTER_REPORT_LINES) {
        // e.g. "Fatal exception" after the Oops it ends: that report is the finding.
        ctx.prelude = undefined;
        return;
      }
    }
    const prelude = ctx.prelude;
    ctx.prelude = undefined;
    const lines = prelude === undefined ? [line] : [...prelude.lines, line];
    ctx.report = {
      header,
      ctx: line.caller,
      lines,
      headerIndex: lines.length - 1,
      first: lines[0]!.n,
      last: line.n,
      workload: this.#workload(),
      stackSeen: false,
      traceSeen: false,
      proven: false,
      hasDie: header.die,
      panicked: header.category === 'panic',
      idle: 0,
      span: 0,
      attached: [],
    };
    if (header.end === 'line') this.#close(ctx.report);
  }

  /** Adds a line to an open report; false when the report ended before this line. */
  #body(r: OpenReport, line: LogLine): boolean {
    const text = line.text;
    r.span++;
    if (CUT_HERE.test(text)) {
      // A new WARN/BUG starts in this context: whatever was open here is done.
      this.#close(r);
      return false;
    }
    if (r.header.end === 'rule' && RULE.test(text)) {
      this.#append(r, line);
      this.#close(r);
      return true;
    }
    if (END_TRACE.test(text) && !r.panicked) {
      this.#append(r, line);
      if (r.header.end === 'trace' || r.stackSeen) this.#close(r);
      return true;
    }
    if (END_PANIC.test(text)) {
      this.#append(r, line);
      this.#close(r);
      return true;
    }
    if (!r.header.strict && !r.proven) {
      if (LOOSE_PROOF.test(text)) {
        r.proven = true;
      } else if (
        PAGE_DUMP_START.test(text) ||
        RULE.test(text) ||
        isSignificant(text) ||
        OWN_STACK_DUMP.test(text)
      ) {
        this.#release(r); // an unproven loose header must not swallow the next report's start
        return false;
      }
    }
    if (r.header.end === 'backtrace' && !r.traceSeen && /^(?:Call Trace:|stack backtrace:)/.test(text)) {
      r.traceSeen = true;
    }
    const frameLike =
      r.header.end === 'held'
        ? HELD_LOCK.test(text)
        : FRAME_LIKE.test(text) && (r.header.end !== 'backtrace' || r.traceSeen);
    if (r.stackSeen && !frameLike && !BODY.test(text)) {
      if (r.header.end === 'stack' || r.header.end === 'backtrace' || r.header.end === 'held') {
        this.#close(r);
        return false;
      }
      if (++r.idle > MAX_IDLE_LINES) {
        this.#close(r);
        return false;
      }
      return true; // a foreign line inside a report that is still waiting for its end line
    }
    if (frameLike) r.stackSeen = true;
    r.idle = 0;
    this.#append(r, line);
    if (!r.header.strict && !r.proven && r.span >= LOOSE_HEADER_WINDOW) {
      this.#release(r); // user space echoing "BUG: …" into the kernel log: no report follows
      return true;
    }
    if (!r.stackSeen && r.span >= MAX_STACKLESS_LINES) this.#close(r);
    return true;
  }

  /** A line in a context with no open report. */
  #outside(ctx: Ctx | undefined, line: LogLine): void {
    const text = line.text;
    const starts = CUT_HERE.test(text) || RULE.test(text) || PAGE_DUMP_START.test(text);
    const significant = isSignificant(text);
    const prelude = ctx?.prelude;
    if (ctx !== undefined && prelude !== undefined) {
      if ((starts && !continuesPrelude(prelude, text)) || prelude.span >= preludeLimit(prelude)) {
        this.#expirePrelude(ctx);
      } else {
        prelude.span++;
        prelude.lines.push(line);
        if (PAGE_DUMP_START.test(text)) prelude.pageDump = true;
        if (prelude.significant === undefined && significant) prelude.significant = line;
        return;
      }
    }
    if (starts || significant) {
      this.#ctx(line.caller).prelude = {
        lines: [line],
        span: 0,
        rule: RULE.test(text),
        pageDump: PAGE_DUMP_START.test(text),
        significant: significant ? line : undefined,
        workload: this.#workload(),
      };
      return;
    }
    if (NMI_BACKTRACE.test(text)) {
      const stall = this.#openStall();
      if (stall !== undefined) {
        this.#ctx(line.caller).attachedTo = stall;
        stall.attached.push(line.caller);
        this.#append(stall, line);
      }
    }
  }

  #openStall(): OpenReport | undefined {
    let found: OpenReport | undefined;
    for (const ctx of this.#ctxs.values()) {
      const r = ctx.report;
      if (r !== undefined && STALL_KINDS.has(r.header.category)) found = r;
    }
    return found;
  }

  #append(r: OpenReport, line: LogLine): void {
    if (r.lines.length < MAX_REPORT_LINES) r.lines.push(line);
    r.last = line.n;
  }

  #detach(ctx: Ctx, key: string): void {
    const r = ctx.attachedTo;
    ctx.attachedTo = undefined;
    if (r !== undefined) r.attached = r.attached.filter((k) => k !== key);
  }

  /** Forgets an open report (and the contexts attached to it) without emitting it. */
  #release(r: OpenReport): void {
    const own = this.#ctxs.get(r.ctx);
    if (own !== undefined && own.report === r) own.report = undefined;
    this.#touched.add(r.ctx);
    for (const key of r.attached) {
      const ctx = this.#ctxs.get(key);
      if (ctx !== undefined && ctx.attachedTo === r) ctx.attachedTo = undefined;
      this.#touched.add(key);
    }
    r.attached = [];
  }

  #close(r: OpenReport): void {
    this.#release(r);
    if (!r.header.strict && !r.proven) return;
    this.#lastClosed = r.last;
    this.#emit({
      header: r.header,
      lines: r.lines,
      headerIndex: r.headerIndex,
      firstLine: r.first,
      lastLine: r.last,
      workload: r.workload,
      corrupted: '',
    });
  }

  /** A prelude that no header claimed: dropped, unless it is a report on its own. */
  #expirePrelude(ctx: Ctx): void {
    const p = ctx.prelude;
    ctx.prelude = undefined;
    if (p === undefined || p.significant === undefined) return;
    const sig = p.significant;
    const vm = VM_CHECK_REASON.exec(sig.text);
    const header: Header = {
      category: vm === null ? 'warning' : vm[2] === 'BUG' ? 'vm-bug-on' : 'vm-warn-on',
      strict: true,
      end: 'stack',
      die: false,
      detail: '',
      site: '',
      func: '',
      title: '',
      kind: '',
      locate: 'stack',
      stackless: false,
      continues: false,
    };
    const last = p.lines[p.lines.length - 1]!;
    this.#lastClosed = last.n;
    this.#emit({
      header,
      lines: p.lines,
      headerIndex: p.lines.indexOf(sig),
      firstLine: p.lines[0]!.n,
      lastLine: last.n,
      workload: p.workload,
      corrupted: 'the report header is missing (log cut after the page dump or WARN message)',
    });
  }
}

/** Does a prelude-starting line extend the open prelude rather than replace it? */
function continuesPrelude(p: Prelude, text: string): boolean {
  // VM_WARN_ON*_PAGE: the page dump, then WARN_ON's `cut here`, then the WARNING. Before
  // 4.19 a WARN's message (`refcount_t: underflow; …`) came before report_bug's `cut here`.
  return (
    (p.pageDump || p.significant !== undefined) &&
    !p.rule &&
    CUT_HERE.test(text) &&
    !p.lines.some((l) => CUT_HERE.test(l.text))
  );
}

function preludeLimit(p: Prelude): number {
  if (p.pageDump) return MAX_PRELUDE_LINES;
  if (p.rule) return 2;
  return 20;
}

function isSignificant(text: string): boolean {
  return (
    VM_CHECK_REASON.test(text) || REFCOUNT_T.test(text) || REFCOUNT_T_AT.test(text) || PERCPU_REF.test(text)
  );
}
