import { describe, expect, it } from 'vitest';
import { parseMatch, type Signature } from '../../../harness/bisect/signature.ts';
import { judgeStep } from '../../../harness/bisect/verdict.ts';
import { clean, failingCase, hung, infra, interruptedCell, withFinding } from './helpers.ts';

const T = 'WARNING in dmirror_devmem_alloc_page';
const sig: Signature = { matchers: [parseMatch(T)], origin: 'match' };

describe('judgeStep', () => {
  it('a failed build is skip, whatever else', () => {
    const j = judgeStep({
      buildError: 'kernel build failed (make exit 2)\nlib/test_hmm.c:1: error: x',
      cells: [],
      signature: sig,
    });
    expect(j.verdict).toBe('skip');
    expect(j.reason).toBe('build failed: kernel build failed (make exit 2)');
  });

  it('nothing run is skip, never good', () => {
    expect(judgeStep({ buildError: null, cells: [], signature: sig })).toMatchObject({
      verdict: 'skip',
      reason: 'nothing ran (no machine or workload selected)',
    });
  });

  it('clean in every repeat is good', () => {
    const j = judgeStep({ buildError: null, cells: [clean(1), clean(2), clean(3)], signature: sig });
    expect(j).toMatchObject({ verdict: 'good', reason: 'clean in all 3 runs', matchedIn: 0, ran: 3 });
  });

  it('one match in N repeats is bad, with the evidence', () => {
    const j = judgeStep({ buildError: null, cells: [clean(1), withFinding(T, 2), clean(3)], signature: sig });
    expect(j.verdict).toBe('bad');
    expect(j.reason).toBe(`${T} (1 of 3 runs)`);
    expect(j.evidence).toMatchObject({
      matcher: T,
      kind: 'finding',
      title: T,
      workload: 'hmm-tests',
      cell: 's01-0123456789ab@default#2',
      console: 'cells/c/console.log',
      lines: [100, 120],
    });
    expect(j.evidence?.excerpt).toMatch(/Call Trace/);
  });

  it('bad wins over an infrastructure failure or an interruption in another repeat', () => {
    expect(
      judgeStep({ buildError: null, cells: [infra(1), withFinding(T, 2)], signature: sig }).verdict,
    ).toBe('bad');
    expect(
      judgeStep({ buildError: null, cells: [withFinding(T, 1), interruptedCell(2)], signature: sig }).verdict,
    ).toBe('bad');
  });

  it('interrupted without a match gives no verdict', () => {
    expect(
      judgeStep({ buildError: null, cells: [clean(1), interruptedCell(2)], signature: sig }).verdict,
    ).toBe('interrupted');
  });

  it('an infrastructure failure is skip', () => {
    const j = judgeStep({ buildError: null, cells: [infra()], signature: sig });
    expect(j).toMatchObject({ verdict: 'skip', reason: 'infrastructure: QEMU would not start' });
  });

  it('a failure the signature does not match is skip, and is reported', () => {
    const j = judgeStep({
      buildError: null,
      cells: [withFinding('BUG: Bad page state in process x', 1), failingCase('hmm.exclusive', 2)],
      signature: sig,
    });
    expect(j.verdict).toBe('skip');
    expect(j.reason).toBe('other failure: BUG: Bad page state in process x (in hmm-tests) (+1 more)');
    expect(j.unrelated).toEqual([
      'BUG: Bad page state in process x (in hmm-tests)',
      'case hmm.exclusive of hmm-tests: fail (ASSERT failed at hmm-tests.c:1812)',
    ]);
  });

  it('failures in the baseline or matched by --ignore count as clean, and are listed', () => {
    const baseline = ['case:hmm-tests:hmm.exclusive'];
    const j = judgeStep({
      buildError: null,
      cells: [failingCase('hmm.exclusive')],
      signature: sig,
      baseline,
    });
    expect(j).toMatchObject({ verdict: 'good', reason: 'clean, 1 tolerated failure(s)' });
    expect(j.tolerated).toEqual([
      'case hmm.exclusive of hmm-tests: fail (ASSERT failed at hmm-tests.c:1812)',
    ]);
    const k = judgeStep({
      buildError: null,
      cells: [hung()],
      signature: sig,
      tolerate: [parseMatch('hang:hmm-tests'), parseMatch('case:b')],
    });
    expect(k.verdict).toBe('good');
  });

  it('the signature wins over --ignore', () => {
    const j = judgeStep({
      buildError: null,
      cells: [withFinding(T)],
      signature: sig,
      tolerate: [parseMatch('finding:*')],
    });
    expect(j.verdict).toBe('bad');
  });

  it('a hang signature gives the hang as evidence with the workload console lines', () => {
    const j = judgeStep({
      buildError: null,
      cells: [hung('hmm-tests')],
      signature: { matchers: [parseMatch('hang:hmm-tests')], origin: 'match' },
    });
    expect(j.verdict).toBe('bad');
    expect(j.evidence).toMatchObject({ kind: 'hang', summary: 'hang in hmm-tests', lines: [50, 400] });
    expect(j.evidence?.excerpt).toMatch(/did not finish within 300 s/);
  });
});
