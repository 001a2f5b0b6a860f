import { resolve } from 'node:path';
import junitModule, { type Builder, type TestCase, type TestSuite } from 'junit-report-builder';
import type { CellResult, RunSummary, WorkloadResult } from '../model/result.ts';
import type { Finding } from '../scan/types.ts';
import { type ConsoleSlicer, noConsole } from './console-excerpt.ts';
import { capLines, cleanLine, cleanText } from './text.ts';
import {
  BOOT,
  cellTag,
  findingsFor,
  type Judged,
  judgeBoot,
  judgeCase,
  judgeExit,
  judgeStep,
  strayWorkloads,
} from './view.ts';

/**
 * junit.xml from the result model (docs/reports.md, "JUnit"). One <testsuite> per
 * kernel × machine × repeat × workload, plus a `boot` suite per cell:
 *
 *   testsuite name  `<kernel>@<machine>#<repeat>/<workload>`   (the cell id, then the workload)
 *   classname       `zdh.<kernel>.<machine>.<workload>`        (Jenkins: package zdh.<kernel>.<machine>,
 *                                                                class <workload>; GitLab: the suite shown)
 *   testcase name   the case name, with ` [#<repeat>]` after it from the second repeat on
 *
 * Kernel-log findings are failing cases `kernel: <title>` with the excerpt as failure text.
 * Every string from the guest goes through cleanText() first, so the XML is well-formed
 * whatever bytes the guest printed; text content is written as escaped text (not CDATA),
 * so `]]>` in a log cannot end a section early.
 */

export interface JUnitOptions {
  /** The run folder, absolute: attachments name files under it. */
  runDir: string;
  /** Console excerpts for system-out, cut from logs the caller read (console-slice.ts; default: none). */
  console?: ConsoleSlicer;
}

/** At most this many console lines per suite system-out: the first SUITE_HEAD, then the last ones. */
export const SUITE_LINES = 1000;
const SUITE_HEAD = 100;
/** A failing case's system-out carries the last CASE_LINES lines of its step. */
export const CASE_LINES = 50;
/** Longer console lines are cut. */
export const LINE_CHARS = 1000;

type XmlElement = ReturnType<TestSuite['build']>;

/** The package is CommonJS: under Node's ESM loader its default import is the builder itself. */
const junit = junitModule as unknown as Builder;

export function renderJUnit(summary: RunSummary, opts: JUnitOptions): string {
  const slicer = opts.console ?? noConsole;
  const builder: Builder = junit.newBuilder();
  builder.name(cleanLine(`zdh ${summary.run.suite} ${summary.run.id}`));
  for (const cell of summary.cells) {
    const props = cellProperties(summary, cell);
    const attach = (...rel: (string | null)[]): string[] =>
      rel
        .filter((p): p is string => p !== null)
        .map((p) => `[[ATTACHMENT|${cleanLine(resolve(opts.runDir, p))}]]`);

    // The boot suite: build, boot, machine exit and findings before the first step marker.
    const firstStep = Math.min(...cell.workloads.flatMap((w) => (w.consoleLines ? [w.consoleLines[0]] : [])));
    const bootRange: [number, number] = [
      1,
      Number.isFinite(firstStep) ? firstStep - 1 : Number.MAX_SAFE_INTEGER,
    ];
    const bootLines = cell.exit === null ? null : slicer(cell, bootRange);
    const bootAttach = attach(cell.artifacts.buildLog, cell.artifacts.console, cell.artifacts.manifest);
    const boot = new SuiteWriter(builder, summary, cell, BOOT, null, props, bootLines, bootAttach);
    boot.add('boot', judgeBoot(cell), { time: null, type: 'zdh.boot' });
    const exit = judgeExit(cell);
    if (exit)
      boot.add('machine exit', exit, { time: null, type: `zdh.exit.${cell.exit?.reason.kind ?? ''}` });
    for (const f of findingsFor(cell, BOOT)) boot.addFinding(f);
    boot.finish();

    for (const w of cell.workloads) {
      const lines = w.consoleLines ? slicer(cell, w.consoleLines) : null;
      const suite = new SuiteWriter(
        builder,
        summary,
        cell,
        w.name,
        w,
        props,
        lines,
        attach(cell.artifacts.console, w.output),
      );
      const step = judgeStep(cell, w);
      if (step) suite.add('step', step, { time: w.durationS, type: `zdh.step.${w.status}` });
      for (const c of w.cases)
        suite.add(c.name, judgeCase(cell, c), { time: c.durationS, type: `zdh.${c.status}` });
      for (const f of findingsFor(cell, w.name)) suite.addFinding(f);
      suite.finish();
    }
    // Findings attributed to a step the cell does not list still get a suite.
    for (const name of strayWorkloads(cell)) {
      const suite = new SuiteWriter(
        builder,
        summary,
        cell,
        name,
        null,
        props,
        null,
        attach(cell.artifacts.console),
      );
      for (const f of findingsFor(cell, name)) suite.addFinding(f);
      suite.finish();
    }
  }
  return fixRoot(builder.build(), summary.run.durationS);
}

