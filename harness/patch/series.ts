/**
 * Turning what the user passed as --patches into an ordered list of patches. Pure over
 * text; the edge (expand.ts) reads directories and files.
 *  - a quilt `series` file: its lines in order, `#` comments and `-pN` options allowed;
 *  - a directory: its `series` file if it has one, else its *.patch/*.diff/*.mbox in name order;
 *  - an mbox with several messages: one patch per message, in order;
 *  - any other file: one patch.
 */
export interface SeriesEntry {
  /** Path relative to the series file's folder. */
  file: string;
  /** -pN strip level; 1 when not given. */
  strip: number;
  line: number;
}

export interface SeriesProblem {
  line: number;
  message: string;
}

export function parseQuiltSeries(text: string): { entries: SeriesEntry[]; problems: SeriesProblem[] } {
  const entries: SeriesEntry[] = [];
  const problems: SeriesProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const [file, ...opts] = line.split(/\s+/);
    let strip = 1;
    for (const opt of opts) {
      const m = /^-p(\d+)$/.exec(opt);
      if (m) strip = Number(m[1]);
      else problems.push({ line: i + 1, message: `unknown option "${opt}" (quilt series allows only -pN)` });
    }
    entries.push({ file: file!, strip, line: i + 1 });
  });
  return { entries, problems };
}

/** Names in a directory that are patches, in the order they apply (byte order, like `ls` in the C locale). */
export function orderPatchFiles(names: readonly string[]): string[] {
  return names
    .filter((n) => /\.(patch|diff|mbox|eml)$/i.test(n))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** An mbox separator line: `From <anything> <date>`, as git format-patch writes. */
const MBOX_FROM = /^From \S+ .*\d{4}$|^From [0-9a-f]{40} /;

export interface MboxMessage {
  index: number;
  subject: string;
  text: string;
}

/** Splits an mbox into messages. A file with one message (or none) yields one entry. */
export function splitMbox(text: string): MboxMessage[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.forEach((l, i) => {
    if (MBOX_FROM.test(l) && (i === 0 || lines[i - 1] === '')) starts.push(i);
  });
  if (starts.length <= 1) return [{ index: 1, subject: subjectOf(text), text }];
  return starts.map((start, k) => {
    const end = starts[k + 1] ?? lines.length;
    const body = `${lines.slice(start, end).join('\n').replace(/\n*$/, '')}\n`;
    return { index: k + 1, subject: subjectOf(body), text: body };
  });
}

function subjectOf(text: string): string {
  const m = /^Subject:\s*(.*(?:\n[ \t].*)*)/m.exec(text);
  if (!m) return '';
  return m[1]!.replace(/\n[ \t]+/g, ' ').trim();
}

/** Paths a patch touches (old and new names), from its diff headers. */
export function touchedPaths(patch: string, strip = 1): string[] {
  const out = new Set<string>();
  const drop = (p: string): string | undefined => {
    const clean = p.replace(/\t.*$/, '').trim();
    if (clean === '/dev/null') return undefined;
    const parts = clean.split('/');
    return parts.length > strip ? parts.slice(strip).join('/') : undefined;
  };
  for (const line of patch.split('\n')) {
    let m = /^(?:---|\+\+\+) (.+)$/.exec(line);
    if (m) {
      const p = drop(m[1]!);
      if (p) out.add(p);
      continue;
    }
    m = /^diff --git (\S+) (\S+)$/.exec(line);
    if (m) {
      for (const side of [m[1]!, m[2]!]) {
        const p = drop(side);
        if (p) out.add(p);
      }
      continue;
    }
    m = /^rename (?:from|to) (.+)$/.exec(line);
    if (m) out.add(m[1]!.trim());
  }
  return [...out];
}

/** True when the text holds at least one hunk: a .patch file that is not a patch is a user error. */
export function looksLikePatch(text: string): boolean {
  return (
    /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/m.test(text) ||
    /^GIT binary patch/m.test(text) ||
    /^rename from /m.test(text)
  );
}
