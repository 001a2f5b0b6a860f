import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CASE_STATUS, caseLabel, type KcidbStatus } from '../model/labels.ts';
import type { CellResult, KernelInfo, RunSummary, WorkloadResult } from '../model/result.ts';
import type { Finding } from '../scan/types.ts';
import { type ConsoleSlicer, noConsole } from './console-excerpt.ts';
import { cleanText } from './text.ts';
import * as view from './view.ts';

/**
 * kcidb.json: the run in KCIDB I/O format v5.3, the data KernelCI's common results
 * database takes (docs/reports.md, "KCIDB"). Pure: a function of the model (and, for log
 * excerpts, the console slices JUnit quotes too). Submitting it is the user's business.
 *
 *   checkouts  one per distinct kernel source + patch series
 *   builds     one per distinct kernel build (x86_64, the toolchain, the config)
 *   tests      one per JUnit test case, in the same order: the boot, the machine exit, a
 *              step that says more than its cases, every case, every kernel finding
 *   issues     one per kernel finding title, keyed by the title; one per expectation
 *              (xfail/xpass), keyed by its reason
 *   incidents  one per finding in a cell (its issue, present in its test), one per xfail
 *              (present) and xpass (absent) case
 *
 * Ids are `<origin>:<local>`; locals derive from the run id, the kernel's content, the cell
 * id, the workload and the case name, so rendering the same run again gives the same ids.
 */

export const KCIDB_FILE = 'kcidb.json';
export const DEFAULT_KCIDB_ORIGIN = 'zdh';
/** The schema's limit on every `log_excerpt`. */
export const LOG_EXCERPT_MAX = 16384;
/** A failing test's excerpt quotes at most this many lines of its step's console. */
export const EXCERPT_LINES = 50;
/** The version every finding's issue is submitted at; raise it when an issue's content changes meaning. */
export const ISSUE_VERSION = 1;
/** Every machine zdh boots is qemu-system-x86_64. */
export const ARCHITECTURE = 'x86_64';

export interface KcidbOptions {
  /** The CI system's name in KCIDB (`--kcidb-origin`): lower-case letters, digits, `_`. */
  origin?: string;
  /** Console slices for log excerpts, cut from logs the caller read (console-slice.ts; default: none). */
  console?: ConsoleSlicer;
}

type Misc = Record<string, unknown>;

export interface KcidbCheckout {
  id: string;
  origin: string;
  tree_name?: string;
  git_repository_url?: string;
  git_commit_hash?: string;
  git_commit_name?: string;
  patchset_hash?: string;
  start_time?: string;
  valid?: boolean;
  comment?: string;
  misc: Misc;
}

export interface KcidbBuild {
  id: string;
  checkout_id: string;
  origin: string;
  architecture: string;
  compiler?: string;
  config_name: string;
  config_url?: string;
  duration?: number;
  start_time?: string;
  status?: KcidbStatus;
  log_url?: string;
  log_excerpt?: string;
  comment?: string;
  misc: Misc;
}

export interface KcidbTest {
  id: string;
  build_id: string;
  origin: string;
  path: string;
  status: KcidbStatus;
  duration?: number;
  start_time?: string;
  comment?: string;
  log_url?: string;
  log_excerpt?: string;
  environment: { comment: string; misc: Misc };
  misc: Misc;
}

export interface KcidbIssue {
  id: string;
  version: number;
  origin: string;
  report_subject: string;
  comment: string;
  categories: string[];
  culprit: { code: boolean; tool: boolean; harness: boolean };
  misc: Misc;
}

export interface KcidbIncident {
  id: string;
  origin: string;
  issue_id: string;
  issue_version: number;
  build_id: string;
  test_id: string;
  present: boolean;
  comment?: string;
  misc: Misc;
}

export interface KcidbData {
  version: { major: 5; minor: 3 };
  checkouts: KcidbCheckout[];
  builds: KcidbBuild[];
  tests: KcidbTest[];
  issues: KcidbIssue[];
  incidents: KcidbIncident[];
}

const ORIGIN = /^[a-z0-9_]+$/;

/** True for an origin KCIDB accepts (the schema's pattern). */
export function validOrigin(origin: string): boolean {
  return ORIGIN.test(origin);
}

