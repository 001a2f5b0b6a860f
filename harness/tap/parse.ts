/**
 * A TAP 13 / KTAP 1 parser for kselftest, KUnit-style and our own probes' output. Pure.
 *
 * It is lenient on purpose: the text comes from a serial line, interleaved with other
 * output, and may stop anywhere (a crash, a timeout). It keeps what it understood and
 * the lines it did not, so that cases.ts can give one result per test case, including
 * the cases that never reported.
 *
 * Understood:
 *   TAP version 13 | KTAP version 1          version line
 *   1..N [# SKIP reason]                     plan (before or after the results)
 *   ok N name | not ok N - name              results; the number and the dash are optional
 *   ok N name # SKIP reason                  directives: SKIP, TODO, XFAIL, XPASS, error, TIMEOUT
 *   ok N # SKIP reason                       kselftest_harness in 6.1: no name, take it from the RUN line
 *   #  RUN           fixture.variant.test ... kselftest_harness: the case that is starting
 *   # Totals: pass:N fail:N ...              kselftest.h counters
 *   Bail out! reason
 *   nested documents, either indented (KTAP/KUnit, "# Subtest: name") or prefixed with
 *   "# " (the kselftest runner wrapping a test's own TAP); a nested document belongs to the
 *   result line that follows it at the outer level.
 */
import { stripTerminalCodes } from '../util/terminal-text.ts';

export type DirectiveKind = 'SKIP' | 'TODO' | 'XFAIL' | 'XPASS' | 'ERROR' | 'TIMEOUT';

export interface TapDirective {
  kind: DirectiveKind;
  reason: string;
}

export interface TapResult {
  ok: boolean;
  number: number | undefined;
  /** The description without the directive; '' when the line carries none (6.1 SKIP). */
  name: string;
  directive: TapDirective | undefined;
  /** 1-based line number in the parsed text. */
  line: number;
  /** Diagnostic and unrecognised lines since the previous result ('# ' removed). */
  log: string[];
  /** The last kselftest_harness RUN name seen since the previous result. */
  runName: string | undefined;
  /** A nested document that ended right before this result. */
  subtest: TapDocument | undefined;
}

export interface TapPlan {
  count: number;
  skip: string | undefined;
  line: number;
}

export interface TapDocument {
  version: string | undefined;
  plan: TapPlan | undefined;
  results: TapResult[];
  bailOut: string | undefined;
  /** `# Totals: pass:55 fail:3 ...` */
  totals: Record<string, number> | undefined;
  /** `# Subtest: name` of a nested document. */
  subtestName: string | undefined;
  /** Lines after the last result. */
  trailing: string[];
  /** A RUN line after the last result: the case in progress when the output stopped. */
  pendingRun: string | undefined;
  /** A nested document after the last result, with no result line of its own. */
  pendingSubtest: TapDocument | undefined;
  warnings: string[];
}

interface Line {
  text: string;
  no: number;
}

type Strip = (text: string) => string | undefined;

