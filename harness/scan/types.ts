/**
 * The kernel-log analyser's data: what a finding is, and the line records the
 * stages pass to each other. Everything here is plain data, serialisable as JSON.
 */

/** What kind of kernel report a finding is. One value per header family in docs/scan.md. */
export type Category =
  | 'bad-page-state'
  | 'bad-page-map'
  /** VM_BUG_ON_PAGE / VM_BUG_ON_FOLIO: a page dump, then `kernel BUG at`. */
  | 'vm-bug-on'
  /** `kernel BUG at file:line!` without a VM page dump. */
  | 'kernel-bug'
  /** VM_WARN_ON*_PAGE / _FOLIO: a page dump, then a WARNING. */
  | 'vm-warn-on'
  /** WARNING, including refcount_t saturations and percpu-ref underflows. */
  | 'warning'
  | 'kasan'
  | 'kfence'
  /** `BUG: KMSAN: <type> in …` (mm/kmsan/report.c). */
  | 'kmsan'
  /** `BUG: KCSAN: data-race in F / G` (kernel/kcsan/report.c). */
  | 'kcsan'
  /** kmemleak's `unreferenced object …` (mm/kmemleak.c): a memory leak. */
  | 'kmemleak'
  /** lockdep's reports (kernel/locking/lockdep.c): possible deadlock, inconsistent lock state, … */
  | 'lockdep'
  | 'null-deref'
  | 'page-fault'
  /** An `Oops:` header whose `BUG:` line was lost, or another die() report. */
  | 'oops'
  | 'gpf'
  | 'invalid-opcode'
  | 'ubsan'
  | 'soft-lockup'
  | 'hard-lockup'
  | 'hung-task'
  | 'rcu-stall'
  | 'panic'
  /** Any other kernel `BUG:` report that comes with a kernel stack dump. */
  | 'bug';

/**
 * The kind of page the report is about, where the log shows it. `zone-device` is a
 * ZONE_DEVICE page (by its zone) whose kind the report does not show; null means no evidence.
 */
export type PageKind = 'fsdax' | 'devdax' | 'device-private' | 'device-coherent' | 'ordinary' | 'zone-device';

/** A parsed dump_page() block (mm/debug.c), 6.1 and later forms. Fields the dump lacks are null. */
export interface PageInfo {
  pfn: number | null;
  refcount: number | null;
  mapcount: number | null;
  /** The mapping pointer as printed (hashed); null when NULL or absent. */
  mapping: string | null;
  /** The flag names inside `flags: 0x…(…)`, without the `field=value` entries. */
  flags: string[];
  /** `zone=N` from the flags field. */
  zone: number | null;
  /** `page dumped because: …`, or the Bad page reason. */
  reason: string | null;
  /** `aops:` symbol when the page has a file mapping (e.g. ext4_dax_aops). */
  aops: string | null;
}

/** One stack frame. */
export interface Frame {
  /** The function, suffixes like `.isra.0` kept as printed. */
  function: string;
  /** `0x1a/0x40`, or null when the log had no offset (inline frames of decoded stacks). */
  offset: string | null;
  /** The module in `[brackets]`, or null for vmlinux. */
  module: string | null;
  /** `file:line`, from the log (already decoded) or from symbolising. */
  source: string | null;
  /** True for the trapping instruction (`RIP:`), false for return addresses. */
  ip: boolean;
}

export interface Finding {
  /** Normalised for de-duplication: no addresses, offsets, line numbers, pids or CPU numbers. */
  title: string;
  category: Category;
  /** True when the report shows a page refcount / refcount_t / pgmap-ref problem. */
  refcount: boolean;
  pageKind: PageKind | null;
  page: PageInfo | null;
  /** The workload step whose markers enclose the report; `boot` before the first marker. */
  workload: string;
  /**
   * 1-based line numbers in the log of the first and last line of the occurrence shown: the
   * first complete (not corrupted) one, else the first.
   */
  firstLine: number;
  lastLine: number;
  /** How many reports in this log had this title. */
  count: number;
  /** The report has a header but no usable stack (truncated, or the stack section is empty). */
  corrupted: boolean;
  /** The report's main stack, non-generic frames first as printed (RIP, then Call Trace). */
  frames: Frame[];
  /** The report's lines without printk prefixes, capped. */
  excerpt: string;
}

/** A console line after decoding: printk prefix split off. */
export interface LogLine {
  /** 1-based line number in the input. */
  n: number;
  /** The message text, printk prefix removed. */
  text: string;
  /** printk timestamp in seconds, or null. */
  time: number | null;
  /** PRINTK_CALLER id (`T123`, `C1`), or '' when the line had none. */
  caller: string;
  /**
   * The line is a printk record of the kernel's own: it carried a timestamp, and no syslog
   * prefix naming a facility other than the kernel's (a /dev/kmsg write keeps its time).
   */
  kernel: boolean;
}

export interface ScanOptions {
  /**
   * ZONE_DEVICE's index in `zone=N` of dump_page flags. It depends on the kernel config
   * (see zoneDeviceIndex in page-kind.ts); 4 on x86_64 with ZONE_DMA and ZONE_DMA32.
   */
  zoneDevice?: number;
  /** Called for each report as soon as it is complete (before de-duplication; count is 1). */
  onFinding?: (finding: Finding) => void;
}