/** The sha256 over the newline-terminated sha256s of the patches, in order; '' with none (KCIDB's patchset_hash). */
export function patchsetHash(patchSha256s: readonly string[]): string {
  if (patchSha256s.length === 0) return '';
  const h = createHash('sha256');
  for (const p of patchSha256s) h.update(`${p}\n`);
  return h.digest('hex');
}

/** A KCIDB test path segment: letters, digits, `_` and `-`; anything else becomes `_`. */
export function pathSegment(s: string): string {
  return s.replace(/[^a-zA-Z0-9_-]/g, '_') || '_';
}

/** `<workload>.<case path>`: a case's nested names (`parent.child`) stay levels of the path. */
export function testPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('.'))
    .map(pathSegment)
    .join('.');
}

const WORD_STATUS: Record<view.Judged['verdict'], KcidbStatus> = {
  passed: 'PASS',
  failed: 'FAIL',
  error: 'ERROR',
  // An entry (boot, step) is skipped only when it could not run: the run was interrupted or
  // the cell could not start. That is KCIDB's MISS (not run, for a reason not the test's).
  skipped: 'MISS',
};

const h12 = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12);

export function renderKcidb(summary: RunSummary, opts: KcidbOptions = {}): KcidbData {
  const origin = opts.origin ?? DEFAULT_KCIDB_ORIGIN;
  if (!validOrigin(origin)) {
    throw new Error(`KCIDB origin "${origin}" must be lower-case letters, digits and _`);
  }
  const out = new KcidbWriter(summary.run, origin, opts.console ?? noConsole);
  for (const cell of summary.cells) new CellTests(out, cell).write();
  return out.data;
}

interface TestEntry {
  entry: 'boot' | 'machine exit' | 'step' | 'case' | 'finding';
  label: string;
  message: string | null;
  duration?: number | null;
  excerpt?: string | null;
  logUrl?: string | undefined;
  misc?: Misc;
}

/** The run's KCIDB objects as they are added: one checkout and one build per distinct kernel, unique test ids. */
class KcidbWriter {
  readonly data: KcidbData = {
    version: { major: 5, minor: 3 },
    checkouts: [],
    builds: [],
    tests: [],
    issues: [],
    incidents: [],
  };
  readonly run: RunSummary['run'];
  readonly origin: string;
  readonly slicer: ConsoleSlicer;
  readonly issues = new Map<string, KcidbIssue>();
  readonly #checkouts = new Map<string, string>();
  readonly #builds = new Map<string, string>();
  readonly #testIds = new Set<string>();

  constructor(run: RunSummary['run'], origin: string, slicer: ConsoleSlicer) {
    this.run = run;
    this.origin = origin;
    this.slicer = slicer;
  }

  id(local: string): string {
    return `${this.origin}:${local}`;
  }

  url(p: string | null): string | undefined {
    return p === null ? undefined : pathToFileURL(isAbsolute(p) ? p : resolve(this.run.dir || '/', p)).href;
  }

  uniqueId(local: string): string {
    let candidate = this.id(local);
    for (let n = 2; this.#testIds.has(candidate); n++) candidate = this.id(`${local} (${n})`);
    this.#testIds.add(candidate);
    return candidate;
  }

  #checkoutOf(cell: CellResult): string {
    const k = cell.kernel;
    const key = JSON.stringify([k.name, k.source, k.patches]);
    const known = this.#checkouts.get(key);
    if (known) return known;
    const cid = this.id(`${this.run.id}/${k.name}/${h12(key)}`);
    this.#checkouts.set(key, cid);
    this.data.checkouts.push(checkout(cid, this.origin, k, this.run.startedAt));
    return cid;
  }

  buildOf(cell: CellResult): string {
    const k = cell.kernel;
    const key = JSON.stringify([
      k.name,
      k.source,
      k.patches,
      k.base,
      k.fragments,
      k.configSha256,
      k.cacheKey,
    ]);
    const known = this.#builds.get(key);
    if (known) return known;
    const bid = this.id(`${this.run.id}/${k.name}/${h12(key)}`);
    this.#builds.set(key, bid);
    this.data.builds.push(
      build(bid, this.#checkoutOf(cell), this.origin, cell, (p) => this.url(p), this.run.startedAt),
    );
    return bid;
  }
}

/** One cell's tests and incidents: the boot, the machine exit, each step, case and finding. */
class CellTests {
  readonly #out: KcidbWriter;
  readonly #cell: CellResult;
  readonly #buildId: string;
  readonly #environment: KcidbTest['environment'];
  readonly #misc: Misc;
  readonly #consoleUrl: string | undefined;

