/**
 * Stack frames: parsing `func+0x1a/0x40 [module]` lines (raw, or already decoded with
 * file:line), and choosing the first frame that is not generic report, lock, allocator or
 * library plumbing, which is what a title names.
 */
import {
  ALLOCATOR_SKIPS,
  compileSkips,
  FRAME_STRIP_PREFIXES,
  GENERIC_SKIPS,
  INTERRUPT_SKIPS,
  KIND_SKIPS,
  LEAK_SKIPS,
  SLAB_SKIPS,
  STALL_ANCHORS,
  WAIT_SKIPS,
} from './skip.ts';
import type { Category, Frame } from './types.ts';

// " func+0x1a/0x40", " ? func+0x1a/0x40 [mod]", " [<ffffffff81000000>] func+0x1a/0x40",
// decoded: " func+0x1a/0x40 mm/gup.c:123", " func (mm/gup.c:123)", " __dump_stack lib/dump_stack.c:88 [inline]".
const FRAME =
  /^\s*(?:\[<[0-9a-f]+>\]\s*)?(\?\s+)?([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-f]+\/0x[0-9a-f]+))?(?:\s+\[([\w-]+)(?:\s+[0-9a-f]+)?\])?(?:\s+\(?([\w./+-]+\.\w+:\d+)(?::\d+)?\)?)?(\s+\[inline\])?\s*$/;

export interface ParsedFrame extends Frame {
  /** Printed with `? `: the unwinder is not sure this is a real frame. */
  questionable: boolean;
  /**
   * A decoded frame marked `[inline]`: code inlined into the next frame. Like syzkaller, a
   * title names the function it was inlined into.
   */
  inline: boolean;
}

/** Parses one stack line; undefined when it is not a frame. */
export function parseFrame(text: string): ParsedFrame | undefined {
  const m = FRAME.exec(text);
  if (!m) return undefined;
  const offset = m[3] ?? null;
  const source = m[5] ?? null;
  // A bare word is not a frame: a frame has an offset, or (decoded, inline) a source.
  if (offset === null && source === null) return undefined;
  return {
    function: m[2]!,
    offset,
    module: m[4] ?? null,
    source,
    ip: false,
    questionable: m[1] !== undefined,
    inline: m[6] !== undefined,
  };
}

const RIP =
  /^(?:RIP|EIP|IP|pc)(?: ?:| ) *(?:[0-9a-f]{4}:)?(?:\[<[0-9a-f]+>\]\s*){0,2}([A-Za-z_.$][\w.$]*\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[[\w-]+(?: [0-9a-f]+)?\])?)/;

/** The faulting instruction's frame from `RIP: 0010:func+0x1a/0x40`; undefined for user RIPs. */
export function parseRip(text: string): Frame | undefined {
  const m = RIP.exec(text);
  if (!m) return undefined;
  const f = parseFrame(` ${m[1]!}`);
  if (!f) return undefined;
  return { function: f.function, offset: f.offset, module: f.module, source: f.source, ip: true };
}

/**
 * `dax_insert_entry.isra.0` → `dax_insert_entry` (compiler clones are the same function);
 * also drops a `+0x1a/0x40` offset when one is attached.
 */
export function baseName(fn: string): string {
  const end = fn.search(/[.+]/);
  return end > 0 ? fn.slice(0, end) : fn;
}

const GENERIC = compileSkips(GENERIC_SKIPS);
const ALLOCATOR = compileSkips(ALLOCATOR_SKIPS);
const SLAB = compileSkips(SLAB_SKIPS);
const LEAK = compileSkips(LEAK_SKIPS);
const WAIT = compileSkips(WAIT_SKIPS);
const INTERRUPT = compileSkips(INTERRUPT_SKIPS);
const KIND = new Map(Object.entries(KIND_SKIPS).map(([k, v]) => [k, compileSkips(v)]));
const ANCHOR = new RegExp(STALL_ANCHORS.join('|'));

/**
 * True when a frame names generic plumbing that a title should look past (skip.ts):
 * everywhere, for the category, and for the report kind (`kind`, a KIND_SKIPS key).
 */
export function isGenericFrame(fn: string, category: Category, kind = ''): boolean {
  const name = baseName(fn);
  if (GENERIC.test(name)) return true;
  if (kind !== '' && KIND.get(kind)?.test(name)) return true;
  switch (category) {
    case 'bad-page-state':
    case 'bad-page-map':
      return ALLOCATOR.test(name);
    case 'hung-task':
      return WAIT.test(name);
    case 'rcu-stall':
    case 'soft-lockup':
    case 'hard-lockup':
      return INTERRUPT.test(name);
    case 'kasan':
    case 'kfence':
    case 'bug':
      return SLAB.test(name);
    case 'kmemleak':
      return LEAK.test(name);
    default:
      return false;
  }
}

/**
 * A frame's name as a title shows it: no clone suffix, and a syscall wrapper without its
 * prefix (the shortest result of FRAME_STRIP_PREFIXES, as syzkaller does).
 */
export function titleName(fn: string): string {
  const name = baseName(fn);
  let best = name;
  for (const p of FRAME_STRIP_PREFIXES) {
    if (name.startsWith(p) && name.length - p.length < best.length && name.length > p.length) {
      best = name.slice(p.length);
    }
  }
  return best;
}

/** The first non-generic frame's function name, as titleName gives it; '' when none. */
export function titleFrame(frames: readonly Frame[], category: Category, kind = ''): string {
  if (category === 'hung-task') {
    // syzkaller groups hangs behind the RTNL and behind RCU grace periods together.
    for (const f of frames) {
      const name = baseName(f.function);
      if (name.includes('rtnl_lock')) return name;
      if (/synchronize_(?:rcu|srcu|net|sched)/.test(name)) return 'synchronize_rcu';
    }
  }
  for (const f of frames) if (!isGenericFrame(f.function, category, kind)) return titleName(f.function);
  return '';
}

/**
 * A stall's identity (syzkaller's linuxStallFrameExtractor): among the frames that are not
 * generic, the one just inside the first dispatch point (STALL_ANCHORS), e.g. the syscall
 * or file operation that looped; '' when the stack reaches no anchor.
 */
export function stallFrame(frames: readonly Frame[], category: Category, kind = ''): string {
  // syzkaller's stall skip: the generic list, the kind's, and for RCU stalls `rcu` and the
  // timer interrupt (not the idle and timer plumbing a title otherwise looks past).
  const names: string[] = [];
  for (const f of frames) {
    const name = titleName(f.function);
    const skipped =
      GENERIC.test(name) ||
      (kind !== '' && KIND.get(kind)?.test(name) === true) ||
      (category === 'rcu-stall' && /rcu|apic_timer_interrupt/.test(name));
    if (ANCHOR.test(name) || !skipped) names.push(name);
  }
  if (names.length === 0) return '';
  let prev = names[0]!;
  for (const name of names) {
    if (ANCHOR.test(name)) return name.includes('smp_call_function') ? 'smp_call_function' : prev;
    prev = name;
  }
  return '';
}
