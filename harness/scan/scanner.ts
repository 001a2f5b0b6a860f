/**
 * The analyser's entry point: feed a console log in chunks as it arrives, get findings.
 *
 *   const scanner = new Scanner({ onFinding: (f) => … });   // onFinding: live, per report
 *   scanner.push(chunk); …                                  // bytes or text, any split
 *   const findings = scanner.finish();                      // de-duplicated by title
 *
 * Pure: no I/O. read.ts streams files through it; the run pipeline can feed QEMU's
 * console output to the same object while the guest runs.
 */

import { MARKER_PREFIX, type StepMarker } from '../steps/markers.ts';
import { LineSplitter } from '../util/line-splitter.ts';
import { analyseReport } from './analyse.ts';
import { StepTracker } from './attribute.ts';
import { cleanLine, SCAN_LINES, splitPrefix } from './decode.ts';
import { dedupe } from './dedupe.ts';
import { HEADER_START } from './headers.ts';
import { DEFAULT_ZONE_DEVICE } from './page-kind.ts';
import { type RawReport, Segmenter } from './segment.ts';
import type { Finding, ScanOptions } from './types.ts';

// The printk prefix (see splitPrefix), tested in place.
const PREFIX_Y = /(?:<\d{1,3}>)?\[ *\d{1,10}\.\d{1,9}\](?:\[ *[TC]\d{1,10}\])? ?/y;
// What a message must start with to matter when no report is open: a header (see
// headers.ts START), a prelude (cut here, rule, page dump, WARN message), an NMI backtrace
// or a step marker.
const INTERESTING_Y = new RegExp(
  `(?:${HEADER_START.source.slice(1)}|-{6,}\\[ cut here|={20,}|page:|page dumped because: VM_|refcount_t: |percpu ref \\(|NMI backtrace for cpu|${MARKER_PREFIX} )`,
  'y',
);
const GLUED_Y = /[^\n]*?\[ *\d{1,10}\.\d{6}\]/y;

export interface ScannerOptions extends ScanOptions {
  /**
   * The boot's step-marker nonce (steps/markers.ts): markers without it are ordinary
   * lines. Without one (a log of unknown origin), any marker counts.
   */
  markerNonce?: string;
  /** Called for each step marker taken, with its line number. */
  onStepMarker?: (marker: StepMarker, n: number) => void;
}

export interface ScanStats {
  /** Input lines (every `\n`, plus a last unterminated line). */
  lines: number;
  /** Line examinations by the segmenter; at most twice `lines` (linear work). */
  visits: number;
  /** Reports found, before de-duplication. */
  reports: number;
}

export class Scanner {
  readonly #splitter: LineSplitter;
  readonly #segmenter: Segmenter;
  readonly #steps: StepTracker;
  readonly #onStepMarker: ScannerOptions['onStepMarker'];
  readonly #findings: Finding[] = [];
  readonly #zoneDevice: number;
  readonly #onFinding: ((finding: Finding) => void) | undefined;
  /** The log has printk timestamps: lines without one are user-space output. */
  #seenKernel = false;
  #finished = false;

  constructor(options: ScannerOptions = {}) {
    this.#zoneDevice = options.zoneDevice ?? DEFAULT_ZONE_DEVICE;
    this.#onFinding = options.onFinding;
    this.#steps = new StepTracker(options.markerNonce);
    this.#onStepMarker = options.onStepMarker;
    this.#segmenter = new Segmenter(
      (report) => this.#report(report),
      () => this.#steps.current,
    );
    this.#splitter = new LineSplitter(
      (text, start, end, n, clean) => this.#line(text, start, end, n, clean),
      SCAN_LINES,
    );
  }

  /** Feeds a chunk of the log: bytes (UTF-8, possibly invalid) or text. */
  push(chunk: Uint8Array | string): void {
    if (this.#finished) throw new Error('Scanner.push after finish');
    this.#splitter.push(chunk);
  }

  /** Feeds one whole line (without its newline). */
  pushLine(line: string): void {
    this.push(`${line}\n`);
  }

  /** Ends the input; returns the findings, one per title, in order of first appearance. */
  finish(): Finding[] {
    if (!this.#finished) {
      this.#finished = true;
      this.#splitter.end();
      this.#segmenter.finish();
    }
    return dedupe(this.#findings);
  }

  get stats(): ScanStats {
    return { lines: this.#splitter.lines, visits: this.#segmenter.visits, reports: this.#findings.length };
  }

  /**
   * One line, as a range of a chunk. The fast path decides from the range alone that a
   * line is of no interest (most lines): no copy, no allocation. Everything else takes
   * the full path: cleaned, prefix split, markers, segmenter.
   */
  #line(text: string, start: number, end: number, n: number, clean: boolean): void {
    if (clean) {
      PREFIX_Y.lastIndex = start;
      const kernel = PREFIX_Y.test(text);
      const message = kernel ? PREFIX_Y.lastIndex : start;
      if (kernel) this.#seenKernel = true;
      // A `\r` where the message starts (a console overwriting its line) hides the text: full path.
      if (!this.#segmenter.busy && text.charCodeAt(message) !== 13) {
        if (kernel || !this.#seenKernel) {
          INTERESTING_Y.lastIndex = message;
          if (!INTERESTING_Y.test(text) || INTERESTING_Y.lastIndex > end) return;
        } else {
          // A user-space line: only a kernel line glued to its end matters.
          GLUED_Y.lastIndex = start;
          if (!(GLUED_Y.test(text) && GLUED_Y.lastIndex <= end)) return;
        }
      }
    }
    this.#fullLine(cleanLine(text.slice(start, end)), n);
  }

  #fullLine(raw: string, n: number): void {
    const line = splitPrefix(raw, n, this.#seenKernel);
    if (line.time !== null) this.#seenKernel = true;
    // /init writes its markers to /dev/kmsg: in a log with timestamps they are printk
    // records (the kernel's prefix on a line user space wrote), never bare console text.
    if (line.time !== null || !this.#seenKernel) {
      const marker = this.#steps.observe(line.text);
      if (marker) {
        this.#onStepMarker?.(marker, n);
        return;
      }
    }
    // In a log with printk timestamps, a line without one was written by user space to the
    // console (a test printing "BUG: …"), and one the console shows as a /dev/kmsg record
    // was written by user space too; neither is ever part of a kernel report.
    if (!line.kernel && this.#seenKernel) return;
    this.#segmenter.feed(line);
  }

  #report(raw: RawReport): void {
    const finding = analyseReport(raw, this.#zoneDevice);
    this.#findings.push(finding);
    this.#onFinding?.(finding);
  }
}

/** Scans a whole log given as lines (without newlines). */
export function scanLines(lines: Iterable<string>, options: ScanOptions = {}): Finding[] {
  const scanner = new Scanner(options);
  for (const line of lines) scanner.pushLine(line);
  return scanner.finish();
}

/** Scans a whole log given as one text or byte buffer. */
export function scanText(text: string | Uint8Array, options: ScanOptions = {}): Finding[] {
  const scanner = new Scanner(options);
  scanner.push(text);
  return scanner.finish();
}