  constructor(out: KcidbWriter, cell: CellResult) {
    this.#out = out;
    this.#cell = cell;
    this.#buildId = out.buildOf(cell);
    this.#environment = {
      comment: `${cell.machine.name} (${cell.machine.accel ?? 'accelerator unknown'})`,
      misc: compact({
        machine: cell.machine.name,
        accel: cell.machine.accel,
        qemu_version: cell.machine.qemuVersion,
      }),
    };
    this.#misc = {
      run_id: out.run.id,
      cell: cell.id,
      cell_status: cell.status,
      repeat: cell.repeat,
      kernel: cell.kernel.name,
      kernel_release: cell.kernel.release,
      machine: cell.machine.name,
      accel: cell.machine.accel,
      accel_reason: cell.machine.accelReason,
      expectations: cell.expectations?.length ? cell.expectations.map((e) => e.file).join(', ') : null,
    };
    this.#consoleUrl = out.url(cell.artifacts.console);
  }

  write(): void {
    const cell = this.#cell;
    const boot = view.judgeBoot(cell);
    this.#add(view.BOOT, view.BOOT, WORD_STATUS[boot.verdict], {
      entry: 'boot',
      label: boot.verdict,
      message: boot.message,
      excerpt: boot.verdict === 'error' ? boot.message : null,
      logUrl: cell.artifacts.console === null ? this.#out.url(cell.artifacts.buildLog) : undefined,
    });
    const exit = view.judgeExit(cell);
    if (exit) {
      this.#add(`${view.BOOT}/machine exit`, testPath(view.BOOT, 'machine_exit'), WORD_STATUS[exit.verdict], {
        entry: 'machine exit',
        label: exit.verdict,
        message: exit.message,
        excerpt: exit.message,
        misc: { exit: cell.exit?.reason.kind ?? null },
      });
    }
    this.#findings(view.BOOT);
    for (const w of cell.workloads) {
      this.#workload(w);
      this.#findings(w.name);
    }
    for (const name of view.strayWorkloads(cell)) this.#findings(name);
  }

  #add(local: string, path: string, status: KcidbStatus, o: TestEntry): KcidbTest {
    const t: KcidbTest = {
      id: this.#out.uniqueId(`${this.#out.run.id}/${this.#cell.id}/${local}`),
      build_id: this.#buildId,
      origin: this.#out.origin,
      path,
      status,
      environment: this.#environment,
      misc: compact({ ...this.#misc, entry: o.entry, status: o.label, ...o.misc }),
    };
    if (o.duration != null) t.duration = o.duration;
    if (o.message) t.comment = text(o.message);
    const logUrl = o.logUrl ?? this.#consoleUrl;
    if (logUrl) t.log_url = logUrl;
    if (o.excerpt) t.log_excerpt = excerpt(o.excerpt, o.entry === 'finding' ? 'head' : 'tail');
    this.#out.data.tests.push(t);
    return t;
  }

  /** The end of a step's console, for a failing entry. */
  #tail(w: WorkloadResult | null, status: KcidbStatus, head: string | null): string | null {
    const failing = status === 'FAIL' || status === 'ERROR';
    const lines = failing && w?.consoleLines ? this.#out.slicer(this.#cell, w.consoleLines) : null;
    const quoted = lines && lines.length > 0 ? lines.slice(-EXCERPT_LINES).join('\n') : null;
    return [head, quoted].filter((s): s is string => s !== null && s !== '').join('\n\n') || null;
  }

  #incident(
    local: string,
    issue: KcidbIssue,
    test: KcidbTest,
    present: boolean,
    comment: string,
    misc: Misc,
  ): void {
    this.#out.data.incidents.push({
      id: this.#out.id(`${this.#out.run.id}/${this.#cell.id}/${local}`),
      origin: this.#out.origin,
      issue_id: issue.id,
      issue_version: issue.version,
      build_id: this.#buildId,
      test_id: test.id,
      present,
      comment: text(comment),
      misc,
    });
  }

  #findings(workload: string): void {
    const out = this.#out;
    for (const f of view.findingsFor(this.#cell, workload)) {
      const test = this.#add(
        `${workload}/kernel: ${f.title}`,
        testPath(workload, 'kernel', f.category),
        'FAIL',
        {
          entry: 'finding',
          label: 'failed',
          message: `kernel: ${f.count > 1 ? `${f.title} (x${f.count})` : f.title}`,
          excerpt: f.excerpt,
          misc: findingMisc(f),
        },
      );
      const issue = issueOf(out.issues, out.data, out.origin, f);
      this.#incident(
        `${workload}/${h12(f.title)}`,
        issue,
        test,
        true,
        `${f.title} in ${workload === view.BOOT ? 'boot' : workload} of ${this.#cell.id}`,
        { count: f.count, console_lines: [f.firstLine, f.lastLine] },
      );
    }
  }

  #workload(w: WorkloadResult): void {
    const out = this.#out;
    const stepMisc: Misc = { workload: w.name, workload_status: w.status, exit_status: w.exitStatus };
    const logUrl = out.url(w.output) ?? this.#consoleUrl;
    const step = view.judgeStep(this.#cell, w);
    if (step) {
      const status = WORD_STATUS[step.verdict];
      this.#add(`${w.name}/step`, testPath(w.name), status, {
        entry: 'step',
        label: step.verdict,
        message: step.message,
        duration: w.durationS,
        excerpt: this.#tail(w, status, step.message),
        logUrl,
        misc: stepMisc,
      });
    }
    for (const c of w.cases) {
      const j = view.judgeCase(this.#cell, c);
      const status = CASE_STATUS[c.status].kcidb;
      const failing = j.verdict === 'failed' || j.verdict === 'error';
      const test = this.#add(`${w.name}/${c.name}`, testPath(w.name, c.name), status, {
        entry: 'case',
        label: caseLabel(c.status),
        message: j.message,
        duration: c.durationS,
        excerpt: failing || status === 'FAIL' ? this.#tail(w, 'FAIL', j.message) : null,
        logUrl,
        misc: { ...stepMisc, case: c.name, message: c.message },
      });
      if (c.status === 'xfail' || c.status === 'xpass') {
        // zdh's expectation is a known fault of the kernel: KCIDB's known issue, present
        // in this test when it failed as expected, absent when it passed.
        const issue = expectationOf(out.issues, out.data, out.origin, w.name, c.name, c.message);
        this.#incident(
          `${w.name}/${c.name}/expected`,
          issue,
          test,
          c.status === 'xfail',
          `${c.status === 'xfail' ? 'failed as expected' : 'passed, though expected to fail'}: ${c.message ?? testPath(w.name, c.name)}`,
          { status: caseLabel(c.status) },
        );
      }
    }
  }
}

