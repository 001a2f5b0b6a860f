import { usageError } from '../errors.ts';

/**
 * What makes a commit bad. A signature is one or more matchers; a step is bad when any of
 * them matches a failure seen in any repeat. Pure.
 *
 * `--match` syntax (docs/bisect.md):
 *   TEXT                 a finding whose (normalised) title equals TEXT
 *   /REGEX/flags         a finding whose title matches REGEX
 *   title:TEXT           the same as TEXT, for titles that start with a prefix below
 *   hang:WORKLOAD        the machine hung (or a hung-task/lockup/RCU stall report) in WORKLOAD; `hang:*` any
 *   case:WORKLOAD:NAME   test case NAME of WORKLOAD failed (or never reported after a crash)
 *   case:NAME            test case NAME failed in any workload
 *   finding:*            any kernel finding
 */
export type Matcher =
  | { kind: 'title'; text: string }
  | { kind: 'title-regex'; source: string; flags: string }
  | { kind: 'hang'; workload: string }
  | { kind: 'case'; workload: string | null; name: string }
  | { kind: 'any-finding' };

export interface Signature {
  matchers: Matcher[];
  /** Where it came from: --match, inferred from what --bad showed, or bisect-step's default. */
  origin: 'match' | 'inferred' | 'default';
}

/** Any workload, for `hang:*`. */
export const ANY = '*';

export function parseMatch(text: string): Matcher {
  const t = text.trim();
  if (t === '')
    throw usageError(
      '--match is empty',
      'give a finding title, /REGEX/, hang:WORKLOAD or case:WORKLOAD:NAME',
    );
  const re = /^\/(.+)\/([a-z]*)$/s.exec(t);
  if (re) {
    const source = re[1]!;
    const flags = re[2]!;
    try {
      new RegExp(source, flags);
    } catch (error) {
      throw usageError(
        `--match ${t}: not a valid regular expression (${error instanceof Error ? error.message : String(error)})`,
        'use JavaScript regular expression syntax between slashes, e.g. /refcount.*underflow/i',
      );
    }
    return { kind: 'title-regex', source, flags };
  }
  if (t.startsWith('title:')) return { kind: 'title', text: normaliseTitle(t.slice('title:'.length)) };
  if (t.startsWith('hang:')) {
    const workload = t.slice('hang:'.length).trim();
    if (!workload)
      throw usageError(`--match ${t}: name the workload`, 'for example hang:hmm-tests, or hang:* for any');
    return { kind: 'hang', workload };
  }
  if (t.startsWith('case:')) {
    const rest = t.slice('case:'.length).trim();
    const colon = rest.indexOf(':');
    const workload = colon >= 0 ? rest.slice(0, colon).trim() : null;
    const name = (colon >= 0 ? rest.slice(colon + 1) : rest).trim();
    if (!name || workload === '') throw usageError(`--match ${t}: expected case:WORKLOAD:NAME or case:NAME`);
    return { kind: 'case', workload, name };
  }
  if (t === 'finding:*') return { kind: 'any-finding' };
  return { kind: 'title', text: normaliseTitle(t) };
}

/** Titles compare with runs of white space folded, as the scanner prints them. */
export function normaliseTitle(title: string): string {
  return title.trim().replace(/\s+/g, ' ');
}

/** The --match text that parses back to this matcher. */
export function formatMatcher(m: Matcher): string {
  switch (m.kind) {
    case 'title':
      return /^(title|hang|case|finding):|^\/.*\/[a-z]*$/s.test(m.text) ? `title:${m.text}` : m.text;
    case 'title-regex':
      return `/${m.source}/${m.flags}`;
    case 'hang':
      return `hang:${m.workload}`;
    case 'case':
      return m.workload === null ? `case:${m.name}` : `case:${m.workload}:${m.name}`;
    case 'any-finding':
      return 'finding:*';
  }
}

/** One line for people: "a finding titled "…"", "a hang in hmm-tests". */
export function describeMatcher(m: Matcher): string {
  switch (m.kind) {
    case 'title':
      return `a finding titled "${m.text}"`;
    case 'title-regex':
      return `a finding whose title matches /${m.source}/${m.flags}`;
    case 'hang':
      return m.workload === ANY ? 'a hang in any workload' : `a hang in workload ${m.workload}`;
    case 'case':
      return m.workload === null
        ? `test case ${m.name} failing`
        : `test case ${m.name} of ${m.workload} failing`;
    case 'any-finding':
      return 'any kernel finding';
  }
}

export function describeSignature(s: Signature): string {
  return s.matchers.map(describeMatcher).join(' or ');
}

export function signatureFromFlags(matches: readonly string[] | undefined): Signature | null {
  if (!matches || matches.length === 0) return null;
  return { matchers: matches.map(parseMatch), origin: 'match' };
}

/** bisect-step without --match: any kernel finding, or a hang in any workload. */
export const DEFAULT_STEP_SIGNATURE: Signature = {
  matchers: [{ kind: 'any-finding' }, { kind: 'hang', workload: ANY }],
  origin: 'default',
};
