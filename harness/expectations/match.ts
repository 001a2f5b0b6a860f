/**
 * Expectations: known failures of a kernel (and an accelerator), applied to the cases of
 * a run. Pure.
 *
 *   - a failing case that matches an expectation becomes an expected failure (xfail),
 *     with the expectation's reason;
 *   - a case that passes although an expectation says it fails is flagged (xpass): the
 *     kernel changed, or the expectation is stale; unless the expectation is
 *     `intermittent` (a failure seen in some runs of the same kernel, not all), whose
 *     case may pass: it stays a pass;
 *   - an expectation never applies to a workload whose step has a kernel-log finding (a
 *     BUG, a WARNING, a hang report): the case keeps failing and says why;
 *   - everything else is left as it is.
 */
import type { ExpectationFileRef, CaseStatus as ModelCaseStatus } from '../model/result.ts';
import type { CaseStatus as TapStatus } from '../tap/cases.ts';

export type Accel = 'tcg' | 'kvm';

export interface Expectation {
  workload: string;
  cases: string[];
  status: 'fail' | 'missing' | 'fail-or-missing';
  match?: string;
  reason: string;
  /** The failure is seen in some runs only: a pass is not an unexpected pass. */
  intermittent?: boolean;
  kernel?: string | string[];
  accel?: Accel | 'any';
  links?: string[];
}

export interface ExpectationFile {
  description?: string;
  kernel: string | string[];
  accel?: Accel | 'any';
  expectations: Expectation[];
  /** Where it was read from, for messages. */
  file?: string;
}

/** The case as the parser gave it. */
export interface CaseInput {
  name: string;
  status: TapStatus;
  reason: string | undefined;
  log: readonly string[];
}

export interface WorkloadCases {
  workload: string;
  cases: readonly CaseInput[];
}

/** What a finding needs to say for this module: which workload's step it came from. */
export interface FindingRef {
  workload: string;
  title: string;
}

export interface JudgedCase {
  workload: string;
  name: string;
  status: ModelCaseStatus;
  /** Failure or skip reason; the expectation's reason for xfail/xpass. */
  message: string | null;
  /** The expectation that applied (file and index), if any. */
  expectation: { file: string; index: number } | null;
}

export interface Judgement {
  cases: JudgedCase[];
  /** Expectations for workloads that ran whose cases never showed up or never failed that way. */
  unused: { file: string; index: number; workload: string; cases: string[] }[];
}

export interface RunFacts {
  kernelRelease: string;
  accel: Accel;
}

/** Shell-style glob (* and ?) to a RegExp anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

function versionParts(v: string): number[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim());
  if (!m) return [];
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Does a kernel release (e.g. '6.1.192', '6.1.0-28-amd64', '6.15.0-rc3') match a spec?
 * '6.1' = that major.minor; '6.1.192' = exactly; '>=6.1 <6.15' = every comparison holds.
 */
export function kernelMatches(release: string, spec: string | readonly string[]): boolean {
  const specs = typeof spec === 'string' ? [spec] : spec;
  const rel = versionParts(release);
  if (rel.length === 0) return false;
  return specs.some((s) => {
    const terms = s.trim().split(/\s+/);
    return terms.every((t) => {
      const m = /^(>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})$/.exec(t);
      if (!m) return false;
      const want = versionParts(m[2]!);
      const dots = m[2]!.split('.').length;
      const c = compare(rel, want);
      switch (m[1]) {
        case '>=':
          return c >= 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '<':
          return c < 0;
        default:
          // Bare or '=': as many parts as given must be equal.
          return rel.slice(0, dots).every((p, i) => p === want[i]);
      }
    });
  });
}

/**
 * The files that speak for this kernel and accelerator: the file's own kernel and accel
 * match, or one of its expectations does. What a run's report names as the known
 * failures it was judged with; a file whose list is empty still says "measured: none".
 */
export function applicableFiles(files: readonly ExpectationFile[], run: RunFacts): ExpectationFileRef[] {
  const used = new Set(applicableExpectations(files, run).map((a) => a.file));
  return files
    .filter(
      (f) =>
        used.has(f.file ?? '(expectations)') ||
        (kernelMatches(run.kernelRelease, f.kernel) &&
          (f.accel ?? 'any') !== (run.accel === 'kvm' ? 'tcg' : 'kvm')),
    )
    .map((f) => ({ file: f.file ?? '(expectations)', description: f.description ?? null }));
}