/** kcidb.json's text: two-space indented, final newline. */
export function serialiseKcidb(data: KcidbData): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

function checkout(id: string, origin: string, k: KernelInfo, startedAt: string): KcidbCheckout {
  const c: KcidbCheckout = {
    id,
    origin,

    comment: text(
      `${k.name}: ${k.source.kind} ${k.source.location}${k.source.ref ? ` ${k.source.ref}` : ''}`,
    ),
    misc: compact({
      kernel: k.name,
      source_kind: k.source.kind,
      source_location: k.source.location,
      source_id: k.source.id,
      ref: k.source.ref ?? null,
      patches: k.patches.map((p) => ({ name: p.name, sha256: p.sha256 })),
    }),
  };
  // A cell whose build never ran knows its patches by name only: no hash rather than a wrong one.
  const shas = k.patches.map((p) => p.sha256);
  if (shas.every((h) => /^[0-9a-f]{64}$/.test(h))) c.patchset_hash = patchsetHash(shas);
  if (startedAt) c.start_time = startedAt;
  if (k.source.kind === 'git') {
    if (/^https:\/\/[^\s]+$/.test(k.source.location)) c.git_repository_url = k.source.location;
    if (k.source.commit && /^[0-9a-f]{40}$/.test(k.source.commit)) c.git_commit_hash = k.source.commit;
    if (k.source.ref) c.git_commit_name = text(k.source.ref);
  }
  // A build key exists once the sources were combined (patches applied, config made).
  if (k.cacheKey !== null) c.valid = true;
  return c;
}