/** One <testsuite> being filled. */
class SuiteWriter {
  private readonly suite: TestSuite;
  private readonly classname: string;
  private readonly tag: string;
  private readonly names = new Map<string, number>();
  private readonly lines: string[] | null;
  private readonly range: string;
  private readonly attachments: string[];

  constructor(
    builder: Builder,
    summary: RunSummary,
    cell: CellResult,
    workload: string,
    w: WorkloadResult | null,
    props: [string, string][],
    lines: string[] | null,
    attachments: string[],
  ) {
    this.suite = builder.testSuite().name(cleanLine(`${cell.id}/${workload}`));
    if (summary.run.startedAt) this.suite.timestamp(cleanLine(summary.run.startedAt).slice(0, 19));
    if (w?.durationS != null) this.suite.time(seconds(w.durationS));
    for (const [k, v] of props) this.suite.property(k, cleanLine(v));
    if (w) {
      this.suite.property('workload.status', w.status);
      if (w.exitStatus !== null) this.suite.property('workload.exitStatus', String(w.exitStatus));
    }
    this.classname = ['zdh', cell.kernel.name, cell.machine.name, workload].map(classPart).join('.');
    this.tag = cleanLine(cellTag(cell));
    this.lines = lines?.map(cutLine) ?? null;
    const [a, b] = w?.consoleLines ?? [1, lines?.length ?? 0];
    this.range = `console.log lines ${a}-${b}`;
    this.attachments = attachments;
  }

  /** A test case with a verdict; failing ones carry the end of the step's console. */
  add(name: string, judged: Judged, o: { time: number | null; type: string }): void {
    const failing = judged.verdict === 'failed' || judged.verdict === 'error';
    const out =
      failing && this.lines && this.lines.length > 0
        ? [
            `${this.range}, last ${Math.min(CASE_LINES, this.lines.length)}:`,
            ...this.lines.slice(-CASE_LINES),
            ...this.attachments,
          ]
        : failing
          ? this.attachments
          : [];
    this.testCase(
      name,
      judged.verdict,
      cleanLine(judged.message ?? ''),
      judged.message ?? '',
      o.type,
      o.time,
      out,
    );
  }

  /** A kernel-log finding: a failing case `kernel: <title>`, the excerpt as failure text. */
  addFinding(f: Finding): void {
    const facts = [
      f.category,
      f.refcount ? 'refcount problem' : null,
      f.pageKind ? `${f.pageKind} page` : null,
      f.count > 1 ? `seen ${f.count} times` : null,
      f.corrupted ? 'report truncated' : null,
      `console.log lines ${f.firstLine}-${f.lastLine}`,
    ].filter((s) => s !== null);
    const text = `${f.excerpt}\n\n-- zdh: ${facts.join('; ')}`;
    this.testCase(
      `kernel: ${f.title}`,
      'failed',
      cleanLine(f.count > 1 ? `${f.title} (x${f.count})` : f.title),
      text,
      `kernel.${f.category}`,
      null,
      [`console.log lines ${f.firstLine}-${f.lastLine}`, ...this.attachments],
    );
  }

  /** Adds the suite's system-out (console slice and attachments) once every case is in. */
  finish(): void {
    const body: string[] = [];
    if (this.lines && this.lines.length > 0) {
      body.push(
        `${this.range}:`,
        ...capLines(
          this.lines,
          SUITE_LINES,
          SUITE_HEAD,
          (cut) => `[zdh: ${cut} lines left out here; the attached console.log has them all]`,
        ),
      );
    }
    body.push(...this.attachments);
    if (body.length > 0)
      afterBuild(this.suite, (el) => void el.ele('system-out', {}, cleanText(body.join('\n'))));
  }

