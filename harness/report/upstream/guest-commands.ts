/**
 * The guest commands a workload's step ran, for a reproducer. Two sources, one truth:
 *
 * - the step's output: the script brackets every part with
 *   `zdh-workload:<nonce> <part> <label> begin: <command>` (workloads/script.ts), the
 *   command as it ran, parameters filled in, but cut to its first line and 160 characters;
 * - the workload's declaration with the cell's parameters (workloads/plan.ts does the
 *   same substitution): whole, but as declared now, which may not be as it was.
 *
 * A part whose declared command gives the very marker the run printed is taken whole from
 * the declaration; any other part is the marker's text, flagged when the marker cut it.
 * Parts the step never reached (or all of them, without a step output) come from the
 * declaration, marked as such. Pure.
 */

import { stripTerminalCodes } from '../../util/terminal-text.ts';
import { resolveParams, substitute } from '../../workloads/params.ts';
import { markerHeadline, WORKLOAD_MARKER } from '../../workloads/script.ts';
import { GUEST_BIN, type WorkloadDecl } from '../../workloads/types.ts';

export type GuestPartKind = 'setup' | 'command' | 'check' | 'teardown';

export interface GuestPart {
  part: GuestPartKind;
  /** The set-up or teardown index (1-based), the check's name, or 'main'. */
  label: string;
  command: string;
  /** 'run': as the step printed it (whole when the declaration agrees); 'declaration': not seen run. */
  from: 'run' | 'declaration';
  /** The marker cut the command and the declaration no longer gives it. */
  cut: boolean;
}

const PART_RE = /^(setup|command|check|teardown) (\S+) begin: (.*)$/;
const NONCE_RE = new RegExp(`^${WORKLOAD_MARKER}([A-Za-z0-9]+) (?:setup|command|check|teardown) \\S+ begin`);
/** workloads/script.ts cuts a command's first line at 157 characters plus `...`. */
const CUT_AT = 160;

/**
 * The nonce of a step's part markers, from its first begin marker: for a run folder whose
 * result.json is gone. The step's own output is the script's, so its first marker is real.
 */
export function stepNonce(output: string): string | null {
  for (const line of output.split('\n')) {
    const m = NONCE_RE.exec(stripTerminalCodes(line));
    if (m) return m[1]!;
  }
  return null;
}

/** The begin markers of a step's output, in order. Without a nonce, the first marker's is taken. */
export function markerParts(output: string, nonce: string | null): Omit<GuestPart, 'from' | 'cut'>[] {
  const lines = output.split('\n').map((l) => stripTerminalCodes(l).trimEnd());
  const key = nonce ?? stepNonce(output);
  if (key === null) return [];
  const prefix = `${WORKLOAD_MARKER}${key} `;
  const out: Omit<GuestPart, 'from' | 'cut'>[] = [];
  for (const line of lines) {
    if (!line.startsWith(prefix)) continue;
    const m = PART_RE.exec(line.slice(prefix.length));
    if (m) out.push({ part: m[1] as GuestPartKind, label: m[2]!, command: m[3]! });
  }
  return out;
}

/** The parts a declaration gives with these parameters, as workloads/plan.ts plans them. */
export function declaredParts(
  decl: WorkloadDecl,
  params: Readonly<Record<string, unknown>>,
): Omit<GuestPart, 'from' | 'cut'>[] {
  const values = { ...resolveParams(decl, params).values, bin: GUEST_BIN };
  const sub = (t: string): string => substitute(t, values).text;
  return [
    ...(decl.setup ?? []).map((c, i) => ({ part: 'setup' as const, label: String(i + 1), command: sub(c) })),
    { part: 'command' as const, label: 'main', command: sub(decl.command) },
    ...(decl.checks ?? []).map((c) => ({ part: 'check' as const, label: c.name, command: sub(c.command) })),
    ...(decl.teardown ?? []).map((c, i) => ({
      part: 'teardown' as const,
      label: String(i + 1),
      command: sub(c),
    })),
  ];
}

/** The step's guest commands: the run's markers, made whole from the declaration where it agrees. */
export function guestCommands(
  step: { output: string; nonce: string | null } | null,
  declared: readonly Omit<GuestPart, 'from' | 'cut'>[],
): GuestPart[] {
  const ran = step === null ? [] : markerParts(step.output, step.nonce);
  const same = (a: Omit<GuestPart, 'from' | 'cut'>, b: Omit<GuestPart, 'from' | 'cut'>): boolean =>
    a.part === b.part && a.label === b.label;
  const parts: GuestPart[] = ran.map((r) => {
    const d = declared.find((x) => same(x, r));
    if (d !== undefined && markerHeadline(d.command) === r.command) return { ...d, from: 'run', cut: false };
    return { ...r, from: 'run', cut: r.command.length >= CUT_AT && r.command.endsWith('...') };
  });
  // What the step never got to (the machine stopped, a set-up failed): as planned.
  for (const d of declared)
    if (!ran.some((r) => same(r, d))) parts.push({ ...d, from: 'declaration', cut: false });
  return parts;
}
