/**
 * Which workload step a log line belongs to, from the step markers the guest writes
 * (format owned by harness/steps/markers.ts). Lines before the first marker belong to
 * `boot`. Inside a step they belong to the innermost open step. Between steps (after one
 * ends, before the next begins) they belong to the step that ended last: late reports,
 * e.g. a page freed when a module unloads, are that workload's doing.
 */
import { MARKER_PREFIX, markerOf, type StepMarker } from '../steps/markers.ts';

export const BOOT = 'boot';

export class StepTracker {
  readonly #open: string[] = [];
  #last = BOOT;
  readonly #nonce: string | undefined;

  /** `nonce`: the boot's marker nonce; markers without it are ordinary lines. */
  constructor(nonce?: string) {
    this.#nonce = nonce;
  }

  /** Feeds one line; returns the step marker it was, if it was one. */
  observe(text: string): StepMarker | undefined {
    if (!text.includes(MARKER_PREFIX)) return undefined;
    const marker = markerOf(text, this.#nonce);
    if (marker === undefined) return undefined;
    if (marker.kind === 'begin') {
      // A repeated begin (the marker echoed twice) must not nest the step in itself.
      if (this.#open[this.#open.length - 1] !== marker.step) this.#open.push(marker.step);
      this.#last = marker.step;
    } else {
      const at = this.#open.lastIndexOf(marker.step);
      if (at !== -1) this.#open.splice(at);
      this.#last = marker.step;
    }
    return marker;
  }

  /** The step the next line belongs to. */
  get current(): string {
    return this.#open[this.#open.length - 1] ?? this.#last;
  }
}
