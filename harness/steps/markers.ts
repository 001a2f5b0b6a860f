/**
 * Step markers: the guest's /init writes one line to /dev/kmsg when a step starts and
 * one when it ends, so every kernel message between them belongs to that step.
 *
 *   zdh: step begin <name>
 *   zdh: step end <name> status=<exit status>
 *
 * In the console they carry the usual printk prefix, e.g.
 *   [   12.345678] zdh: step begin hmm-tests
 * Step names are [A-Za-z0-9_.:-]+ (see STEP_NAME).
 */
export const MARKER_PREFIX = 'zdh: step';
export const STEP_NAME = /^[A-Za-z0-9_.:-]+$/;

export type StepMarker = { kind: 'begin'; step: string } | { kind: 'end'; step: string; status: number };

export function beginMarker(step: string): string {
  return `${MARKER_PREFIX} begin ${step}`;
}

export function endMarker(step: string, status: number): string {
  return `${MARKER_PREFIX} end ${step} status=${status}`;
}

const MARKER_RE = /zdh: step (begin|end) ([A-Za-z0-9_.:-]+)(?: status=(-?\d+))?\s*$/;

/** Parses a marker from a console line whose printk prefix may or may not be stripped. */
export function parseMarker(line: string): StepMarker | undefined {
  const m = MARKER_RE.exec(line);
  if (!m) return undefined;
  const step = m[2]!;
  if (m[1] === 'begin') return { kind: 'begin', step };
  return { kind: 'end', step, status: m[3] === undefined ? -1 : Number(m[3]) };
}