const VERSION_RE = /^(K?TAP) version (\d+)\s*$/;
const PLAN_RE = /^1\.\.(\d+)\s*(?:#\s*(?:SKIP|skip)\b\s*(.*))?$/;
const RESULT_RE = /^(not )?ok\b(?:\s+(\d+)\b)?\s*(.*)$/;
const DIRECTIVE_RE = /(?:^|\s)#\s*(SKIP|TODO|XFAIL|XPASS|error|TIMEOUT)\b[:\s]*(.*)$/i;
const RUN_RE = /^#\s+RUN\s+(\S+)\s*\.\.\.\s*$/;
const TOTALS_RE = /^#\s*Totals:\s*(.*)$/;
const SUBTEST_RE = /^#\s*Subtest:\s*(.*?)\s*$/;
const BAIL_RE = /^Bail out!\s*(.*)$/;

/** One line of a program's output for parsing: terminal codes stripped (util/terminal-text.ts), no trailing blanks. */
export function cleanLine(raw: string): string {
  return stripTerminalCodes(raw).trimEnd();
}

export function parseTap(text: string): TapDocument {
  const lines: Line[] = text.split('\n').map((t, i) => ({ text: cleanLine(t), no: i + 1 }));
  const { doc } = parseDoc(lines, 0, (t) => t);
  return doc;
}

function emptyDoc(): TapDocument {
  return {
    version: undefined,
    plan: undefined,
    results: [],
    bailOut: undefined,
    totals: undefined,
    subtestName: undefined,
    trailing: [],
    pendingRun: undefined,
    pendingSubtest: undefined,
    warnings: [],
  };
}

/** Does this (already stripped) line open an indented nested document? */
function indentedChild(s: string): string | undefined {
  const m = /^(\s+)(\S.*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  if (VERSION_RE.test(body) || PLAN_RE.test(body) || SUBTEST_RE.test(body) || RESULT_RE.test(body))
    return m[1]!;
  return undefined;
}

function parseDoc(lines: readonly Line[], start: number, strip: Strip): { doc: TapDocument; next: number } {
  const doc = emptyDoc();
  let log: string[] = [];
  let runName: string | undefined;
  let subtest: TapDocument | undefined;
  let i = start;
  while (i < lines.length) {
    const line = lines[i]!;
    const s = strip(line.text);
    if (s === undefined) break;
    if (s.trim() === '') {
      i++;
      continue;
    }

    // A nested document, indented (KTAP) or "# "-prefixed (kselftest runner).
    const indent = indentedChild(s);
    const hashNested = /^# (K?TAP version \d+)\s*$/.test(s);
    if (indent !== undefined || hashNested) {
      const prefix = indent ?? '# ';
      const childStrip: Strip = (t) => {
        const p = strip(t);
        if (p === undefined) return undefined;
        if (p.trim() === '') return '';
        if (p.startsWith(prefix)) return p.slice(prefix.length);
        if (prefix === '# ' && p === '#') return '';
        return undefined;
      };
      const child = parseDoc(lines, i, childStrip);
      if (subtest)
        doc.warnings.push(`line ${line.no}: a nested document followed another without a result line`);
      subtest = child.doc;
      i = child.next;
      continue;
    }

    const version = VERSION_RE.exec(s);
    if (version) {
      if (doc.version === undefined && doc.results.length === 0)
        doc.version = `${version[1]} version ${version[2]}`;
      else doc.warnings.push(`line ${line.no}: unexpected version line`);
      i++;
      continue;
    }
    const plan = PLAN_RE.exec(s);
    if (plan) {
      if (doc.plan) doc.warnings.push(`line ${line.no}: a second plan`);
      else doc.plan = { count: Number(plan[1]), skip: plan[2]?.trim() || undefined, line: line.no };
      i++;
      continue;
    }
    const result = RESULT_RE.exec(s);
    if (result) {
      let description = (result[3] ?? '').trim();
      if (description.startsWith('- ')) description = description.slice(2).trim();
      else if (description === '-') description = '';
      let directive: TapDirective | undefined;
      const d = DIRECTIVE_RE.exec(description);
      if (d) {
        const kind = d[1]!.toUpperCase() as DirectiveKind;
        directive = { kind, reason: (d[2] ?? '').trim() };
        description = description.slice(0, d.index).trim();
      } else {
        // Anything else after ' # ' is a comment (the kselftest runner's '# exit=1').
        const hash = /(?:^|\s)#(?:\s|$)/.exec(description);
        if (hash) description = description.slice(0, hash.index).trim();
      }
      doc.results.push({
        ok: result[1] === undefined,
        number: result[2] === undefined ? undefined : Number(result[2]),
        name: description,
        directive,
        line: line.no,
        log,
        runName,
        subtest,
      });
      log = [];
      runName = undefined;
      subtest = undefined;
      i++;
      continue;
    }
    const bail = BAIL_RE.exec(s);
    if (bail) {
      doc.bailOut = bail[1]?.trim() || 'no reason given';
      i++;
      continue;
    }
    if (s.startsWith('#')) {
      const run = RUN_RE.exec(s);
      if (run) runName = run[1]!;
      const totals = TOTALS_RE.exec(s);
      if (totals) doc.totals = parseTotals(totals[1]!);
      const sub = SUBTEST_RE.exec(s);
      if (sub && doc.results.length === 0 && doc.subtestName === undefined) doc.subtestName = sub[1]!;
      log.push(s.replace(/^# ?/, ''));
      i++;
      continue;
    }
    // Anything else: output of the program under test, kept with the case it belongs to.
    log.push(s);
    i++;
  }
  doc.trailing = log;
  doc.pendingRun = runName;
  doc.pendingSubtest = subtest;
  if (doc.totals && doc.plan) {
    const sum = Object.values(doc.totals).reduce((a, b) => a + b, 0);
    if (sum !== doc.results.length) {
      doc.warnings.push(`Totals count ${sum} results but ${doc.results.length} result lines were read`);
    }
  }
  return { doc, next: i };
}

function parseTotals(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/([a-z_]+):\s*(\d+)/gi)) out[m[1]!.toLowerCase()] = Number(m[2]);
  return out;
}