function build(
  id: string,
  checkoutId: string,
  origin: string,
  cell: CellResult,
  url: (p: string | null) => string | undefined,
  startedAt: string,
): KcidbBuild {
  const logUrl = url(cell.artifacts.buildLog);
  const k = cell.kernel;
  const b: KcidbBuild = {
    id,
    checkout_id: checkoutId,
    origin,
    architecture: ARCHITECTURE,
    config_name: text([k.base, ...k.fragments.map((f) => f.name.replace(/\.config$/, ''))].join('+')),
    misc: compact({
      kernel: k.name,
      kernel_release: k.release,
      cache_key: k.cacheKey,
      build_cached: k.buildTime?.cached,
      config_sha256: k.configSha256,
      base: k.base,
      fragments: k.fragments.map((f) => ({ name: f.name, sha256: f.sha256 })),
    }),
  };
  if (k.toolchain) b.compiler = text(k.toolchain);
  if (startedAt) b.start_time = startedAt;
  // A build that the cache already had took no time in this run: its own duration is unknown.
  if (k.buildTime && !k.buildTime.cached) b.duration = k.buildTime.seconds;
  // Every cell that booted a build keeps a copy of its final .config beside its logs.
  if (k.cacheKey !== null) b.config_url = url(`${cell.artifacts.dir}/config`);
  if (k.cacheKey !== null) b.status = 'PASS';
  else if (cell.error !== null) {
    b.status = 'FAIL';
    b.log_excerpt = excerpt(cell.error, 'tail');
  }
  if (logUrl) b.log_url = logUrl;
  return b;
}

const h24 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 24);

/** The issue of a kernel finding, keyed by its title: `<origin>:finding-<sha256(title)[:24]>`. */
function issueOf(issues: Map<string, KcidbIssue>, data: KcidbData, origin: string, f: Finding): KcidbIssue {
  const key = `finding\0${f.title}`;
  const known = issues.get(key);
  if (known) return known;
  const issue: KcidbIssue = {
    id: `${origin}:finding-${h24(f.title)}`,
    version: ISSUE_VERSION,
    origin,
    report_subject: text(f.title),
    comment: text(f.title),
    categories: [testPath('runtime', f.category)],
    culprit: { code: true, tool: false, harness: false },
    misc: compact({ title: f.title, category: f.category, refcount: f.refcount, page_kind: f.pageKind }),
  };
  issues.set(key, issue);
  data.issues.push(issue);
  return issue;
}

/**
 * The issue an expectation (configs/expectations) names, keyed by its reason (or, without
 * one, by the case's path): `<origin>:expected-<sha256(reason)[:24]>`.
 */
function expectationOf(
  issues: Map<string, KcidbIssue>,
  data: KcidbData,
  origin: string,
  workload: string,
  name: string,
  reason: string | null,
): KcidbIssue {
  const subject = reason ?? `${testPath(workload, name)} is expected to fail`;
  const key = `expected\0${subject}`;
  const known = issues.get(key);
  if (known) return known;
  const issue: KcidbIssue = {
    id: `${origin}:expected-${h24(subject)}`,
    version: ISSUE_VERSION,
    origin,
    report_subject: text(subject),
    comment: text(`expected failure: ${subject}`),
    categories: ['expected_failure'],
    culprit: { code: true, tool: false, harness: false },
    misc: { expected_failure: subject },
  };
  issues.set(key, issue);
  data.issues.push(issue);
  return issue;
}

function findingMisc(f: Finding): Misc {
  return compact({
    title: f.title,
    category: f.category,
    refcount: f.refcount,
    page_kind: f.pageKind,
    workload: f.workload,
    count: f.count,
    corrupted: f.corrupted,
    console_lines: [f.firstLine, f.lastLine],
  });
}

/** Text from the guest or the model, made legal for KCIDB (no NUL) and readable. */
function text(s: string): string {
  return cleanText(s);
}

/**
 * A log excerpt within the schema's limit (counted in code points, as JSON Schema does): a
 * console tail keeps its end (how the step ended), a kernel report its start (the header).
 */
export function excerpt(s: string, keep: 'head' | 'tail'): string {
  const cleaned = [...cleanText(s)];
  if (cleaned.length <= LOG_EXCERPT_MAX) return cleaned.join('');
  if (keep === 'head') {
    const marker = '\n[zdh: the rest is left out]';
    return cleaned.slice(0, LOG_EXCERPT_MAX - marker.length).join('') + marker;
  }
  const marker = '[zdh: the start is left out]\n';
  return marker + cleaned.slice(cleaned.length - (LOG_EXCERPT_MAX - marker.length)).join('');
}

/** misc without null or missing values (KCIDB: "no properties can be null"). */
function compact(misc: Misc): Misc {
  return Object.fromEntries(Object.entries(misc).filter(([, v]) => v !== null && v !== undefined));
}
