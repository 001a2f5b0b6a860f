/**
 * Finding titles, built syzkaller-style from the header and the first non-generic frame,
 * e.g. `WARNING in dax_disassociate_entry`, `BUG: Bad page state (nonzero _refcount) in
 * free_zone_device_page`, `KASAN: use-after-free Read in dmirror_fops_release`.
 *
 * Two findings are the same bug when their titles match, so a title holds nothing that
 * changes from run to run: no addresses, offsets, line numbers, pids or CPU numbers.
 * Pieces that are source text (a VM_BUG_ON condition, a Bad page reason, a refcount_t
 * message) are kept as printed; free text (panic messages, other BUG: lines) goes through
 * normaliseText.
 */
import type { Header } from './headers.ts';
import type { Category } from './types.ts';

const MAX_FREE_TEXT = 160;

/** Removes run-specific values from free text. */
export function normaliseText(text: string): string {
  return (
    text
      .slice(0, MAX_FREE_TEXT)
      // func+0x1a/0x40 → func
      .replace(/([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/g, '$1')
      // mm/gup.c:123 / mm/gup.c:123:4 → mm/gup.c
      .replace(/(\.[A-Za-z]{1,3}):\d+(?::\d+)?/g, '$1')
      // CPU#3, CPU: 3, cpu 3 → CPU / cpu
      .replace(/\b(CPU|cpu)(?:#|: ?| )\d+/g, '$1')
      .replace(/\b0x[0-9a-fA-F]+\b/g, 'ADDR')
      // hashed pointers and raw addresses: long hex runs with a digit in them
      .replace(/\b(?=[a-f]*\d)[0-9a-f]{8,}\b/g, 'ADDR')
      // remaining numbers that are not part of a name (pids, counts, seconds; kmalloc-64 stays)
      .replace(/(?<![\w.-])\d+(?:\.\d+)?/g, 'N')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

export interface TitleParts {
  category: Category;
  header: Header;
  /** The first non-generic frame's function, '' when the report has none. */
  frame: string;
  /** `VM_BUG_ON_PAGE(page_ref_count(page) == 0)` etc., or ''. */
  vmCheck: string;
  /** `underflow; use-after-free` from `refcount_t: …`, or ''. */
  refcountMessage: string;
  /** The release function in `percpu ref (%ps) <= 0 …`, or ''. */
  percpuRelease: string;
  /** KASAN `Read` / `Write`, or ''. */
  access: string;
  /** Bad page reason, or ''. */
  reason: string;
}

const KERNEL_PANIC_PREFIX = 'kernel panic: ';

function base(p: TitleParts): string {
  const { header } = p;
  // Kinds with their own title (headers.ts): lockdep, kmemleak, bad usercopy, refcount bug, …
  if (header.title !== '' && p.category !== 'vm-bug-on' && p.category !== 'vm-warn-on') return header.title;
  switch (p.category) {
    case 'bad-page-state':
      return p.reason === '' ? 'BUG: Bad page state' : `BUG: Bad page state (${p.reason})`;
    case 'bad-page-map':
      return 'BUG: Bad page map';
    case 'vm-bug-on':
      return `kernel BUG: ${p.vmCheck}`;
    case 'kernel-bug':
      return 'kernel BUG';
    case 'vm-warn-on':
      return `WARNING: ${p.vmCheck}`;
    case 'warning':
      // syzkaller's form: the kind of refcount_t misuse is in the report, the title names the caller.
      if (p.refcountMessage !== '') return 'WARNING: refcount bug';
      if (p.percpuRelease !== '')
        return `WARNING: percpu ref (${p.percpuRelease}) <= 0 after switching to atomic`;
      return header.strict ? 'WARNING' : `WARNING: ${normaliseText(header.detail)}`;
    case 'kasan':
      return `KASAN: ${header.detail}${p.access === '' ? '' : ` ${p.access}`}`;
    case 'kfence':
      return `KFENCE: ${normaliseText(header.detail)}`;
    case 'kmsan':
      return `KMSAN: ${header.detail}`;
    case 'kcsan':
      return `KCSAN: ${normaliseText(header.detail)}`;
    case 'kmemleak':
      return 'memory leak';
    case 'lockdep':
      return normaliseText(header.detail);
    case 'null-deref':
      return 'BUG: kernel NULL pointer dereference';
    case 'page-fault':
      return 'BUG: unable to handle page fault';
    case 'oops':
      return header.detail === '' || header.detail === 'Oops' ? 'Oops' : header.detail;
    case 'gpf':
      return 'general protection fault';
    case 'invalid-opcode':
      return 'invalid opcode';
    case 'ubsan':
      return `UBSAN: ${normaliseText(header.detail)}`;
    case 'soft-lockup':
      return 'BUG: soft lockup';
    case 'hard-lockup':
      return 'hard LOCKUP';
    case 'hung-task':
      return 'INFO: task hung';
    case 'rcu-stall':
      return 'INFO: rcu detected stall';
    case 'panic':
      return `${KERNEL_PANIC_PREFIX}${normaliseText(header.detail)}`;
    case 'bug':
      return `BUG: ${normaliseText(header.detail)}`;
  }
}

export function buildTitle(p: TitleParts): string {
  const head = base(p);
  // A percpu-ref underflow fires from an RCU callback: the release function is its identity.
  if (p.category === 'warning' && p.percpuRelease !== '') return head;
  // A panic's message is its identity; its stack is panic()'s caller, often generic.
  if (p.category === 'panic' && p.header.title === '') return head;
  if (p.header.locate === 'none') return head;
  if (p.frame !== '') return `${head} in ${p.frame}`;
  // No usable frame: name what the header names (a UBSAN or BUG site's file, not its line).
  if (p.category === 'ubsan' || p.category === 'kernel-bug' || p.category === 'warning') {
    const file = (p.header.site || p.header.detail).replace(/:\d+(?::\d+)?!?$/, '');
    if (file !== '' && p.header.strict) return `${head} at ${normaliseText(file)}`;
  }
  return head;
}
