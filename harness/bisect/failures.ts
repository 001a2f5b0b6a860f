import type { ExitReason } from '../machine/exit-reason.ts';
import type { CaseStatus, CellResult, WorkloadStatus } from '../model/result.ts';
import { caseFails } from '../model/status.ts';
import type { Category, Finding } from '../scan/types.ts';
import { ANY, type Matcher, normaliseTitle, type Signature } from './signature.ts';

/**
 * Everything that went wrong in one cell, as a flat list a signature can be matched
 * against. A cell with no failures is clean. Pure: reads only the result model.
 */
export type Failure =
  | { kind: 'finding'; cell: string; workload: string; title: string; category: Category; finding: Finding }
  /** The machine hung in a step (or before /init: workload 'boot'), or a step timed out. */
  | { kind: 'hang'; cell: string; workload: string; detail: string }
  | { kind: 'case'; cell: string; workload: string; name: string; status: CaseStatus; message: string | null }
  /** A workload failed with no failing case to explain it (e.g. a non-zero exit). */
  | { kind: 'workload'; cell: string; workload: string; status: WorkloadStatus }
  /** The machine ended badly (panic, guest exit) and no finding covers it. */
  | { kind: 'crash'; cell: string; exit: string; detail: string }
  /** Not the kernel's fault: QEMU would not start, a channel broke, the plan failed. */
  | { kind: 'infrastructure'; cell: string; detail: string }
  | { kind: 'interrupted'; cell: string };

/** Findings that are a hang as far as `hang:WORKLOAD` is concerned. */
export const HANG_CATEGORIES: ReadonlySet<Category> = new Set([
  'hung-task',
  'soft-lockup',
  'hard-lockup',
  'rcu-stall',
]);

/** The step a machine exit names as stuck, or null when the exit is no hang. */
function hungStep(r: ExitReason): { step: string | undefined } | null {
  switch (r.kind) {
    case 'hang':
      return { step: r.step };
    case 'run-timeout':
      return { step: r.step };
    case 'boot-timeout':
      return { step: undefined };
    case 'done':
    case 'panic':
    case 'guest-exit':
    case 'infrastructure':
    case 'interrupted':
      return null;
    default: {
      const unhandled: never = r;
      throw new Error(`unhandled exit reason ${JSON.stringify(unhandled)}`);
    }
  }
}

export function cellFailures(cell: CellResult): Failure[] {
  if (cell.status === 'interrupted') return [{ kind: 'interrupted', cell: cell.id }];
  const out: Failure[] = [];
  for (const f of cell.findings) {
    out.push({
      kind: 'finding',
      cell: cell.id,
      workload: f.workload,
      title: f.title,
      category: f.category,
      finding: f,
    });
  }
  const exitKind = cell.exit?.reason.kind ?? null;
  const hang = cell.exit ? hungStep(cell.exit.reason) : null;
  const broken = cell.error !== null || exitKind === 'infrastructure' || cell.status === 'pending';
  if (broken) {
    out.push({
      kind: 'infrastructure',
      cell: cell.id,
      detail: cell.error ?? cell.exit?.message ?? 'the cell did not run',
    });
  }
  const hung = new Set<string>();
  if (exitKind !== null && hang !== null) {
    const w =
      exitKind === 'boot-timeout'
        ? undefined
        : (cell.workloads.find((x) => x.status === 'timeout' || x.status === 'incomplete')?.name ??
          hang.step);
    const workload = w ?? 'boot';
    hung.add(workload);
    out.push({ kind: 'hang', cell: cell.id, workload, detail: cell.exit?.message ?? exitKind });
  }
  for (const w of cell.workloads) {
    if (w.status === 'timeout' && !hung.has(w.name)) {
      hung.add(w.name);
      out.push({ kind: 'hang', cell: cell.id, workload: w.name, detail: `workload ${w.name} timed out` });
    }
  }
  if (exitKind !== null && exitKind !== 'done' && hang === null && !broken) {
    if (cell.findings.length === 0)
      out.push({ kind: 'crash', cell: cell.id, exit: exitKind, detail: cell.exit?.message ?? exitKind });
  }
  const cleanEnd = exitKind === 'done';
  for (const w of cell.workloads) {
    const failing = w.cases.filter(caseFails).filter((c) => c.status !== 'missing' || !broken);
    for (const c of failing) {
      out.push({
        kind: 'case',
        cell: cell.id,
        workload: w.name,
        name: c.name,
        status: c.status,
        message: c.message,
      });
    }
    if (failing.length > 0 || hung.has(w.name) || broken) continue;
    const failed =
      w.status === 'failed' ||
      w.status === 'error' ||
      (cleanEnd && (w.status === 'incomplete' || w.status === 'not-run'));
    if (failed) out.push({ kind: 'workload', cell: cell.id, workload: w.name, status: w.status });
  }
  return out;
}

export function matcherMatches(m: Matcher, f: Failure): boolean {
  switch (m.kind) {
    case 'title':
      return f.kind === 'finding' && normaliseTitle(f.title) === m.text;
    case 'title-regex':
      return f.kind === 'finding' && new RegExp(m.source, m.flags).test(f.title);
    case 'any-finding':
      return f.kind === 'finding';
    case 'hang':
      if (f.kind === 'hang') return m.workload === ANY || f.workload === m.workload;
      return (
        f.kind === 'finding' &&
        HANG_CATEGORIES.has(f.category) &&
        (m.workload === ANY || f.workload === m.workload)
      );
    case 'case':
      return (
        f.kind === 'case' &&
        (f.status === 'fail' || f.status === 'missing') &&
        f.name === m.name &&
        (m.workload === null || f.workload === m.workload)
      );
  }
}

/** The first matcher of the signature this failure matches, or null. */
export function signatureMatch(s: Signature, f: Failure): Matcher | null {
  return s.matchers.find((m) => matcherMatches(m, f)) ?? null;
}

/** A stable key per failure, for de-duplication and for the baseline of tolerated failures. */
export function failureKey(f: Failure): string {
  switch (f.kind) {
    case 'finding':
      return `finding:${normaliseTitle(f.title)}`;
    case 'hang':
      return `hang:${f.workload}`;
    case 'case':
      return `case:${f.workload}:${f.name}`;
    case 'workload':
      return `workload:${f.workload}:${f.status}`;
    case 'crash':
      return `exit:${f.exit}`;
    case 'infrastructure':
      return 'infrastructure';
    case 'interrupted':
      return 'interrupted';
  }
}

/** One line for people. */
export function describeFailure(f: Failure): string {
  switch (f.kind) {
    case 'finding':
      return `${f.title} (in ${f.workload})`;
    case 'hang':
      return `hang in ${f.workload}: ${f.detail}`;
    case 'case':
      return `case ${f.name} of ${f.workload}: ${f.status}${f.message ? ` (${firstLine(f.message)})` : ''}`;
    case 'workload':
      return `workload ${f.workload}: ${f.status}`;
    case 'crash':
      return f.detail;
    case 'infrastructure':
      return `infrastructure: ${firstLine(f.detail)}`;
    case 'interrupted':
      return 'interrupted';
  }
}

export function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}

/**
 * A failure key as an `--ignore` signature, where the syntax can say it (findings, hangs,
 * cases); null for workload exit statuses and machine exits.
 */
export function keyAsMatch(key: string): string | null {
  if (key.startsWith('finding:')) return `title:${key.slice('finding:'.length)}`;
  if (key.startsWith('hang:') || key.startsWith('case:')) return key;
  return null;
}
