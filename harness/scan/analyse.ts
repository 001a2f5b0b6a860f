/**
 * One segmented report to one finding: its category (refined by the page dump before it),
 * its stack, page, refcount and page-kind evidence, and its title.
 */
import type { Evidence } from './evidence.ts';
import { baseName, type ParsedFrame, parseFrame, parseRip, titleFrame } from './frames.ts';
import { CONSEQUENTIAL_PANIC, PERCPU_REF, REFCOUNT_T, VM_CHECK_REASON } from './headers.ts';
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

const STACK_MARKER = /^\s*<(\/?)([A-Z#][\w#]*)>\s*$/;
const REGISTER = /^(?:[A-Z][A-Z0-9]{1,4}: |Code: )/;
const KASAN_ACCESS = /^(Read|Write) of size \d+/;
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
export function extractStack(texts: readonly string[], headerIndex: number, category: Category): Stack {
  // Each line is parsed once; the passes below read these.
  const parsed: (ParsedFrame | undefined)[] = [];
  let rip: Frame | undefined;
  let trace = -1;
  const all: Frame[] = [];
  for (let i = headerIndex; i < texts.length; i++) {
    const t = texts[i]!;
    const f = i > headerIndex ? parseFrame(t) : undefined;
    parsed[i] = f;
    if (f !== undefined) {
      if (!f.questionable) all.push(publicFrame(f));
      continue;
    }
    if (rip === undefined && t.startsWith('RIP')) {
      rip = parseRip(t);
      if (rip !== undefined) all.push(rip);
    }
    if (trace === -1 && t.startsWith('Call Trace:')) trace = i;
  }
  const frames: Frame[] = rip === undefined ? [] : [rip];
  const candidates: Frame[] = rip === undefined ? [] : [rip];
  let emptyTrace = false;
  if (trace !== -1) {
    let interrupt = 0;
    let reliable = 0;
    for (let i = trace + 1; i < texts.length; i++) {
      const t = texts[i]!;
      const f = parsed[i];
      if (f === undefined) {
        const marker = STACK_MARKER.exec(t);
        if (marker) {
          const inner = marker[2] === 'IRQ' || marker[2] === 'NMI' || marker[2] === 'SOFTIRQ';
          if (inner) interrupt += marker[1] === '/' ? -1 : 1;
          if (marker[1] === '/' && marker[2] === 'TASK') break;
          continue;
        }
        if (REGISTER.test(t)) continue; // user-mode registers inside <TASK>
        break;
      }
      if (f.questionable) continue;
      reliable++;
      if (frames.length < MAX_FRAMES) frames.push(publicFrame(f));
      if (!(STALLS.has(category) && interrupt > 0)) candidates.push(publicFrame(f));
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
      candidates.push(publicFrame(f));
    }
  }
  return { frames, candidates, all, emptyTrace };
}

function headerFrame(func: string): Frame | undefined {
  if (func === '') return undefined;
  const f = parseFrame(` ${func}`);
  if (f !== undefined) return publicFrame(f);
  return { function: func, offset: null, module: null, source: null, ip: true };
}

export function analyseReport(raw: RawReport, zoneDevice: number = DEFAULT_ZONE_DEVICE): Finding {
  const header = raw.header;
  const texts = raw.lines.map((l) => l.text);

  let vmCheck = '';
  let vmKind = '';
  let refcountMessage = '';
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

  const stack = extractStack(texts, raw.headerIndex, category);
  const named = headerFrame(header.func);
  const candidates = named === undefined ? stack.candidates : [named, ...stack.candidates];
  const frame = titleFrame(candidates, category);

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
    stack.frames.length === 0 ||
    stack.emptyTrace ||
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