interface Applicable {
  e: Expectation;
  file: string;
  index: number;
  workload: RegExp;
  cases: RegExp[];
  match: RegExp | undefined;
}

/** The expectations of every file that apply to this kernel and accelerator. */
export function applicableExpectations(files: readonly ExpectationFile[], run: RunFacts): Applicable[] {
  const out: Applicable[] = [];
  for (const f of files) {
    for (const [index, e] of f.expectations.entries()) {
      const kernel = e.kernel ?? f.kernel;
      const accel = e.accel ?? f.accel ?? 'any';
      if (!kernelMatches(run.kernelRelease, kernel)) continue;
      if (accel !== 'any' && accel !== run.accel) continue;
      out.push({
        e,
        file: f.file ?? '(expectations)',
        index,
        workload: globToRegExp(e.workload),
        cases: e.cases.map(globToRegExp),
        match: e.match === undefined ? undefined : new RegExp(e.match),
      });
    }
  }
  return out;
}

function statusFits(e: Expectation, s: TapStatus): boolean {
  if (s === 'fail') return e.status === 'fail' || e.status === 'fail-or-missing';
  if (s === 'missing') return e.status === 'missing' || e.status === 'fail-or-missing';
  return false;
}

function detailMatches(a: Applicable, c: CaseInput): boolean {
  if (!a.match) return true;
  if (c.reason !== undefined && a.match.test(c.reason)) return true;
  return c.log.some((l) => a.match!.test(l));
}

export function applyExpectations(
  workloads: readonly WorkloadCases[],
  findings: readonly FindingRef[],
  files: readonly ExpectationFile[],
  run: RunFacts,
): Judgement {
  const rules = applicableExpectations(files, run);
  const used = new Set<Applicable>();
  const cases: JudgedCase[] = [];
  for (const w of workloads) {
    const wFindings = findings.filter((f) => f.workload === w.workload);
    const wRules = rules.filter((r) => r.workload.test(w.workload));
    for (const c of w.cases) {
      const rulesForCase = wRules.filter((r) => r.cases.some((re) => re.test(c.name)));
      const base: JudgedCase = {
        workload: w.workload,
        name: c.name,
        status: c.status,
        message: c.reason ?? null,
        expectation: null,
      };
      if (c.status === 'fail' || c.status === 'missing') {
        const hit = rulesForCase.find((r) => statusFits(r.e, c.status) && detailMatches(r, c));
        if (!hit) {
          cases.push(base);
          continue;
        }
        used.add(hit);
        if (wFindings.length > 0) {
          const titles = [...new Set(wFindings.map((f) => f.title))].slice(0, 3).join('; ');
          cases.push({
            ...base,
            message: `${c.reason ?? c.status} (matches a known failure, not applied: the kernel log has findings in this workload: ${titles})`,
          });
          continue;
        }
        cases.push({
          ...base,
          status: 'xfail',
          // The same prefix for an intermittent one: the reports find the entry by it.
          message: `expected failure: ${hit.e.reason.trim()}${c.reason ? ` [${c.reason}]` : ''}`,
          expectation: { file: hit.file, index: hit.index },
        });
        continue;
      }
      if (c.status === 'pass') {
        // A pass is what an intermittent failure's case usually does.
        for (const r of rulesForCase) if (r.e.intermittent) used.add(r);
        const stale = rulesForCase.find((r) => !r.e.intermittent);
        if (stale) {
          used.add(stale);
          cases.push({
            ...base,
            status: 'xpass',
            message: `passed, but expected to fail: ${stale.e.reason.trim()} (the kernel changed or the expectation is stale)`,
            expectation: { file: stale.file, index: stale.index },
          });
          continue;
        }
      }
      cases.push(base);
    }
  }
  const ran = new Set(workloads.map((w) => w.workload));
  const unused = rules
    .filter((r) => !used.has(r) && [...ran].some((w) => r.workload.test(w)))
    .map((r) => ({ file: r.file, index: r.index, workload: r.e.workload, cases: r.e.cases }));
  return { cases, unused };
}
