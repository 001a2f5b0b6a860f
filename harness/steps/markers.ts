/**
 * Step markers: the guest's /init writes one line to /dev/kmsg when a step starts and
 * one when it ends, so every kernel message between them belongs to that step.
 *
 *   zdh: step begin <name> nonce=<nonce>
 *   zdh: step end <name> status=<exit status> nonce=<nonce>
 *
 * In the console they carry the usual printk prefix, e.g.
 *   <12>[   12.345678][  T123] zdh: step begin hmm-tests nonce=k2v9...
 * Step names are [A-Za-z0-9_.:-]+ (see STEP_NAME).
 *
 * Anything in the guest can write such a line to /dev/kmsg (a test replaying a log, a
 * tool echoing what it read). So the markers carry a random nonce per boot, and a reader
 * that knows the boot's nonce takes only markers with it (markerOf). The nonce is not a
 * secret from the guest (the kernel log is readable there); it keeps lines that merely
 * look like markers from moving findings or stopping a run.
 */
export const MARKER_PREFIX = 'zdh: step';
export const STEP_NAME = /^[A-Za-z0-9_.:-]+$/;

export type StepMarker =
  | { kind: 'begin'; step: string; nonce: string | undefined }
  | { kind: 'end'; step: string; status: number; nonce: string | undefined };

const MARKER_RE =
  /zdh: step (begin|end) ([A-Za-z0-9_.:-]+)(?: status=(-?\d+))?(?: nonce=([A-Za-z0-9]+))?\s*$/;

/** Parses a marker from a console line whose printk prefix may or may not be stripped. */
export function parseMarker(line: string): StepMarker | undefined {
  const m = MARKER_RE.exec(line);
  if (!m) return undefined;
  const step = m[2]!;
  const nonce = m[4];
  if (m[1] === 'begin') return { kind: 'begin', step, nonce };
  return { kind: 'end', step, status: m[3] === undefined ? -1 : Number(m[3]), nonce };
}

/**
 * The marker in a line when it carries `nonce`, the boot's. Without a nonce (a log of
 * unknown origin, as `zdh scan` reads), any marker.
 */
export function markerOf(line: string, nonce: string | undefined): StepMarker | undefined {
  const m = parseMarker(line);
  return m && (nonce === undefined || m.nonce === nonce) ? m : undefined;
}
