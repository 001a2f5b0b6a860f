/**
 * An upstream report as plain text for a mailing-list email body: no markup, no terminal
 * codes (every string goes through report/text.ts cleanText, which removes escape
 * sequences and shows other control characters as symbols), and nothing wider than 80
 * columns except what is quoted:
 *
 * - prose wraps at 72 columns, field values under themselves;
 * - commands wrap between words with a ` \` continuation (valid sh, copy-pasteable);
 * - quoted log lines (the kernel's report, the probe's output, the bisect log, the config
 *   fragment) are never wrapped or indented: kernel maintainers take long log lines as
 *   they came, and a wrapped `Code:` line or stack line no longer parses;
 * - a single word longer than a line (a long path) stands alone on its line, unbroken;
 * - the title, the first line, is the report's subject and is kept whole.
 *
 * Pure. `layoutReport` keeps each line's kind, so a test can hold the 80 columns to
 * everything that is not a quote.
 */
import { shellQuote } from '../../machine/plan.ts';
import { cleanLine, cleanText } from '../text.ts';
import type { Block, UpstreamReport } from './types.ts';

/** Prose width, as git commit messages and most mail clients keep it. */
export const PROSE_WIDTH = 72;
/** No line but a quote or an unbreakable word is wider. */
export const MAX_COLUMNS = 80;

/**
 * `title`: the first line, the report's subject (a scanner title can be longer than 80 and
 * is kept whole); `quote`: quoted log or file lines; `word`: a word longer than a line.
 */
export type LineKind = 'title' | 'text' | 'quote' | 'word';

export interface ReportLine {
  text: string;
  kind: LineKind;
}

export function renderReport(report: UpstreamReport): string {
  return `${layoutReport(report)
    .map((l) => l.text)
    .join('\n')}\n`;
}

export function layoutReport(report: UpstreamReport): ReportLine[] {
  const out: ReportLine[] = [];
  const text = (t: string): void => {
    out.push({ text: t, kind: t.length > MAX_COLUMNS && !t.includes(' ') ? 'word' : 'text' });
  };
  const title = cleanLine(report.title);
  out.push({ text: title, kind: 'title' });
  text('='.repeat(Math.min(title.length, MAX_COLUMNS)));
  for (const section of report.sections) {
    if (section.heading !== null) {
      text('');
      text(section.heading);
      text('-'.repeat(section.heading.length));
    }
    for (const block of section.blocks) {
      text('');
      for (const line of blockLines(block)) out.push(line);
    }
  }
  return out;
}

function blockLines(block: Block): ReportLine[] {
  switch (block.kind) {
    case 'prose':
      return wrapWords(cleanLine(block.text).split(/\s+/).filter(Boolean), '', '', PROSE_WIDTH);
    case 'fields':
      return fieldLines(block.rows);
    case 'argv':
      return wrapCommand(
        block.words.map((w) => shellQuote(cleanLine(w))),
        '  ',
        block.script ?? [],
      );
    case 'shell':
      return block.lines.flatMap((l) =>
        cleanText(l)
          .split('\n')
          .flatMap((line) =>
            line.startsWith('#') ? [plain(`  ${line}`)] : wrapCommand(shellTokens(line), '  '),
          ),
      );
    case 'quote':
      return block.lines
        .flatMap((l) => cleanText(l).split('\n'))
        .map((t) => ({ text: t.trimEnd(), kind: 'quote' }));
  }
}

/** A laid-out line; one too wide only because of a single word (and its ` \`) is a `word`. */
function plain(t: string): ReportLine {
  const single = !t.trim().replace(/ \\$/, '').includes(' ');
  return { text: t, kind: t.length > MAX_COLUMNS && single ? 'word' : 'text' };
}

