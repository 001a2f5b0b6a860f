import type { CellResult } from '../model/result.ts';
import { cellFailures, type Failure, failureKey } from './failures.ts';
import { type Inference, inferSignature } from './infer.ts';
import type { Matcher, Signature } from './signature.ts';
import { type Evidence, judgeStep, type StepJudgement } from './verdict.ts';

/**
 * The two confirmations before bisecting, as pure verdicts. `zdh bisect` stops with a
 * clear message when --bad is not bad or --good is not good.
 */
const NOTHING: Signature = { matchers: [], origin: 'inferred' };

const brokenCell = (f: Failure): boolean => f.kind === 'infrastructure' || f.kind === 'interrupted';

/**
 * --bad: with a signature, it must show it (any repeat). Without one, it must show a
 * finding, hang or failing case to infer the signature from (confirmed again after --good).
 */
export function judgeBad(input: {
  buildError: string | null;
  cells: readonly CellResult[];
  signature: Signature | null;
  tolerate: readonly Matcher[];
}): StepJudgement {
  const { buildError, cells, tolerate } = input;
  if (input.signature) return judgeStep({ buildError, cells, signature: input.signature, tolerate });
  const j = judgeStep({ buildError, cells, signature: NOTHING, tolerate });
  if (buildError !== null || j.verdict === 'interrupted') return j;
  const inf = inferSignature(cells, [], tolerate);
  if (!inf.ok) return j.verdict === 'skip' ? j : { ...j, verdict: 'good', reason: 'no failure' };
  const hit = firstHit(cells, inf.signature);
  return {
    ...j,
    verdict: 'bad',
    reason: `shows ${inf.from.join('; ')}`,
    evidence: hit,
    matchedIn: cells.filter(
      (c) => judgeStep({ buildError: null, cells: [c], signature: inf.signature }).verdict === 'bad',
    ).length,
    unrelated: [],
  };
}

export interface GoodJudgement {
  judgement: StepJudgement;
  /** The signature to bisect on: --match's, or inferred from --bad minus what --good shows. */
  signature: Signature | null;
  inference: Inference | null;
  /** Failure keys --good shows besides the signature: tolerated in every later step. */
  baseline: string[];
}

/**
 * --good: it must build, run, and not show the signature in any repeat. Other failures it
 * shows are not a reason to stop: they become the baseline every later step tolerates
 * (a failure the good commit already had is not what is being bisected).
 */
export function judgeGood(input: {
  buildError: string | null;
  cells: readonly CellResult[];
  signature: Signature | null;
  badCells: readonly CellResult[];
  tolerate: readonly Matcher[];
}): GoodJudgement {
  const { buildError, cells, tolerate } = input;
  const inference = input.signature ? null : inferSignature(input.badCells, cells, tolerate);
  const signature = input.signature ?? (inference?.ok ? inference.signature : null);
  const j = judgeStep({ buildError, cells, signature: signature ?? NOTHING, tolerate });
  const failures = cells.flatMap(cellFailures).filter((f) => !brokenCell(f));
  const baseline = [...new Set(failures.map(failureKey))];
  const broken = cells.some((c) => cellFailures(c).some(brokenCell));
  if (j.verdict === 'skip' && buildError === null && !broken) {
    return {
      judgement: {
        ...j,
        verdict: 'good',
        reason: `no signature; ${j.unrelated.length} other failure(s), tolerated from now on`,
        tolerated: j.unrelated,
        unrelated: [],
      },
      signature,
      inference,
      baseline,
    };
  }
  return { judgement: j, signature, inference, baseline: j.verdict === 'good' ? baseline : [] };
}

function firstHit(cells: readonly CellResult[], signature: Signature): Evidence | null {
  for (const c of cells) {
    const j = judgeStep({ buildError: null, cells: [c], signature });
    if (j.evidence) return j.evidence;
  }
  return null;
}
