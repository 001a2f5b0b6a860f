/**
 * One result per test case from a parsed TAP/KTAP document. Pure.
 *
 * A case is pass, fail, skip (with its reason) or missing: it was planned (by the plan
 * line, by the list of cases the program declares, or by a RUN line) but never reported,
 * because the program crashed, was killed or timed out. Nested documents are flattened
 * into `parent.child` names.
 */
import type { TapDocument, TapResult } from './parse.ts';

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'missing';

export interface TapCase {
  name: string;
  status: CaseStatus;
  /** Why: the SKIP reason, the failure's message, or why a case is missing. */
  reason: string | undefined;
  /** The case's number in its document, when it had one. */
  number: number | undefined;
  /** The raw directive (e.g. XFAIL, TODO, error, TIMEOUT), when there was one. */
  directive: string | undefined;
  /** Output that belongs to the case. */
  log: string[];
}

export interface CaseOptions {
  /**
   * The names the program is known to run, in order (from the source, or from the
   * program's own --list). Used to name the cases that never reported.
   */
  expected?: readonly string[];
  /** Why the output stopped early, when the caller knows (e.g. 'the command timed out after 600 s'). */
  stopped?: string;
}

/** Lines of a failing case's log that say why, most specific first. */
const WHY_RES = [
  /Expected .*/,
  /Test terminated .*|Test failed at step .*|Test exited .*|Test ended .*/,
  /\b(?:ASSERT|FAIL|fail|error|Error|ERROR)\b.*/,
];

function failureReason(r: TapResult): string | undefined {
  if (r.directive && (r.directive.kind === 'ERROR' || r.directive.kind === 'TIMEOUT')) {
    return `${r.directive.kind.toLowerCase()}${r.directive.reason ? `: ${r.directive.reason}` : ''}`;
  }
  const lines = r.log.filter(
    (l) => !/^\s*(?:OK|FAIL)\s{2}\S+$/.test(l.trim()) && !/^\s*RUN\s/.test(l.trim()),
  );
  for (const re of WHY_RES) {
    const hit = lines.find((l) => re.test(l));
    if (hit) return hit.trim();
  }
  const last = lines.at(-1);
  return last === undefined ? undefined : last.trim();
}

function resultName(r: TapResult, index: number): string {
  if (r.name !== '') return r.name;
  if (r.runName !== undefined) return r.runName;
  return `#${r.number ?? index + 1}`;
}

function resultCase(r: TapResult, index: number): TapCase {
  const name = resultName(r, index);
  const base = { name, number: r.number, directive: r.directive?.kind, log: r.log };
  const d = r.directive;
  if (d?.kind === 'SKIP') return { ...base, status: 'skip', reason: d.reason || 'skipped (no reason given)' };
  if (d?.kind === 'TODO' && !r.ok)
    return { ...base, status: 'skip', reason: `TODO${d.reason ? `: ${d.reason}` : ''}` };
  if (r.ok)
    return { ...base, status: 'pass', reason: d ? `${d.kind}${d.reason ? `: ${d.reason}` : ''}` : undefined };
  return { ...base, status: 'fail', reason: failureReason(r) };
}

export function tapCases(doc: TapDocument, opts: CaseOptions = {}): TapCase[] {
  const out: TapCase[] = [];
  const reported = new Set<string>();
  for (const [index, r] of doc.results.entries()) {
    const own = resultCase(r, index);
    if (r.subtest && (r.subtest.results.length > 0 || r.subtest.plan)) {
      const children = tapCases(r.subtest, {});
      const prefix =
        own.name !== '' && !own.name.startsWith('#') ? own.name : (r.subtest.subtestName ?? own.name);
      for (const c of children) out.push({ ...c, name: `${prefix}.${c.name}` });
      // A parent that failed with every child passing still failed (e.g. a crash after the last child).
      if (own.status === 'fail' && children.every((c) => c.status !== 'fail' && c.status !== 'missing'))
        out.push(own);
    } else {
      out.push(own);
    }
    reported.add(own.name);
  }

  // Cases that never reported.
  const numbersSeen = new Set(doc.results.map((r, i) => r.number ?? i + 1));
  if (doc.pendingSubtest) numbersSeen.add(doc.results.length + 1);
  const planned = doc.plan?.count ?? 0;
  const stopped = doc.bailOut !== undefined ? `bail out: ${doc.bailOut}` : opts.stopped;
  const expectedLeft = (opts.expected ?? []).filter((n) => !reported.has(n));
  let pending = doc.pendingRun !== undefined && !reported.has(doc.pendingRun) ? doc.pendingRun : undefined;
  const missing = (name: string, number: number | undefined, started: boolean): TapCase => ({
    name,
    status: 'missing',
    reason: started
      ? `started but never reported${stopped ? ` (${stopped})` : ' (crash, kill or timeout)'}`
      : `never ran: the output stopped before it${stopped ? ` (${stopped})` : ''}`,
    number,
    directive: undefined,
    log: started ? doc.trailing : [],
  });

  // The case in progress: a RUN line, or a nested document that never got its result line.
  let inProgress = 0;
  if (doc.pendingSubtest && (doc.pendingSubtest.results.length > 0 || doc.pendingSubtest.plan)) {
    const name = doc.pendingSubtest.subtestName ?? pending ?? expectedLeft[0] ?? `#${doc.results.length + 1}`;
    for (const c of tapCases(doc.pendingSubtest, {
      stopped: stopped ?? 'the output stopped inside this subtest',
    })) {
      out.push({ ...c, name: `${name}.${c.name}` });
    }
    reported.add(name);
    if (pending === name) pending = undefined;
    inProgress = 1;
  }

  const names = expectedLeft.filter((n) => !reported.has(n));
  if (pending !== undefined) {
    const idx = names.indexOf(pending);
    if (idx >= 0) names.splice(idx, 1);
  }
  let next = 1;
  const nextFree = (): number => {
    while (numbersSeen.has(next)) next++;
    numbersSeen.add(next);
    return next;
  };
  // With a plan, exactly the unreported slots are missing (named from the expected list
  // when there is one); without a plan, every expected name that did not report.
  const hasPlan = doc.plan !== undefined;
  const slots = hasPlan
    ? Math.max(planned - doc.results.length - inProgress, 0)
    : names.length + (pending !== undefined ? 1 : 0);
  let emitted = 0;
  if (pending !== undefined && (slots > 0 || !hasPlan)) {
    out.push(missing(pending, hasPlan ? nextFree() : undefined, true));
    emitted++;
  }
  while (emitted < slots) {
    const number = hasPlan ? nextFree() : undefined;
    const name = names.shift() ?? `#${number ?? doc.results.length + emitted + 1}`;
    out.push(missing(name, number, false));
    emitted++;
  }
  return out;
}

/** Counts by status, for summaries and for checking a document's own Totals line. */
export function countCases(cases: readonly TapCase[]): Record<CaseStatus, number> {
  const c: Record<CaseStatus, number> = { pass: 0, fail: 0, skip: 0, missing: 0 };
  for (const x of cases) c[x.status]++;
  return c;
}
