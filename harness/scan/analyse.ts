/**
 * One segmented report to one finding: its category (refined by the page dump before it),
 * its stack, page, refcount and page-kind evidence, and its title.
 */
import type { Evidence } from './evidence.ts';
import {
  baseName,
  type ParsedFrame,
  parseFrame,
  parseRip,
  stallFrame,
  titleFrame,
  titleName,
} from './frames.ts';
import {
  CONSEQUENTIAL_PANIC,
  type Header,
  PERCPU_REF,
  REFCOUNT_T,
  REFCOUNT_T_AT,
  VM_CHECK_REASON,
} from './headers.ts';
import { parsePageDump } from './page-dump.ts';
import { DEFAULT_ZONE_DEVICE, pageKindOf } from './page-kind.ts';
import { isRefcountRelated } from './refcount.ts';
import type { RawReport } from './segment.ts';
import { buildTitle } from './title.ts';
import type { Category, Finding, Frame } from './types.ts';

/** Frames kept per finding. */
export const MAX_FRAMES = 48;
/** Excerpt bounds. */
export const MAX_EXCERPT_LINES = 120;
export const MAX_EXCERPT_CHARS = 12_000;

// `<IRQ>`, `</TASK>`, 4.x `<EOI>` and `<<EOE>>`; 4.x prints a frame on the same line (` <IRQ>  [<…>] f+0x…`).
const STACK_MARKER = /^\s*<<?(\/?)([A-Z#][\w#]*)>>?\s*(.*)$/;
const RIP_LINE = /^(?:RIP|EIP|IP|pc)(?: ?:| )/;
// arm64 prints `Call trace:`.
const TRACE_START = /^Call [Tt]race:/;
// lockdep: `ffff… (&lock){+.+.}-{3:3}, at: f+0x1a/0x40` (4.x: `at: [<ffffffff…>] f+0x1a/0x40`).
// Like syzkaller, an inlined frame (`at: f file.c:12 [inline]`, no offset) is passed over for the
// next `at:` line, which names the function it was inlined into.
const AT_FRAME = /\bat: (?:\[<[0-9a-f]+>\]\s*)?([A-Za-z_][\w.]*)\+0x/;
const RELEASE = /is trying to release lock/;
const AT_WINDOW = 16;
const BECAME = /which became \S+ at:\s*$/;
const LAST_FUNCTION = /^\s*last function: ([A-Za-z_][\w.]*)/;
const KMEMLEAK_PREFIX = /^kmemleak: /;
const REGISTER = /^(?:[A-Z][A-Z0-9]{1,4}: |Code: )/;
// mm/kasan/report.c: `Read of size %zu at addr …`; the tag-based modes print `Read at addr …`.
const KASAN_ACCESS = /^(Read|Write) (?:of size \d+|at addr )/;
const STALLS = new Set<Category>(['rcu-stall', 'soft-lockup', 'hard-lockup']);

export interface Stack {
  /** RIP, then the first Call Trace (or, without one, the frames right after the header). */
  frames: Frame[];
  /** Frames to choose the title from (stalls: outside IRQ/NMI sections). */
  candidates: Frame[];
  /** Every reliable frame in the report, for evidence. */
  all: Frame[];
  /** `Call Trace:` was printed but no reliable frame follows it. */
  emptyTrace: boolean;
}

const publicFrame = (f: ParsedFrame | Frame): Frame => ({
  function: f.function,
  offset: f.offset,
  module: f.module,
  source: f.source,
  ip: f.ip,
});

/** Parses a report's stacks from its message lines, starting at the header. */
export function extractStack(
  texts: readonly string[],
  headerIndex: number,
  category: Category,
  useRip = true,
): Stack {
  // Each line is parsed once; the passes below read these.
  const parsed: (ParsedFrame | undefined)[] = [];
  let rip: Frame | undefined;
  let trace = -1;
  const all: Frame[] = [];
  const markers: (RegExpExecArray | null)[] = [];
  let ripIndex = -1;
  for (let i = headerIndex; i < texts.length; i++) {
    const t = texts[i]!;
    let f = i > headerIndex ? parseFrame(t) : undefined;
    if (f === undefined && i > headerIndex) {
      const marker = STACK_MARKER.exec(t);
      markers[i] = marker;
      if (marker !== null && marker[3] !== '') f = parseFrame(` ${marker[3]!}`);
    }
    parsed[i] = f;
    if (f !== undefined) {
      if (!f.questionable) all.push(publicFrame(f));
      continue;
    }
    if (rip === undefined && RIP_LINE.test(t)) {
      rip = parseRip(t);
      if (rip !== undefined) {
        all.push(rip);
        ripIndex = i;
      }
    }
    if (trace === -1 && TRACE_START.test(t)) trace = i;
  }
  const frames: Frame[] = rip === undefined ? [] : [rip];
  const candidates: Frame[] = rip === undefined || !useRip ? [] : [rip];
  if (useRip && rip !== undefined && ripIndex > trace && trace !== -1) {
    // 4.x: the WARNING/BUG trapped through invalid_op, and RIP sits in the middle of the Call
    // Trace. The frames after it are the trapping function's callers (syzkaller reads RIP,
    // then the stack after it, before the whole Call Trace).
    for (let i = ripIndex + 1; i < texts.length; i++) {
      const f = parsed[i];
      if (f === undefined) {
        if (REGISTER.test(texts[i]!) || (markers[i] ?? null) !== null) continue;
        break;
      }
      if (!f.questionable && !f.inline) candidates.push(publicFrame(f));
    }
  }
  let emptyTrace = false;
  if (trace !== -1) {
    let interrupt = 0;
    let reliable = 0;
    for (let i = trace + 1; i < texts.length; i++) {
      const t = texts[i]!;
      const f = parsed[i];
      const marker = markers[i] ?? null;
      if (marker !== null) {
        const name = marker[2]!;
        const inner = name === 'IRQ' || name === 'NMI' || name === 'SOFTIRQ';
        if (inner) interrupt += marker[1] === '/' ? -1 : 1;
        // 4.x closes an interrupt stack with <EOI> (IRQ) or <<EOE>> (exception).
        if ((name === 'EOI' || name === 'EOE') && interrupt > 0) interrupt--;
        if (marker[1] === '/' && name === 'TASK') break;
        if (f === undefined) continue;
      }
      if (f === undefined) {
        if (REGISTER.test(t)) continue; // user-mode registers inside <TASK>, RIP inside a 4.x trace
        break;
      }
      if (f.questionable) continue;
      reliable++;
      if (frames.length < MAX_FRAMES) frames.push(publicFrame(f));
      if (!(STALLS.has(category) && interrupt > 0) && !f.inline) candidates.push(publicFrame(f));
    }
    emptyTrace = reliable === 0;
  } else {
    // No Call Trace: (KFENCE prints its stack right after the header.)
    let started = false;
    for (let i = headerIndex + 1; i < texts.length && frames.length < MAX_FRAMES; i++) {
      const f = parsed[i];
      if (f === undefined) {
        if (started) break;
        continue;
      }
      started = true;
      if (f.questionable) continue;
      frames.push(publicFrame(f));
      if (!f.inline) candidates.push(publicFrame(f));
    }
  }
  return { frames, candidates, all, emptyTrace };
}

/**
 * Reports about the trapping instruction (WARN, BUG, faults, stalls) name RIP first. The others
 * are printed by dump_stack() from a checker (lockdep, KASAN, sleeping in atomic, …): a RIP
 * in them belongs to an interrupted context, and the Call Trace alone names the culprit.
 */
const RIP_CATEGORIES = new Set<Category>([
  'warning',
  'vm-warn-on',
  'kernel-bug',
  'vm-bug-on',
  'null-deref',
  'page-fault',
  'oops',
  'gpf',
  'invalid-opcode',
  'soft-lockup',
  'hard-lockup',
  'rcu-stall',
]);
function usesRip(header: Header, category: Category): boolean {
  if (RIP_CATEGORIES.has(category)) return true;
  // Loose `BUG:` headers are often the first half of a fault report; a stack guard page hit traps.
  return category === 'bug' && (header.title === '' || header.locate === 'stall');
}

const PAGE_OWNER = /^page last allocated via /;
// syzkaller's Bad page skips for the allocation stack: the allocator and page-cache paths.
const PAGE_OWNER_SKIP =
  /(?:free|put|get|update|release)_page|free_unref|^_*folio|truncate_inode_pages|page_frag_free|alloc|vmap|page_owner/;

/**
 * A Bad page state with page_owner on (mm/page_owner.c `page last allocated via …`, then its
 * stack) is named after the allocation site, as syzkaller does; without it, after the stack.
 */
function pageOwnerFrames(texts: readonly string[], category: Category): Frame[] {
  if (category !== 'bad-page-state') return [];
  const at = texts.findIndex((t) => PAGE_OWNER.test(t));
  const out: Frame[] = [];
  for (let i = at + 1; at !== -1 && i < texts.length; i++) {
    const f = parseFrame(texts[i]!);
    if (f === undefined) break;
    if (!f.questionable && !f.inline && !PAGE_OWNER_SKIP.test(baseName(f.function))) out.push(publicFrame(f));
  }
  return out;
}

/** Frames a report names outside its stacks: lockdep's `at:` lines, the unlock of a bad unlock balance. */
function locatedFrames(texts: readonly string[], headerIndex: number, locate: Header['locate']): Frame[] {
  const out: Frame[] = [];
  if (locate === 'at' || locate === 'at-first') {
    // The lock being taken and the one held are printed within a few lines of the header.
    const end = Math.min(texts.length, headerIndex + AT_WINDOW);
    const want = locate === 'at' ? 2 : 1;
    for (let i = headerIndex + 1; i < end && out.length < want; i++) {
      const m = AT_FRAME.exec(texts[i]!);
      if (m !== null) out.push({ function: m[1]!, offset: null, module: null, source: null, ip: false });
    }
  } else if (locate === 'became') {
    const at = texts.findIndex((t, i) => i > headerIndex && BECAME.test(t));
    for (let i = at + 1; at !== -1 && i < texts.length; i++) {
      const f = parseFrame(texts[i]!);
      if (f === undefined) break;
      if (!f.questionable && !f.inline) out.push(publicFrame(f));
    }
  } else if (locate === 'last-function') {
    for (let i = headerIndex + 1; i < Math.min(texts.length, headerIndex + AT_WINDOW); i++) {
      const m = LAST_FUNCTION.exec(texts[i]!);
      if (m !== null) out.push({ function: m[1]!, offset: null, module: null, source: null, ip: false });
    }
  } else if (locate === 'release') {
    for (let i = headerIndex + 1; i < texts.length; i++) {
      if (!RELEASE.test(texts[i]!)) continue;
      const f = texts[i + 1] === undefined ? undefined : parseFrame(texts[i + 1]!);
      if (f !== undefined) out.push(publicFrame(f));
      break;
    }
  }
  return out;
}

function headerFrame(func: string): Frame | undefined {
  if (func === '') return undefined;
  const f = parseFrame(` ${func}`);
  if (f !== undefined) return publicFrame(f);
  return { function: func, offset: null, module: null, source: null, ip: true };
}

export function analyseReport(raw: RawReport, zoneDevice: number = DEFAULT_ZONE_DEVICE): Finding {
  const header = raw.header;
  const texts = raw.lines.map((l) =>
    header.category === 'kmemleak' ? l.text.replace(KMEMLEAK_PREFIX, '') : l.text,
  );

  let vmCheck = '';
  let vmKind = '';
  let refcountMessage = '';
  let refcountSite: Frame | undefined;
  let percpuRelease = '';
  let access = '';
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i]!;
    const vm = vmCheck === '' ? VM_CHECK_REASON.exec(t) : null;
    if (vm !== null) {
      vmCheck = vm[1]!;
      vmKind = vm[2]!;
      continue;
    }
    const rc = refcountMessage === '' ? REFCOUNT_T.exec(t) : null;
    if (rc !== null) {
      refcountMessage = rc[1]!;
      continue;
    }
    const rcAt = refcountMessage === '' ? REFCOUNT_T_AT.exec(t) : null;
    if (rcAt !== null) {
      refcountMessage = rcAt[1]!;
      refcountSite = headerFrame(rcAt[2]!);
      continue;
    }
    const pcpu = percpuRelease === '' ? PERCPU_REF.exec(t) : null;
    if (pcpu !== null) {
      percpuRelease = baseName(pcpu[1]!);
      continue;
    }
    const kasan = access === '' && i > raw.headerIndex ? KASAN_ACCESS.exec(t) : null;
    if (kasan !== null) access = kasan[1]!;
  }

  let category = header.category;
  if (vmKind === 'BUG' && (category === 'kernel-bug' || category === 'invalid-opcode'))
    category = 'vm-bug-on';
  if (vmKind === 'WARN' && category === 'warning') category = 'vm-warn-on';

  const stack = extractStack(texts, raw.headerIndex, category, usesRip(header, category));
  const named = headerFrame(header.func);
  const located = [
    ...(refcountSite === undefined ? [] : [refcountSite]),
    ...(named === undefined ? [] : [named]),
    ...locatedFrames(texts, raw.headerIndex, header.locate),
  ];
  const candidates = [...located, ...pageOwnerFrames(texts, category), ...stack.candidates];
  let frame: string;
  if (header.locate === 'none') frame = '';
  else if (header.locate === 'at-first' && located.length > 0) frame = titleName(located[0]!.function);
  else if (header.locate === 'stall')
    frame = stallFrame(candidates, category, header.kind) || titleFrame(candidates, category, header.kind);
  else frame = titleFrame(candidates, category, header.kind);

  const fallbackPfn = category === 'bad-page-state' ? Number.parseInt(header.detail, 16) : null;
  const dump = parsePageDump(texts, Number.isFinite(fallbackPfn) ? fallbackPfn : null);
  const page = dump?.page ?? null;

  const evidence: Evidence = {
    category,
    header,
    texts,
    frames: named === undefined ? stack.all : [named, ...stack.all],
    page,
    devicePfn: dump?.devicePfn ?? false,
    vmCheck,
    message: refcountMessage || percpuRelease,
  };

  const title = buildTitle({
    category,
    header,
    frame,
    vmCheck,
    refcountMessage,
    percpuRelease,
    access: category === 'kasan' ? access : '',
    reason: category === 'bad-page-state' ? (page?.reason ?? '') : '',
  });

  const corrupted =
    raw.corrupted !== '' ||
    (!header.stackless && (stack.frames.length === 0 || stack.emptyTrace)) ||
    (category === 'panic' && CONSEQUENTIAL_PANIC.test(header.detail));

  return {
    title,
    category,
    refcount: isRefcountRelated(evidence),
    pageKind: pageKindOf(evidence, zoneDevice),
    page,
    workload: raw.workload,
    firstLine: raw.firstLine,
    lastLine: raw.lastLine,
    count: 1,
    corrupted,
    frames: stack.frames,
    excerpt: excerptOf(texts),
  };
}

function excerptOf(texts: readonly string[]): string {
  const lines = texts.length > MAX_EXCERPT_LINES ? [...texts.slice(0, MAX_EXCERPT_LINES), '…'] : texts;
  const text = lines.join('\n');
  return text.length > MAX_EXCERPT_CHARS ? `${text.slice(0, MAX_EXCERPT_CHARS)}…` : text;
}
