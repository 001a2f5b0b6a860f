/**
 * dump_page() (mm/debug.c) into fields. Forms handled:
 *   6.1:   page:000000006b1e8f53 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x1234
 *   6.10+: page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x380400000
 *   later: … index:0x0 device pfn:0x10        (device-private folios)
 *   older: page:ffffea0001234567 count:1 mapcount:0 mapping:… index:…
 *   poisoned: page:00000000a1b2c3d4 is uninitialized and poisoned
 * then `[anon |ksm ]flags: 0x…(name|name|node=0|zone=4|lastcpupid=0x1fffff)`,
 * `aops:ext4_dax_aops ino:…`, and `page dumped because: <reason>`.
 */
import type { PageInfo } from './types.ts';

const PAGE_LINE =
  /^page:\S*\s+(?:ref)?count:(-?\d+) mapcount:(-?\d+) mapping:(\S+)(?: index:\S+)?(?: (device) )?(?: ?pfn:(?:0x)?([0-9a-f]+))?/;
const POISONED = /^page:\S+ is uninitialized and poisoned/;
const FLAGS = /^(?:anon |ksm )?flags: 0x[0-9a-f]+\(([^)]*)\)/;
const AOPS = /^aops:([\w.$]+)/;
const REASON = /^page dumped because: (.*?)\s*$/;

export interface ParsedPageDump {
  page: PageInfo;
  /** The dump printed `device pfn:` (device-private folio, later kernels). */
  devicePfn: boolean;
}

const isNullPointer = (p: string): boolean => /^(?:0+|\(null\)|0x0+)$/.test(p);

/**
 * Parses the first page dump in a report's lines (message text, printk prefix removed).
 * `fallbackPfn` is the Bad page header's pfn, used when the dump itself lacks one.
 */
export function parsePageDump(
  lines: readonly string[],
  fallbackPfn: number | null = null,
): ParsedPageDump | null {
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!;
    if (t.startsWith('page:') && (PAGE_LINE.test(t) || POISONED.test(t))) {
      start = i;
      break;
    }
  }
  if (start === -1) {
    if (fallbackPfn === null) return null;
    return { page: emptyPage(fallbackPfn), devicePfn: false };
  }
  const page = emptyPage(fallbackPfn);
  let devicePfn = false;
  const first = lines[start]!;
  const m = PAGE_LINE.exec(first);
  if (m) {
    page.refcount = Number(m[1]);
    page.mapcount = Number(m[2]);
    page.mapping = isNullPointer(m[3]!) ? null : m[3]!;
    devicePfn = m[4] !== undefined;
    if (m[5] !== undefined) page.pfn = Number.parseInt(m[5], 16);
  } else {
    page.reason = 'uninitialized and poisoned';
  }
  // The dump's remaining lines follow within a few dozen lines (page_owner can add a stack).
  const end = Math.min(lines.length, start + 60);
  for (let i = start + 1; i < end; i++) {
    const t = lines[i]!;
    const flags = FLAGS.exec(t);
    if (flags !== null) {
      for (const part of flags[1]!.split('|')) {
        const eq = part.indexOf('=');
        if (eq === -1) {
          if (part !== '') page.flags.push(part);
        } else if (part.slice(0, eq) === 'zone') {
          const zone = Number(part.slice(eq + 1));
          if (Number.isInteger(zone)) page.zone = zone;
        }
      }
      continue;
    }
    const aops = AOPS.exec(t);
    if (aops !== null) {
      page.aops = aops[1]!;
      continue;
    }
    const reason = REASON.exec(t);
    if (reason !== null) {
      page.reason = reason[1]!;
      break;
    }
    if (t.startsWith('page:')) break; // a second dump
  }
  return { page, devicePfn };
}

function emptyPage(pfn: number | null): PageInfo {
  return {
    pfn,
    refcount: null,
    mapcount: null,
    mapping: null,
    flags: [],
    zone: null,
    reason: null,
    aops: null,
  };
}
