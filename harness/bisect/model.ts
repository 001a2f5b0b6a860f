import type { Verdict } from './exit.ts';
import type { Signature } from './signature.ts';
import type { Evidence } from './verdict.ts';

/**
 * The bisect's record: written to the state folder after every step (so Ctrl-C loses at
 * most the step in flight and `--resume` replays the rest into git), and, with the
 * counts and outcome derived from it, to the run folder as bisect.json. Plain data.
 */
export const BISECT_VERSION = 1;

export interface CommitRef {
  /** As the user gave it (--good v6.1, --bad HEAD). */
  ref: string;
  commit: string;
  subject: string;
}

/** What each step builds and runs. Everything `--resume` needs to run the same steps again. */
export interface Selection {
  suite: string;
  /** --workload names, or null for the suite's. */
  workloads: string[] | null;
  /** --machine names, or null for the suite's. */
  machines: string[] | null;
  repeat: number;
  /** Absolute paths. */
  patches: string[];
  config: string[];
  base: string | null;
  defaultFragments: boolean;
  accel: 'auto' | 'kvm' | 'tcg';
  /** --ignore matchers, as given. */
  ignore: string[];
  /** --match, as given ([] when the signature is inferred). */
  match: string[];
}

export type StepRole = 'bad' | 'good' | 'bisect';

export interface StepBuild {
  outcome: 'built' | 'cached' | 'failed';
  seconds: number;
  cacheKey: string | null;
  kernelRelease: string | null;
  /** The build error (first lines), when it failed. */
  error: string | null;
}

export interface StepRecord {
  /** 1-based, in the order the steps ran. */
  index: number;
  /** Confirming --bad, confirming --good, or a bisection step git chose. */
  role: StepRole;
  commit: string;
  subject: string;
  verdict: Verdict | 'interrupted';
  reason: string;
  build: StepBuild;
  startedAt: string;
  seconds: number;
  /** The step's run folder, relative to the bisect's run folder. */
  dir: string;
  evidence: Evidence | null;
  matchedIn: number;
  ran: number;
  unrelated: string[];
  tolerated: string[];
}

/** How a bisection ended (bisect/exit.ts maps it to `zdh bisect`'s exit code). */
export type BisectOutcome =
  | { kind: 'found'; commit: string; subject: string; evidence: Evidence | null; step: number | null }
  | { kind: 'inconclusive'; candidates: { commit: string; subject: string }[] }
  | { kind: 'not-confirmed'; which: 'good' | 'bad'; reason: string }
  | { kind: 'error'; message: string }
  | { kind: 'interrupted' };

export type Phase = 'confirm-bad' | 'confirm-good' | 'bisecting' | 'done';

export interface BisectRecord {
  schema: 'zdh-bisect';
  version: typeof BISECT_VERSION;
  /** The user's repository (only ever read). */
  repo: string;
  /** zdh's own clone that `git bisect` runs in. */
  clone: string;
  good: CommitRef;
  bad: CommitRef;
  /** Commits in bad ^good: what the bisection searches. */
  rangeSize: number;
  selection: Selection;
  /** null until inferred from --bad. */
  signature: Signature | null;
  /** Failure keys --good showed (not the signature): tolerated in every step. */
  baseline: string[];
  runDir: string;
  command: string[];
  startedAt: string;
  finishedAt: string | null;
  phase: Phase;
  steps: StepRecord[];
  outcome: BisectOutcome | null;
}

export interface Counts {
  /** Steps with a verdict (interrupted ones excluded). */
  steps: number;
  confirmations: number;
  bisection: number;
  /** Kernels compiled (a build that was not a cache hit and succeeded). */
  builds: number;
  cachedBuilds: number;
  failedBuilds: number;
  good: number;
  bad: number;
  skip: number;
  /** ⌈log2 N⌉ + 2 for N commits in the range: the confirmations plus a binary search. */
  buildBound: number;
  seconds: number;
}

export function counts(r: BisectRecord): Counts {
  const done = r.steps.filter((s) => s.verdict !== 'interrupted');
  const n = (p: (s: StepRecord) => boolean): number => done.filter(p).length;
  return {
    steps: done.length,
    confirmations: n((s) => s.role !== 'bisect'),
    bisection: n((s) => s.role === 'bisect'),
    builds: n((s) => s.build.outcome === 'built'),
    cachedBuilds: n((s) => s.build.outcome === 'cached'),
    failedBuilds: n((s) => s.build.outcome === 'failed'),
    good: n((s) => s.verdict === 'good'),
    bad: n((s) => s.verdict === 'bad'),
    skip: n((s) => s.verdict === 'skip'),
    buildBound: buildBound(r.rangeSize),
    seconds: Math.round(r.steps.reduce((t, s) => t + s.seconds, 0) * 10) / 10,
  };
}

export function buildBound(rangeSize: number): number {
  return Math.ceil(Math.log2(Math.max(1, rangeSize))) + 2;
}

/** bisect.json: the record with its derived counts. */
export interface BisectReport extends BisectRecord {
  counts: Counts;
}

export function bisectReport(r: BisectRecord): BisectReport {
  return { ...r, counts: counts(r) };
}

/** The found commit's evidence: from the step that tested it bad. */
export function foundOutcome(r: BisectRecord, commit: string, subject: string | null): BisectOutcome {
  const step = r.steps.find((s) => s.commit === commit && s.verdict === 'bad');
  return {
    kind: 'found',
    commit,
    subject: subject ?? step?.subject ?? '',
    evidence: step?.evidence ?? null,
    step: step?.index ?? null,
  };
}

/** The verdicts to replay into a fresh `git bisect start` (resume), in order. */
export function replayVerdicts(r: BisectRecord): { commit: string; verdict: Verdict }[] {
  return r.steps
    .filter((s) => s.role === 'bisect')
    .flatMap((s) => (s.verdict === 'interrupted' ? [] : [{ commit: s.commit, verdict: s.verdict }]));
}

export function parseRecord(text: string, file: string): BisectRecord {
  const r = JSON.parse(text) as Partial<BisectRecord>;
  if (r.schema !== 'zdh-bisect' || r.version !== BISECT_VERSION) {
    throw new Error(`${file} is not a zdh bisect state of version ${BISECT_VERSION}`);
  }
  return r as BisectRecord;
}
