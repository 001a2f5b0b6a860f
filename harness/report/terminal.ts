import { resolve } from 'node:path';
import { formatCaseCounts } from '../model/labels.ts';
import type { CellResult, RunStatus, RunSummary } from '../model/result.ts';
import { cleanLine, formatDuration } from './text.ts';
import { findingGroups, problems } from './view.ts';
import type { ReportPaths } from './write-all.ts';

/**
 * The summary printed at the end of run, report and merge: counts, failures, findings with
 * their titles and workloads, and where the artifacts are. Plain text when the output is
 * not a terminal; a little colour (status, headings) when it is. Every string from the
 * guest goes through cleanLine(), so a log cannot send escape sequences to the terminal.
 */

export interface TerminalOptions {
  tty: boolean;
  /** The report files written, listed under Artifacts. */
  paths?: ReportPaths;
  /** The run folder artifact paths are relative to (default: summary.run.dir). */
  runDir?: string;
  /** At most this many failure lines (default 30); the rest are counted. */
  maxProblems?: number;
  /** Longer messages are cut (default 160 characters). */
  width?: number;
}

const STATUS_WORD: Record<RunStatus, string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  error: 'ERROR',
  interrupted: 'INTERRUPTED',
};

const COLOUR = { red: 31, green: 32, yellow: 33, magenta: 35, bold: 1, dim: 2 } as const;
type Colour = keyof typeof COLOUR;

const STATUS_COLOUR: Record<RunStatus, Colour> = {
  passed: 'green',
  failed: 'red',
  error: 'yellow',
  interrupted: 'magenta',
};

export function renderTerminal(summary: RunSummary, opts: TerminalOptions): string {
  const paint = (c: Colour, s: string): string => (opts.tty ? `\u001b[${COLOUR[c]}m${s}\u001b[0m` : s);
  const width = opts.width ?? 160;
  const cut = (s: string): string => {
    const line = cleanLine(s);
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  };
  const runDir = opts.runDir ?? summary.run.dir;
  const at = (p: string): string => cleanLine(runDir ? resolve(runDir, p) : p);
  const { run, totals } = summary;
  const out: string[] = [];

  const suite = run.suite && run.suite !== 'default' ? ` (suite ${cleanLine(run.suite)})` : '';
  const merged = run.mergedFrom.length > 0 ? `, merged from ${run.mergedFrom.length} runs` : '';
  out.push(
    `zdh run ${cleanLine(run.id)}${suite}: ${paint(STATUS_COLOUR[run.status], STATUS_WORD[run.status])} in ${formatDuration(run.durationS)}${merged}`,
  );
  out.push(`  cells     ${counts(totals.cells, ['passed', 'failed', 'error', 'interrupted', 'pending'])}`);
  out.push(`  cases     ${formatCaseCounts(totals.cases)}`);
  out.push(
    `  findings  ${totals.findings === 0 ? 'none' : `${plural(totals.findings, 'report')}, ${totals.distinctFindings} distinct`}`,
  );

  const judged = summary.cells.filter((c) => c.expectations !== undefined);
  if (judged.length > 0) {
    const files = [...new Set(judged.flatMap((c) => c.expectations!.map((e) => e.file)))];
    const without = judged.filter((c) => c.expectations!.length === 0).length;
    const none = without > 0 ? `none for ${plural(without, 'cell')} (every failure counts)` : null;
    out.push(`  expected  ${[...files.map(cleanLine), none].filter((s) => s !== null).join('; ')}`);
  }

  const groups = findingGroups(summary);
  if (groups.length > 0) {
    out.push('', paint('bold', `Findings (${groups.length})`));
    for (const g of groups) {
      out.push(`  ${paint('red', cut(g.title))}`);
      const f = g.first;
      const facts = [f.category, f.refcount ? 'refcount' : null, f.pageKind ? `${f.pageKind} page` : null];
      out.push(`    ${facts.filter((s) => s !== null).join(', ')}; ${plural(g.total, 'report')}`);
      for (const o of g.occurrences) {
        const times = o.finding.count > 1 ? `x${o.finding.count}, ` : '';
        const where = o.finding.workload === 'boot' ? 'during boot' : `in ${cut(o.finding.workload)}`;
        out.push(
          `    ${where} of ${cut(o.cell.id)} (${times}console.log lines ${o.finding.firstLine}-${o.finding.lastLine})`,
        );
      }
    }
  }

  const list = problems(summary);
  if (list.length > 0) {
    const max = opts.maxProblems ?? 30;
    out.push('', paint('bold', `Failures (${list.length})`));
    for (const p of list.slice(0, max)) {
      const what = p.name === p.workload ? p.name : `${p.workload}: ${p.name}`;
      const tag = p.verdict === 'error' ? paint('yellow', 'error') : paint('red', 'fail');
      out.push(`  ${tag}  ${cut(`${p.cell.id} ${what}: ${p.message}`)}`);
    }
    if (list.length > max) out.push(`  … and ${list.length - max} more (see report.html)`);
  }

  out.push('', paint('bold', 'Artifacts'));
  if (runDir) out.push(`  run folder    ${cleanLine(runDir)}`);
  if (opts.paths) {
    out.push(`  report.html   ${cleanLine(opts.paths.html)}`);
    out.push(`  junit.xml     ${cleanLine(opts.paths.junit)}`);
    out.push(`  summary.json  ${cleanLine(opts.paths.summary)}`);
    out.push(`  kcidb.json    ${cleanLine(opts.paths.kcidb)}`);
  }
  for (const cell of summary.cells.filter(noteworthy)) {
    if (cell.artifacts.console) out.push(`  console.log   ${cut(cell.id)}  ${at(cell.artifacts.console)}`);
    if (cell.artifacts.buildLog && cell.error !== null) {
      out.push(`  build.log     ${cut(cell.id)}  ${at(cell.artifacts.buildLog)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Cells whose logs a reader wants first: those that failed or errored. */
function noteworthy(cell: CellResult): boolean {
  return cell.status === 'failed' || cell.status === 'error';
}

function counts<K extends string>(values: Record<K, number>, order: readonly K[]): string {
  const parts = order.filter((k) => values[k] > 0).map((k) => `${values[k]} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
