/**
 * What `git bisect start|good|bad|skip` and `git bisect run` said, as data. Git prints
 * these for people; the forms below are stable across git 2.3x (golden files in
 * test/fixtures/bisect/). Pure.
 */
export type BisectOutput =
  /** Git checked out (or, with --no-checkout, pointed BISECT_HEAD at) the next commit to test. */
  | { kind: 'next'; commit: string; subject: string; revisionsLeft: number; roughSteps: number }
  | { kind: 'found'; commit: string; subject: string | null }
  /** Only skipped commits are left: the first bad commit is one of these. */
  | { kind: 'only-skipped'; candidates: string[] }
  /** `git bisect run` stopped because the script exited above 127 (or below 0). */
  | { kind: 'run-aborted'; exitCode: number | null; message: string }
  /** Git refused (good not an ancestor of bad, merge base bad, unknown revision ...). */
  | { kind: 'error'; message: string }
  /** Nothing recognisable (e.g. start with only one side given). */
  | { kind: 'unknown'; text: string };

const NEXT =
  /^Bisecting: (\d+) revisions? left to test after this \(roughly (\d+) steps?\)\n\[([0-9a-f]{40,64})\] ?(.*)$/gm;
const FOUND = /^([0-9a-f]{40,64}) is the first bad commit$/m;
const ONLY_SKIPPED =
  /^There are only 'skip'ped commits left to test\.\nThe first bad commit could be any of:\n((?:[0-9a-f]{40,64}\n)+)/m;
const RUN_FAILED = /^error: bisect run failed: (?:exit code (-?\d+) from .*|(.*))$/m;

/**
 * The last outcome in `text` (a `git bisect run` transcript holds many). The found commit's
 * subject is read from the `git show`-style block that follows it.
 */
export function parseBisectOutput(text: string): BisectOutput {
  const t = text.replace(/\r\n/g, '\n');
  const found = FOUND.exec(t);
  if (found) {
    const after = t.slice(found.index + found[0].length);
    const subject = /\n\n {4}(.+)/.exec(after)?.[1]?.trim() ?? null;
    return { kind: 'found', commit: found[1]!, subject };
  }
  const skipped = ONLY_SKIPPED.exec(t);
  if (skipped) return { kind: 'only-skipped', candidates: skipped[1]!.trim().split('\n') };
  const failed = RUN_FAILED.exec(t);
  if (failed) {
    return {
      kind: 'run-aborted',
      exitCode: failed[1] === undefined ? null : Number(failed[1]),
      message: failed[0].replace(/^error: /, ''),
    };
  }
  let last: RegExpExecArray | null = null;
  for (const m of t.matchAll(NEXT)) last = m;
  if (last) {
    return {
      kind: 'next',
      commit: last[3]!,
      subject: last[4]!.trim(),
      revisionsLeft: Number(last[1]),
      roughSteps: Number(last[2]),
    };
  }
  const error = /^(?:fatal|error): (.+)$/m.exec(t)?.[1];
  if (error) return { kind: 'error', message: error.trim() };
  if (/Some good revs are not ancestors of the bad rev/.test(t))
    return {
      kind: 'error',
      message: 'some good revisions are not ancestors of the bad revision (were --good and --bad swapped?)',
    };
  if (/The merge base [0-9a-f]+ is bad/.test(t))
    return {
      kind: 'error',
      message: 'the merge base of --good and --bad is bad: the bug was fixed, or --good is on another branch',
    };
  return { kind: 'unknown', text: t.trim() };
}