  private testCase(
    rawName: string,
    verdict: Judged['verdict'],
    message: string,
    text: string,
    type: string,
    time: number | null,
    out: string[],
  ): void {
    const tc = this.suite
      .testCase()
      .className(this.classname)
      .name(this.unique(cleanLine(rawName) + (this.tag ? ` [${this.tag}]` : '')));
    if (time !== null) tc.time(seconds(time));
    const body = cleanText(text);
    if (verdict === 'failed') tc.failure(message, type);
    if (verdict === 'error') tc.error(message, type);
    if (verdict === 'skipped') tc.skipped();
    afterBuild(tc, (el) => {
      // junit-report-builder writes no text for these; add it as escaped text.
      for (const child of el.children as XmlElement[]) {
        if (child.name === 'failure' || child.name === 'error') child.txt(body);
        if (child.name === 'skipped' && message) child.att('message', message).txt(message);
      }
      if (out.length > 0) el.ele('system-out', {}, cleanText(out.map(cutLine).join('\n')));
    });
  }

  /** GitLab keeps only the first of two cases with one name; the second becomes `name (2)`. */
  private unique(name: string): string {
    const n = (this.names.get(name) ?? 0) + 1;
    this.names.set(name, n);
    return n === 1 ? name : `${name} (${n})`;
  }
}

/** Runs `extend` on the element a builder node produces (for what the builder cannot write). */
function afterBuild(node: TestSuite | TestCase, extend: (el: XmlElement) => void): void {
  const build = node.build.bind(node) as (parent?: XmlElement) => XmlElement;
  node.build = (parent?: XmlElement): XmlElement => {
    const el = build(parent);
    extend(el);
    return el;
  };
}

/**
 * The builder puts `skipped` on <testsuites>, which the Jenkins JUnit schema (junit-10.xsd)
 * does not allow there; the run's duration goes in its place (GitLab reads testsuites/@time).
 * Attribute values never hold a raw `"`, so the pattern cannot match inside one.
 */
function fixRoot(xml: string, durationS: number): string {
  return xml.replace(/(<testsuites\b(?:[^">]|"[^"]*")*?) skipped="\d+"/, `$1 time="${seconds(durationS)}"`);
}

function cellProperties(summary: RunSummary, cell: CellResult): [string, string][] {
  const k = cell.kernel;
  const m = cell.machine;
  const src = [k.source.kind, k.source.location];
  if (k.source.ref) src.push(`ref=${k.source.ref}`);
  if (k.source.commit) src.push(`commit=${k.source.commit}`);
  else if (k.source.id) src.push(`id=${k.source.id}`);
  const props: [string, string | null | undefined][] = [
    ['kernel.release', k.release ?? 'unknown'],
    ['kernel.source', src.join(' ')],
    [
      'kernel.patches',
      k.patches.length ? k.patches.map((p) => `${p.name}@${p.sha256.slice(0, 12)}`).join(', ') : 'none',
    ],
    ['kernel.config.sha256', k.configSha256 ?? 'unknown'],
    ['qemu.version', m.qemuVersion ?? 'unknown'],
    ['machine.accel', m.accel ?? 'unknown'],
    ['machine.accelReason', m.accelReason],
    ['kernel.name', k.name],
    ['kernel.base', k.base],
    ['kernel.fragments', k.fragments.map((f) => f.name).join(', ') || null],
    ['kernel.cacheKey', k.cacheKey],
    ['kernel.toolchain', k.toolchain],
    ['machine.name', m.name],
    ['cell.id', cell.id],
    ['cell.repeat', String(cell.repeat)],
    ['cell.status', cell.status],
    ['cell.exit', cell.exit ? cell.exit.reason.kind : null],
    [
      'expectations.files',
      cell.expectations ? cell.expectations.map((e) => e.file).join(', ') || 'none' : null,
    ],
    ['run.id', summary.run.id],
    ['zdh.version', summary.tool.version],
  ];
  return props.filter((p): p is [string, string] => typeof p[1] === 'string' && p[1] !== '');
}

/** Dots separate Java packages in Jenkins, so a kernel called 6.1 becomes 6_1 in a classname. */
function classPart(s: string): string {
  return cleanLine(s).replace(/[.\s]+/g, '_') || '_';
}

function cutLine(line: string): string {
  return line.length <= LINE_CHARS
    ? line
    : `${line.slice(0, LINE_CHARS)}[zdh: +${line.length - LINE_CHARS} chars]`;
}

const seconds = (s: number): number => Math.round(s * 1000) / 1000;
