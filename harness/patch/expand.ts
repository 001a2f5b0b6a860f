import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { configError } from '../errors.ts';
import { sha256 } from '../util/hash.ts';
import { looksLikePatch, orderPatchFiles, parseQuiltSeries, splitMbox, unsafePaths } from './series.ts';

/** One patch of a series, read and hashed. */
export interface Patch {
  /** For messages: "0003-mm-fix.patch" or "fixes.mbox#2 (mm: fix foo)". */
  name: string;
  /** The file it came from. */
  file: string;
  text: string;
  strip: number;
  sha256: string;
  /** The line of `file` that `text` starts on (a message of an mbox); 1 when not given. */
  line?: number;
}

/** Expands each --patches PATH (file, directory or quilt series) into patches, in order. */
export function expandPatches(paths: readonly string[]): Patch[] {
  return paths.flatMap((p) => expandOne(resolve(p)));
}

function expandOne(path: string): Patch[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) {
    throw configError(`patch path ${path} does not exist`, {
      hint: 'pass a .patch/.mbox file, a folder of patches or a quilt series file',
    });
  }
  if (st.isDirectory()) {
    const names = readdirSync(path);
    if (names.includes('series')) return fromSeries(join(path, 'series'));
    const ordered = orderPatchFiles(names);
    if (ordered.length === 0) {
      throw configError(`folder ${path} holds no *.patch, *.diff or *.mbox files and no quilt series file`);
    }
    return ordered.flatMap((n) => fromFile(join(path, n), 1));
  }
  if (basename(path) === 'series') return fromSeries(path);
  return fromFile(path, 1);
}

function fromSeries(seriesPath: string): Patch[] {
  const { entries, problems } = parseQuiltSeries(readFileSync(seriesPath, 'utf8'));
  if (problems.length > 0) {
    const p = problems[0]!;
    throw configError(`${seriesPath}:${p.line}: ${p.message}`);
  }
  return entries.flatMap((e) => {
    const file = join(dirname(seriesPath), e.file);
    try {
      statSync(file);
    } catch {
      throw configError(`${seriesPath}:${e.line}: patch ${e.file} does not exist`, {
        hint: `add ${file} or remove the line from the series`,
      });
    }
    return fromFile(file, e.strip);
  });
}

function fromFile(file: string, strip: number): Patch[] {
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  const messages = splitMbox(text);
  const patches = messages.map((m) => {
    const name =
      messages.length > 1
        ? `${basename(file)}#${m.index}${m.subject ? ` (${m.subject})` : ''}`
        : basename(file);
    return { name, file, text: m.text, strip, sha256: sha256(m.text), line: m.line };
  });
  for (const p of patches) {
    if (!looksLikePatch(p.text)) {
      throw configError(`${p.name} (${file}) is not a patch: it holds no diff hunk`, {
        hint: 'pass a file written by `git format-patch` or `diff -u`',
      });
    }
    assertInsideTree(p);
  }
  return patches;
}

/**
 * Refuses a patch naming a file outside the source tree (absolute, or climbing with
 * `..` once -pN is applied), naming the patch file and line. Checked when patches are
 * read, so a build fails before it starts, and again where a slot applies them.
 */
export function assertInsideTree(p: Patch): void {
  const problems = unsafePaths(p.text, p.strip);
  if (problems.length === 0) return;
  const at = (line: number): string => patchLocation(p, line);
  const [first, ...more] = problems;
  throw configError(
    `${at(first!.line)}: patch ${p.name} names a file outside the source tree: ${first!.message}`,
    {
      details: more.map((x) => `${at(x.line)}: ${x.message}`),
      hint: 'a patch may only name files inside the kernel tree; check its ---/+++ lines and the -p level',
    },
  );
}

/** `file:line` of a line of a patch's text (counted from the top of its file, for mbox messages). */
export function patchLocation(p: Patch, line: number): string {
  return `${p.file}:${(p.line ?? 1) + line - 1}`;
}
