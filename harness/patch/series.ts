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
  /** The line of the mbox that the message starts on. */
  line: number;
}

/** Splits an mbox into messages. A file with one message (or none) yields one entry. */
export function splitMbox(text: string): MboxMessage[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.forEach((l, i) => {
    if (MBOX_FROM.test(l) && (i === 0 || lines[i - 1] === '')) starts.push(i);
  });
  if (starts.length <= 1) return [{ index: 1, subject: subjectOf(text), text, line: 1 }];
  return starts.map((start, k) => {
    const end = starts[k + 1] ?? lines.length;
    const body = `${lines.slice(start, end).join('\n').replace(/\n*$/, '')}\n`;
    return { index: k + 1, subject: subjectOf(body), text: body, line: start + 1 };
  });
}

function subjectOf(text: string): string {
  const m = /^Subject:\s*(.*(?:\n[ \t].*)*)/m.exec(text);
  if (!m) return '';
  return m[1]!.replace(/\n[ \t]+/g, ' ').trim();
}

/** A file name in a patch's headers, after -pN, and the line (1-based) it is on. */
export interface HeaderName {
  path: string;
  line: number;
}

/**
 * File names in a patch's headers: `diff --git`, `---`/`+++` (after -pN) and git's
 * `rename`/`copy` `from`/`to` (tree-relative as written). Hunk bodies are skipped by
 * their line counts, so a removed line reading `-- x` is not taken for a header.
 */
export function headerNames(patch: string, strip = 1): HeaderName[] {
  const out: HeaderName[] = [];
  const drop = (p: string): string | undefined => {
    const clean = p.replace(/\t.*$/, '').trim();
    if (clean === '/dev/null') return undefined;
    const parts = clean.split('/');
    return parts.length > strip ? parts.slice(strip).join('/') : undefined;
  };
  const add = (p: string | undefined, line: number): void => {
    if (p) out.push({ path: p, line });
  };
  const lines = patch.split('\n');
  let oldLeft = 0;
  let newLeft = 0;
  for (const [i, line] of lines.entries()) {
    if (oldLeft > 0 || newLeft > 0) {
      // An empty line is a context line whose space a mailer ate.
      const c = line[0] ?? ' ';
      if (c === ' ') {
        oldLeft--;
        newLeft--;
        continue;
      }
      if (c === '-' && oldLeft > 0) {
        oldLeft--;
        continue;
      }
      if (c === '+' && newLeft > 0) {
        newLeft--;
        continue;
      }
      if (c === '\\') continue;
      oldLeft = newLeft = 0;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      oldLeft = Number(hunk[1] ?? 1);
      newLeft = Number(hunk[2] ?? 1);
      continue;
    }
    let m = /^(?:---|\+\+\+) (.+)$/.exec(line);
    if (m) {
      add(drop(m[1]!), i + 1);
      continue;
    }
    m = /^diff --git (\S+) (\S+)$/.exec(line);
    if (m) {
      add(drop(m[1]!), i + 1);
      add(drop(m[2]!), i + 1);
      continue;
    }
    m = /^(?:rename|copy) (?:from|to) (.+)$/.exec(line);
    if (m) add(m[1]!.trim(), i + 1);
  }
  return out;
}

/** Paths a patch touches (old and new names), from its diff headers. */
export function touchedPaths(patch: string, strip = 1): string[] {
  return [...new Set(headerNames(patch, strip).map((n) => n.path))];
}

/**
 * Header names that leave the tree: absolute, or with a `..` part. Patches come from
 * mailing lists; such a name would have zdh restore or delete a file outside the build
 * slot (GNU patch and git refuse them too, so no real patch has one). One problem a line.
 */
export function unsafePaths(patch: string, strip = 1): SeriesProblem[] {
  const problems: SeriesProblem[] = [];
  for (const { path, line } of headerNames(patch, strip)) {
    const bad = path.startsWith('/')
      ? 'an absolute path'
      : path.split('/').includes('..')
        ? 'a path that climbs out of the source tree'
        : undefined;
    if (bad && problems.at(-1)?.line !== line) problems.push({ line, message: `${path} is ${bad}` });
  }
  return problems;
}

/** True when the text holds at least one hunk: a .patch file that is not a patch is a user error. */
export function looksLikePatch(text: string): boolean {
  return (
    /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/m.test(text) ||
    /^GIT binary patch/m.test(text) ||
    /^rename from /m.test(text)
  );
}
