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
import { analyseReport } from './analyse.ts';
import { StepTracker } from './attribute.ts';
import { cleanLine, LineSplitter, splitPrefix } from './decode.ts';
import { dedupe } from './dedupe.ts';
import { DEFAULT_ZONE_DEVICE } from './page-kind.ts';
import { type RawReport, Segmenter } from './segment.ts';
import type { Finding, ScanOptions } from './types.ts';

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
  readonly #steps = new StepTracker();
  readonly #findings: Finding[] = [];
  readonly #zoneDevice: number;
  readonly #onFinding: ((finding: Finding) => void) | undefined;
  /** The log has printk timestamps: lines without one are user-space output. */
  #seenKernel = false;
  #finished = false;

  constructor(options: ScanOptions = {}) {
    this.#zoneDevice = options.zoneDevice ?? DEFAULT_ZONE_DEVICE;
    this.#onFinding = options.onFinding;
    this.#segmenter = new Segmenter((report) => this.#report(report));
    this.#splitter = new LineSplitter((line, n) => this.#line(line, n));
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

  #line(raw: string, n: number): void {
    const line = splitPrefix(cleanLine(raw), n, this.#seenKernel);
    if (line.kernel) this.#seenKernel = true;
    if (this.#steps.observe(line.text)) return;
    // In a log with printk timestamps, a line without one was written by user space to the
    // console (a test printing "BUG: …"); it is never part of a kernel report.
    if (!line.kernel && this.#seenKernel) return;
    this.#segmenter.feed(line, this.#steps.current);
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
