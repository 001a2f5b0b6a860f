/**
 * A patch's subject and description, for naming the patches a kernel had applied. A
 * `git format-patch` mail has them as its Subject header (without the `[PATCH n/m]` tag)
 * and its body up to the `---` line; a plain diff (quilt, `diff -u`, zdh's fixtures) as
 * the text before its first diff header, whose first line is the subject. Pure.
 */

/** The start of the diff in a plain patch, or the end of a mail's message. */
const DIFF_START = /^(?:diff |--- |\+\+\+ |Index: |@@ )/;
const MAIL_END = /^---\s*$/;
const HEADER = /^[A-Za-z][\w-]*: /;

export interface PatchText {
  subject: string | null;
  /** The description (subject line included for a plain patch), trimmed; null when empty. */
  description: string | null;
}

export function patchText(text: string): PatchText {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  return isMail(lines) ? mailText(lines) : plainText(lines);
}

/** An mbox `From ` line or a header block with a Subject. */
function isMail(lines: readonly string[]): boolean {
  if (lines[0]?.startsWith('From ')) return true;
  for (const l of lines) {
    if (l === '') return false;
    if (l.startsWith('Subject:')) return true;
    if (!HEADER.test(l) && !/^\s/.test(l)) return false;
  }
  return false;
}

function mailText(lines: readonly string[]): PatchText {
  let i = lines[0]?.startsWith('From ') ? 1 : 0;
  let subject: string | null = null;
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (!lines[i]!.startsWith('Subject:')) continue;
    let s = lines[i]!.slice('Subject:'.length);
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1]!)) s += ` ${lines[++i]!.trim()}`;
    subject = s.replace(/^\s*(?:\[[^\]]*\]\s*)*/, '').trim() || null;
  }
  const body: string[] = [];
  for (i++; i < lines.length && !MAIL_END.test(lines[i]!) && !DIFF_START.test(lines[i]!); i++)
    body.push(lines[i]!);
  const description = trimmed(body);
  return {
    subject,
    description: description === null ? subject : `${subject ?? ''}\n\n${description}`.trim(),
  };
}

function plainText(lines: readonly string[]): PatchText {
  const end = lines.findIndex((l) => DIFF_START.test(l));
  const description = trimmed(lines.slice(0, end < 0 ? lines.length : end));
  const first = description?.split('\n')[0]?.trim() ?? '';
  return { subject: first === '' ? null : first, description };
}

function trimmed(lines: readonly string[]): string | null {
  const text = lines
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();
  return text === '' ? null : text;
}