/** Words filled into lines of `width` columns; the first line starts with `first`, the rest with `rest`. */
function wrapWords(words: readonly string[], first: string, rest: string, width: number): ReportLine[] {
  const lines: ReportLine[] = [];
  let current = first;
  let empty = true;
  for (const w of words) {
    if (!empty && current.length + 1 + w.length > width) {
      lines.push(plain(current));
      current = rest;
      empty = true;
    }
    current += empty ? w : ` ${w}`;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(plain(current));
  return lines;
}

function fieldLines(rows: readonly [string, string][]): ReportLine[] {
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.flatMap(([label, value]) => {
    const head = (label === '' ? '' : `${label}:`).padEnd(labelWidth);
    const words = cleanLine(value).split(/\s+/).filter(Boolean);
    return wrapWords(words, head, ' '.repeat(labelWidth), MAX_COLUMNS - 2);
  });
}

/** What a command is wrapped in: words, or pairs kept together; `newLine` starts a line. */
interface Unit {
  text: string;
  newLine: boolean;
}

/**
 * A command over lines of at most 80 columns, broken between words with ` \`, never
 * between an option and its value (`--hang-timeout 10` stays on one line). `script`: the
 * commands of a last, single-quoted `sh -c` word (the `argv` block's `script`).
 */
function wrapCommand(words: readonly string[], indent: string, script: readonly string[] = []): ReportLine[] {
  const units = [...pairUnits(words, indent), ...scriptUnits(script, indent)];
  const lines: ReportLine[] = [];
  let current = indent;
  let empty = true;
  for (const u of units) {
    if (!empty && (u.newLine || current.length + 1 + u.text.length + 2 > MAX_COLUMNS)) {
      lines.push(plain(`${current} \\`));
      current = `${indent}    `;
      empty = true;
    }
    current += empty ? u.text : ` ${u.text}`;
    empty = false;
  }
  lines.push(plain(current));
  return lines;
}

/** Words as units, an option and its value paired when the pair fits a continuation line. */
function pairUnits(words: readonly string[], indent: string): Unit[] {
  const units: Unit[] = [];
  for (const w of words) {
    const prev = units.at(-1)?.text;
    const pair = `${prev} ${w}`;
    if (
      prev !== undefined &&
      /^--?[A-Za-z][\w-]*$/.test(prev) &&
      !w.startsWith('-') &&
      indent.length + 4 + pair.length + 2 <= MAX_COLUMNS
    )
      units[units.length - 1] = { text: pair, newLine: false };
    else units.push({ text: w, newLine: false });
  }
  return units;
}

/**
 * The commands of a `sh -c` script as one single-quoted word, in units: each command's
 * words (split where sh would, shellTokens), a `'` inside them written `'\''`, and `&&`
 * starting a line before every command but the first. The line breaks fall between the
 * script's words, where the inner sh takes ` \` and a newline as a line continuation.
 */
function scriptUnits(commands: readonly string[], indent: string): Unit[] {
  const units: Unit[] = [];
  for (const [i, command] of commands.entries()) {
    if (i > 0) units.push({ text: '&&', newLine: true });
    const words = shellTokens(cleanLine(command)).map((w) => w.replace(/'/g, `'\\''`));
    units.push(...pairUnits(words, indent));
  }
  const first = units[0];
  const last = units.at(-1);
  if (first === undefined || last === undefined) return units;
  first.text = `'${first.text}`;
  last.text = `${last.text}'`;
  return units;
}

/**
 * A shell line split at the blanks between its words (quotes and backslashes respected),
 * only so it can be wrapped there: a backslash-newline between words is a line
 * continuation to sh, and outside single quotes it is one anywhere.
 */
export function shellTokens(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === null && /\s/.test(c)) {
      if (current !== '') tokens.push(current);
      current = '';
      continue;
    }
    current += c;
    if (c === '\\' && quote !== "'" && i + 1 < line.length) current += line[++i]!;
    else if (quote === null && (c === "'" || c === '"')) quote = c;
    else if (quote !== null && c === quote) quote = null;
  }
  if (current !== '') tokens.push(current);
  return tokens;
}
