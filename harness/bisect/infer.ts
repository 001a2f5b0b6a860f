import type { CellResult } from '../model/result.ts';
import { cellFailures, describeFailure, type Failure, failureKey, matcherMatches } from './failures.ts';
import type { Matcher, Signature } from './signature.ts';

/**
 * Without --match, the signature is what the confirmed --bad commit shows and the
 * confirmed --good commit does not. Pure. Taken in this order, the first kind present:
 *   1. kernel findings, by title (refcount reports first)
 *   2. hangs, by workload
 *   3. failing test cases, by workload and name
 * A finding is the most specific evidence: a failing case or a hang is often only its
 * consequence, so those are used only when the kernel log has nothing new.
 */
export type Inference =
  | {
      ok: true;
      signature: Signature;
      /** The failures the signature was taken from, one line each. */
      from: string[];
      /** Failures --bad showed that --good shows too (not part of the signature). */
      alsoOnGood: string[];
    }
  | { ok: false; reason: string };

export function inferSignature(
  bad: readonly CellResult[],
  good: readonly CellResult[],
  tolerate: readonly Matcher[] = [],
): Inference {
  const goodKeys = new Set(good.flatMap(cellFailures).map(failureKey));
  const usable = (f: Failure): boolean =>
    f.kind !== 'infrastructure' && f.kind !== 'interrupted' && !tolerate.some((m) => matcherMatches(m, f));
  const badFailures = bad.flatMap(cellFailures).filter(usable);
  const fresh = badFailures.filter((f) => !goodKeys.has(failureKey(f)));
  const alsoOnGood = distinct(badFailures.filter((f) => goodKeys.has(failureKey(f)))).map(describeFailure);

  const findings = distinct(fresh.filter((f) => f.kind === 'finding'));
  findings.sort((a, b) => refcountFirst(a) - refcountFirst(b));
  if (findings.length > 0) {
    return {
      ok: true,
      signature: {
        origin: 'inferred',
        matchers: findings.map((f) => ({ kind: 'title', text: f.kind === 'finding' ? f.title : '' })),
      },
      from: findings.map(describeFailure),
      alsoOnGood,
    };
  }
  const hangs = distinct(fresh.filter((f) => f.kind === 'hang'));
  if (hangs.length > 0) {
    return {
      ok: true,
      signature: {
        origin: 'inferred',
        matchers: hangs.map((f) => ({ kind: 'hang', workload: f.kind === 'hang' ? f.workload : '' })),
      },
      from: hangs.map(describeFailure),
      alsoOnGood,
    };
  }
  const cases = distinct(
    fresh.filter((f) => f.kind === 'case' && (f.status === 'fail' || f.status === 'missing')),
  );
  if (cases.length > 0) {
    return {
      ok: true,
      signature: {
        origin: 'inferred',
        matchers: cases.map((f) =>
          f.kind === 'case' ? { kind: 'case', workload: f.workload, name: f.name } : { kind: 'any-finding' },
        ),
      },
      from: cases.map(describeFailure),
      alsoOnGood,
    };
  }
  if (fresh.length > 0) {
    return {
      ok: false,
      reason: `--bad shows only ${distinct(fresh).map(describeFailure).join('; ')}, which is no finding, hang or failing case to bisect on; pass --match`,
    };
  }
  if (alsoOnGood.length > 0) {
    return {
      ok: false,
      reason: `--bad shows nothing that --good does not (both show: ${alsoOnGood.join('; ')}); pass --match to bisect on one of them`,
    };
  }
  return { ok: false, reason: '--bad shows no failure with the selected workloads: it is not bad' };
}

function distinct(failures: readonly Failure[]): Failure[] {
  const seen = new Set<string>();
  return failures.filter((f) => {
    const k = failureKey(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function refcountFirst(f: Failure): number {
  return f.kind === 'finding' && f.finding.refcount ? 0 : 1;
}
