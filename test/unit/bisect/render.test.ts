import { describe, expect, it } from 'vitest';
import { renderBisect, renderStepTable } from '../../../harness/bisect/render.ts';
import { C, finishedRecord } from './record.ts';

describe('renderBisect', () => {
  it('puts the answer first: commit, subject, what marks it and the log excerpt', () => {
    const text = renderBisect(finishedRecord());
    const lines = text.split('\n');
    expect(lines[0]).toBe(`first bad commit: ${C(8)} lib/test_hmm: check the refcount`);
    expect(lines[1]).toBe('  marked by: WARNING in dmirror_devmem_alloc_page (workload hmm-tests, step 5)');
    expect(lines[2]).toBe(
      `  log excerpt (steps/05-${C(8).slice(0, 12)}/cells/s05-08cccccccccc_default_1/console.log:812-840):`,
    );
    expect(lines[3]).toMatch(/^ {4}WARNING: CPU: 1 PID: 90 at lib\/test_hmm\.c:686/);
    expect(text).toMatch(
      /signature: a finding titled "WARNING in dmirror_devmem_alloc_page" \(inferred from --bad\)/,
    );
    expect(text).toMatch(
      /5 steps \(2 confirmations \+ 3 bisection; 2 good, 2 bad, 1 skip\); 3 builds, 1 cached, 1 failed; 13 commits in range \(bound ⌈log2 13⌉\+2 = 6 builds\); 12m 00s/,
    );
    expect(text).toMatch(/run folder: \/runs\/bisect$/);
  });

  it('tables every step: commit, verdict, build, time, subject, reason', () => {
    const rows = renderStepTable(finishedRecord().steps);
    expect(rows[0]).toMatch(/^# +role +commit +verdict +build +time +subject +reason$/);
    expect(rows).toHaveLength(7);
    expect(rows[1]).toMatch(
      /^1 +--bad +13cccccccccc +bad +built +2m 00s +subject of 13 +WARNING in dmirror_devmem_alloc_page$/,
    );
    expect(rows[3]).toMatch(
      /^3 +06cccccccccc +skip +failed .* build failed: kernel build failed \(make exit 2\)$/,
    );
    expect(rows[4]).toMatch(/^4 +07cccccccccc +good +cached/);
    expect(rows[6]).toMatch(/^6 +10cccccccccc +interrupted/);
  });

  it('says what to do after an interruption, and names the candidates when inconclusive', () => {
    const r = finishedRecord();
    expect(renderBisect({ ...r, outcome: { kind: 'interrupted' } })).toMatch(
      /^interrupted: `zdh bisect --resume` continues/,
    );
    const inc = renderBisect({
      ...r,
      outcome: {
        kind: 'inconclusive',
        candidates: [
          { commit: C(6), subject: 'six' },
          { commit: C(7), subject: 'seven' },
        ],
      },
    });
    expect(inc.split('\n').slice(0, 3)).toEqual([
      'inconclusive: only skipped commits are left; the first bad commit is one of:',
      `  ${C(6)} six`,
      `  ${C(7)} seven`,
    ]);
    expect(
      renderBisect({ ...r, outcome: { kind: 'error', message: 'git bisect: x' } })
        .split('\n')
        .slice(0, 2),
    ).toEqual([
      'bisect stopped: git bisect: x',
      '  fix the cause and `zdh bisect --resume` continues, or `zdh bisect --reset` discards it',
    ]);
    const nc = renderBisect({
      ...r,
      outcome: { kind: 'not-confirmed', which: 'good', reason: 'it shows the signature too (x)' },
    });
    expect(nc).toMatch(
      /^not bisected: --good base \(00cccccccccc\) is not good: it shows the signature too \(x\)/,
    );
  });
});

describe('renderStep', () => {
  it('says the verdict with its exit code, why, and the evidence', async () => {
    const { renderStep } = await import('../../../harness/bisect/render.ts');
    const s = finishedRecord().steps[4]!;
    const lines = renderStep(s, '/cache/runs/x').split('\n');
    expect(lines[0]).toBe('zdh bisect-step: 08cccccccccc subject of 08: bad (exit 1)');
    expect(lines[1]).toBe('  marked by: WARNING in dmirror_devmem_alloc_page');
    expect(lines[2]).toBe('  kernel: 6.1.0 (built in 1m 00s); 1 run(s); 2m 00s');
    expect(lines[3]).toBe('  log excerpt (cells/s05-08cccccccccc_default_1/console.log:812-840):');
    expect(lines.at(-1)).toBe('  run folder: /cache/runs/x');
    const skip = renderStep(finishedRecord().steps[2]!, '/r').split('\n');
    expect(skip[0]).toMatch(/: skip \(exit 125\)$/);
    expect(skip[2]).toMatch(/^ {2}kernel: failed;/);
  });
});

describe('the equivalent git bisect run command', () => {
  it('carries the selection, the signature and the tolerated failures', async () => {
    const { stepCommand, shellWords } = await import('../../../harness/bisect/render.ts');
    const r = {
      ...finishedRecord(),
      baseline: ['case:hmm-tests:hmm.exclusive', 'finding:WARNING in x', 'workload:gup:failed'],
    };
    r.selection = { ...r.selection, repeat: 3, accel: 'tcg', config: ['kasan'], ignore: ['hang:gup'] };
    expect(stepCommand(r)).toEqual([
      'npx',
      'zdh',
      'bisect-step',
      '--workload',
      'hmm-tests',
      '--config',
      'kasan',
      '--repeat',
      '3',
      '--accel',
      'tcg',
      '--match',
      'WARNING in dmirror_devmem_alloc_page',
      '--ignore',
      'hang:gup',
      '--ignore',
      'case:hmm-tests:hmm.exclusive',
      '--ignore',
      'title:WARNING in x',
    ]);
    expect(shellWords(['a', 'WARNING in x', "it's", '/re/i'])).toEqual([
      'a',
      "'WARNING in x'",
      `'it'\\''s'`,
      '/re/i',
    ]);
    expect(renderBisect(r)).toMatch(
      /^the same steps under git bisect run: git bisect run npx zdh bisect-step --workload hmm-tests .* --match 'WARNING in dmirror_devmem_alloc_page'/m,
    );
  });
});
