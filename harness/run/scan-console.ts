import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { splitConsoleLine } from '../machine/console-log.ts';
import { Scanner } from '../scan/scanner.ts';
import type { Finding } from '../scan/types.ts';

/**
 * Reads a run's console.log (host-stamped lines) once: the kernel-log findings, and
 * each step's console line range from its markers. Line numbers are console.log's.
 */
export interface ConsoleScan {
  findings: Finding[];
  /** step name → [first, last] console line (1-based, inclusive, markers included). */
  stepLines: Map<string, [number, number]>;
  lines: number;
}

/**
 * `markerNonce`: the boot's step-marker nonce (MachineResult.markerNonce); the step ranges
 * and the findings' steps then come from /init's markers alone, the ones the scanner
 * takes (scan/scanner.ts), not from marker-like lines a workload wrote.
 */
export async function scanConsoleLog(
  path: string,
  zoneDevice?: number,
  markerNonce?: string,
): Promise<ConsoleScan> {
  const stepLines = new Map<string, [number, number]>();
  const ended = new Set<string>();
  const scanner = new Scanner({
    ...(zoneDevice === undefined ? {} : { zoneDevice }),
    ...(markerNonce === undefined ? {} : { markerNonce }),
    onStepMarker: (marker, n) => {
      if (marker.kind === 'begin') stepLines.set(marker.step, [n, n]);
      else {
        const range = stepLines.get(marker.step);
        if (range) range[1] = n;
        ended.add(marker.step);
      }
    },
  });
  let n = 0;
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'latin1' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const raw of rl) {
    n++;
    const { text } = splitConsoleLine(raw);
    // latin1 keeps every byte as one char; the scanner decodes bytes itself. One line in,
    // one line counted: the scanner's line numbers are console.log's.
    scanner.push(Buffer.from(`${text}\n`, 'latin1'));
  }
  const findings = scanner.finish();
  // A step that began and never ended (crash, hang) runs to the end of the log.
  for (const [step, range] of stepLines) if (!ended.has(step)) range[1] = n;
  return { findings, stepLines, lines: n };
}
