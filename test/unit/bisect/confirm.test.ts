import { describe, expect, it } from 'vitest';
import { judgeBad, judgeGood } from '../../../harness/bisect/confirm.ts';
import { parseMatch, type Signature } from '../../../harness/bisect/signature.ts';
import { clean, failingCase, infra, withFinding } from './helpers.ts';

const T = 'WARNING in dmirror_devmem_alloc_page';
const sig: Signature = { matchers: [parseMatch(T)], origin: 'match' };

describe('judgeBad', () => {
  it('with --match: bad only when the signature shows', () => {
    expect(
      judgeBad({ buildError: null, cells: [withFinding(T)], signature: sig, tolerate: [] }).verdict,
    ).toBe('bad');
    expect(judgeBad({ buildError: null, cells: [clean()], signature: sig, tolerate: [] }).verdict).toBe(
      'good',
    );
    expect(
      judgeBad({ buildError: null, cells: [withFinding('other')], signature: sig, tolerate: [] }).verdict,
    ).toBe('skip');
  });

  it('without --match: bad when it shows something to infer a signature from, with evidence', () => {
    const j = judgeBad({
      buildError: null,
      cells: [clean(1), withFinding(T, 2)],
      signature: null,
      tolerate: [],
    });
    expect(j.verdict).toBe('bad');
    expect(j.reason).toBe(`shows ${T} (in hmm-tests)`);
    expect(j.matchedIn).toBe(1);
    expect(j.evidence?.title).toBe(T);
  });

  it('without --match: a clean run is not bad, a failed build or broken run cannot be tested', () => {
    expect(judgeBad({ buildError: null, cells: [clean()], signature: null, tolerate: [] }).verdict).toBe(
      'good',
    );
    expect(judgeBad({ buildError: 'make failed', cells: [], signature: null, tolerate: [] }).verdict).toBe(
      'skip',
    );
    expect(judgeBad({ buildError: null, cells: [infra()], signature: null, tolerate: [] }).verdict).toBe(
      'skip',
    );
  });
});

describe('judgeGood', () => {
  it('infers the signature from --bad minus --good and keeps --good failures as the baseline', () => {
    const g = judgeGood({
      buildError: null,
      cells: [failingCase('hmm.exclusive')],
      signature: null,
      badCells: [cellsWith(T, 'hmm.exclusive')],
      tolerate: [],
    });
    expect(g.judgement.verdict).toBe('good');
    expect(g.judgement.reason).toBe('no signature; 1 other failure(s), tolerated from now on');
    expect(g.signature?.matchers).toEqual([{ kind: 'title', text: T }]);
    expect(g.baseline).toEqual(['case:hmm-tests:hmm.exclusive']);
  });

  it('is not good when it shows the signature or cannot be tested', () => {
    expect(
      judgeGood({ buildError: null, cells: [withFinding(T)], signature: sig, badCells: [], tolerate: [] })
        .judgement.verdict,
    ).toBe('bad');
    expect(
      judgeGood({ buildError: 'make failed', cells: [], signature: sig, badCells: [], tolerate: [] })
        .judgement.verdict,
    ).toBe('skip');
    expect(
      judgeGood({ buildError: null, cells: [infra()], signature: sig, badCells: [], tolerate: [] }).judgement
        .verdict,
    ).toBe('skip');
  });

  it('reports when --good shows everything --bad does', () => {
    const g = judgeGood({
      buildError: null,
      cells: [withFinding(T)],
      signature: null,
      badCells: [withFinding(T)],
      tolerate: [],
    });
    expect(g.signature).toBeNull();
    expect(g.inference?.ok).toBe(false);
  });
});

function cellsWith(title: string, failing: string) {
  const c = failingCase(failing);
  return { ...c, findings: withFinding(title).findings };
}
