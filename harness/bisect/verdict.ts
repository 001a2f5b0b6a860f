import type { CellResult } from '../model/result.ts';
import type { Verdict } from './exit.ts';
import {
  cellFailures,
  describeFailure,
  type Failure,
  failureKey,
  firstLine,
  matcherMatches,
  signatureMatch,
} from './failures.ts';
import { formatMatcher, type Matcher, type Signature } from './signature.ts';

/**
 * One bisect step's verdict from its build and its cells (one per repeat and machine).
 * Pure. In order:
 *   build failed (or nothing ran)              → skip
 *   any cell shows the signature               → bad (one match in N repeats is enough)
 *   interrupted                                → interrupted (no verdict; the step runs again)
 *   infrastructure failure                     → skip
 *   a failure the signature does not match     → skip (reported: it may be another bug)
 *   otherwise                                  → good (clean in every repeat)
 * Failures that `tolerate` matches (`--ignore`), or whose key is in `baseline` (what the
 * confirmed good commit already showed), count as clean; they are listed in `tolerated`.
 */
export interface JudgeInput {
  buildError: string | null;
  cells: readonly CellResult[];
  signature: Signature;
  tolerate?: readonly Matcher[];
  baseline?: readonly string[];
}

/** What marks a bad step: the failure that matched, where, and the log lines that show it. */
export interface Evidence {
  /** The --match text of the matcher that matched. */
  matcher: string;
  kind: Failure['kind'];
  /** One line: the finding's title, the hang, the failing case. */
  summary: string;
  /** The finding title, for findings. */
  title: string | null;
  workload: string | null;
  cell: string;
  /** The finding's report lines, the hang message or the case's failure message. */
  excerpt: string;
  /** console.log (relative to the step's run folder) and the lines of the report in it. */
  console: string | null;
  lines: [number, number] | null;
}

export interface StepJudgement {
  verdict: Verdict | 'interrupted';
  /** One line for the step table. */
  reason: string;
  evidence: Evidence | null;
  /** Repeats (cells) that showed the signature, of those that ran. */
  matchedIn: number;
  ran: number;
  /** Failures that did not match the signature (what made a step skip), de-duplicated. */
  unrelated: string[];
  /** Failures that were tolerated (baseline or --ignore), de-duplicated. */
  tolerated: string[];
}

export function judgeStep(input: JudgeInput): StepJudgement {
  const ran = input.cells.length;
  const none = { evidence: null, matchedIn: 0, ran, unrelated: [], tolerated: [] };
  if (input.buildError !== null) {
    return { ...none, ran: 0, verdict: 'skip', reason: `build failed: ${firstLine(input.buildError)}` };
  }
  if (ran === 0) return { ...none, verdict: 'skip', reason: 'nothing ran (no machine or workload selected)' };
  const perCell = input.cells.map((c) => ({ cell: c, failures: cellFailures(c) }));
  const all = perCell.flatMap((p) => p.failures);
  const baseline = new Set(input.baseline ?? []);
  const tolerate = input.tolerate ?? [];
  const isTolerated = (f: Failure): boolean =>
    baseline.has(failureKey(f)) || tolerate.some((m) => matcherMatches(m, f));

  let first: { failure: Failure; matcher: Matcher; cell: CellResult } | null = null;
  let matchedIn = 0;
  for (const { cell, failures } of perCell) {
    let hit = false;
    for (const f of failures) {
      const m = signatureMatch(input.signature, f);
      if (!m) continue;
      hit = true;
      first ??= { failure: f, matcher: m, cell };
    }
    if (hit) matchedIn++;
  }
  const unrelated = dedupe(
    all.filter((f) => f.kind !== 'interrupted' && !signatureMatch(input.signature, f) && !isTolerated(f)),
  );
  const tolerated = dedupe(all.filter((f) => !signatureMatch(input.signature, f) && isTolerated(f)));
  const base = { matchedIn, ran, unrelated, tolerated };
  if (first) {
    const evidence = evidenceOf(first.failure, first.matcher, first.cell);
    const times = ran > 1 ? ` (${matchedIn} of ${ran} runs)` : '';
    return { ...base, verdict: 'bad', reason: `${evidence.summary}${times}`, evidence };
  }
  if (all.some((f) => f.kind === 'interrupted')) {
    return { ...base, evidence: null, verdict: 'interrupted', reason: 'interrupted' };
  }
  const infra = all.find((f) => f.kind === 'infrastructure');
  if (infra) return { ...base, evidence: null, verdict: 'skip', reason: describeFailure(infra) };
  if (unrelated.length > 0) {
    const more = unrelated.length > 1 ? ` (+${unrelated.length - 1} more)` : '';
    return { ...base, evidence: null, verdict: 'skip', reason: `other failure: ${unrelated[0]}${more}` };
  }
  const note = tolerated.length > 0 ? `, ${tolerated.length} tolerated failure(s)` : '';
  return {
    ...base,
    evidence: null,
    verdict: 'good',
    reason: ran > 1 ? `clean in all ${ran} runs${note}` : `clean${note}`,
  };
}

function dedupe(failures: readonly Failure[]): string[] {
  const seen = new Map<string, string>();
  for (const f of failures) if (!seen.has(failureKey(f))) seen.set(failureKey(f), describeFailure(f));
  return [...seen.values()];
}

export function evidenceOf(f: Failure, m: Matcher, cell: CellResult): Evidence {
  const common = {
    matcher: formatMatcher(m),
    kind: f.kind,
    cell: cell.id,
    console: cell.artifacts.console,
  };
  switch (f.kind) {
    case 'finding':
      return {
        ...common,
        summary: f.title,
        title: f.title,
        workload: f.workload,
        excerpt: f.finding.excerpt,
        lines: [f.finding.firstLine, f.finding.lastLine],
      };
    case 'hang':
      return {
        ...common,
        summary: `hang in ${f.workload}`,
        title: null,
        workload: f.workload,
        excerpt: f.detail,
        lines: cell.workloads.find((w) => w.name === f.workload)?.consoleLines ?? null,
      };
    case 'case':
      return {
        ...common,
        summary: `${f.workload}: ${f.name} ${f.status}`,
        title: null,
        workload: f.workload,
        excerpt: f.message ?? `${f.name}: ${f.status}`,
        lines: cell.workloads.find((w) => w.name === f.workload)?.consoleLines ?? null,
      };
    default:
      return {
        ...common,
        summary: describeFailure(f),
        title: null,
        workload: null,
        excerpt: describeFailure(f),
        lines: null,
      };
  }
}
