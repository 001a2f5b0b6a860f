import { describe, expect, it } from 'vitest';
import { inferSignature } from '../../../harness/bisect/infer.ts';
import { parseMatch } from '../../../harness/bisect/signature.ts';
import { cell, clean, failingCase, finding, hung, infra, withFinding, workload } from './helpers.ts';

describe('inferSignature', () => {
  it('takes the findings --bad shows and --good does not, refcount reports first', () => {
    const bad = [
      cell({
        findings: [
          finding('WARNING in some_other_place'),
          finding('VM_WARN_ON_ONCE_PAGE in dmirror_devmem_alloc_page', {
            refcount: true,
            category: 'vm-warn-on',
          }),
          finding('BUG: already on good'),
        ],
      }),
    ];
    const good = [withFinding('BUG: already on good')];
    const inf = inferSignature(bad, good);
    expect(inf.ok).toBe(true);
    if (!inf.ok) return;
    expect(inf.signature.origin).toBe('inferred');
    expect(inf.signature.matchers).toEqual([
      { kind: 'title', text: 'VM_WARN_ON_ONCE_PAGE in dmirror_devmem_alloc_page' },
      { kind: 'title', text: 'WARNING in some_other_place' },
    ]);
    expect(inf.alsoOnGood).toEqual(['BUG: already on good (in hmm-tests)']);
  });

  it('unions repeats and de-duplicates titles', () => {
    const inf = inferSignature(
      [clean(1), withFinding('WARNING in x', 2), withFinding('WARNING in x', 3)],
      [],
    );
    expect(inf.ok && inf.signature.matchers).toEqual([{ kind: 'title', text: 'WARNING in x' }]);
  });

  it('without new findings takes hangs, then failing cases', () => {
    const h = inferSignature([hung('hmm-tests')], [clean()]);
    expect(h.ok && h.signature.matchers).toEqual([{ kind: 'hang', workload: 'hmm-tests' }]);
    const c = inferSignature([failingCase('hmm.migrate')], [clean()]);
    expect(c.ok && c.signature.matchers).toEqual([
      { kind: 'case', workload: 'hmm-tests', name: 'hmm.migrate' },
    ]);
  });

  it('ignores infrastructure failures and --ignore matches', () => {
    expect(inferSignature([infra()], []).ok).toBe(false);
    const inf = inferSignature([withFinding('WARNING in noisy')], [], [parseMatch('/noisy/')]);
    expect(inf.ok).toBe(false);
  });

  it('says why when there is nothing to bisect on', () => {
    const none = inferSignature([clean()], []);
    expect(none).toEqual({
      ok: false,
      reason: '--bad shows no failure with the selected workloads: it is not bad',
    });
    const same = inferSignature([withFinding('WARNING in x')], [withFinding('WARNING in x')]);
    expect(same.ok).toBe(false);
    expect(!same.ok && same.reason).toMatch(
      /--bad shows nothing that --good does not \(both show: WARNING in x/,
    );
    const exitOnly = inferSignature(
      [cell({ workloads: [workload('zdh-gup', { status: 'failed', exitStatus: 2, cases: [] })] })],
      [],
    );
    expect(!exitOnly.ok && exitOnly.reason).toMatch(
      /only workload zdh-gup: failed, which is no finding.*pass --match/,
    );
  });
});
