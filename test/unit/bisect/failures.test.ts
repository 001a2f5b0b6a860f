import { describe, expect, it } from 'vitest';
import { cellFailures, failureKey, matcherMatches } from '../../../harness/bisect/failures.ts';
import { parseMatch } from '../../../harness/bisect/signature.ts';
import type { CellExit } from '../../../harness/model/result.ts';
import {
  cell,
  clean,
  failingCase,
  finding,
  hung,
  infra,
  interruptedCell,
  kase,
  withFinding,
  workload,
} from './helpers.ts';

const keys = (c: Parameters<typeof cellFailures>[0]): string[] => cellFailures(c).map(failureKey);

describe('cellFailures', () => {
  it('a clean cell has none', () => {
    expect(cellFailures(clean())).toEqual([]);
  });

  it('lists findings by title', () => {
    expect(keys(withFinding('WARNING in dmirror_devmem_alloc_page'))).toEqual([
      'finding:WARNING in dmirror_devmem_alloc_page',
    ]);
  });

  it('a hang names the workload that never ended; its missing cases are still listed', () => {
    expect(keys(hung('hmm-tests'))).toEqual(['hang:hmm-tests', 'case:hmm-tests:b']);
  });

  it('a boot timeout is a hang in boot', () => {
    const c = cell({
      exit: {
        reason: { kind: 'boot-timeout', stage: 'banner', timeoutS: 60 },
        message: 'boot timeout: no kernel banner within 60 s',
      },
      workloads: [workload('hmm-tests', { status: 'not-run', cases: [] })],
    });
    expect(keys(c)).toEqual(['hang:boot']);
  });

  it('a step that timed out with onTimeout continue is a hang in its workload', () => {
    const c = cell({
      workloads: [workload('hmm-stress', { status: 'timeout', cases: [] }), workload('hmm-tests')],
    });
    expect(keys(c)).toEqual(['hang:hmm-stress']);
  });

  it('infrastructure failures do not count their missing cases', () => {
    expect(keys(infra())).toEqual(['infrastructure']);
  });

  it('a panic with no finding is a crash; with a finding only the finding', () => {
    const panic: CellExit = {
      reason: { kind: 'panic', message: 'Fatal exception' },
      message: 'kernel panic: Fatal exception',
    };
    expect(keys(cell({ exit: panic }))).toEqual(['exit:panic']);
    expect(
      keys(
        cell({
          exit: panic,
          findings: [finding('BUG: unable to handle page fault in x', { category: 'page-fault' })],
        }),
      ),
    ).toEqual(['finding:BUG: unable to handle page fault in x']);
  });

  it('a failing case, and a failed workload with no failing case', () => {
    expect(keys(failingCase('hmm.exclusive'))).toEqual(['case:hmm-tests:hmm.exclusive']);
    const c = cell({
      workloads: [workload('zdh-gup', { status: 'failed', exitStatus: 3, cases: [kase('x')] })],
    });
    expect(keys(c)).toEqual(['workload:zdh-gup:failed']);
  });

  it('a workload that never ran although the guest finished is a failure', () => {
    const c = cell({ workloads: [workload('zdh-gup', { status: 'not-run', cases: [] })] });
    expect(keys(c)).toEqual(['workload:zdh-gup:not-run']);
  });

  it('an interrupted cell is only that', () => {
    expect(keys(interruptedCell())).toEqual(['interrupted']);
  });
});

describe('matcherMatches', () => {
  const f = cellFailures(withFinding('WARNING in dmirror_devmem_alloc_page'))[0]!;

  it('titles match exactly (white space folded), regexes anywhere', () => {
    expect(matcherMatches(parseMatch('WARNING in  dmirror_devmem_alloc_page'), f)).toBe(true);
    expect(matcherMatches(parseMatch('WARNING in dmirror'), f)).toBe(false);
    expect(matcherMatches(parseMatch('/dmirror_devmem_\\w+/'), f)).toBe(true);
    expect(matcherMatches(parseMatch('/^warning/'), f)).toBe(false);
    expect(matcherMatches(parseMatch('/^warning/i'), f)).toBe(true);
    expect(matcherMatches(parseMatch('finding:*'), f)).toBe(true);
  });

  it('hang:W matches a hang in W and hung-task reports attributed to W', () => {
    const h = cellFailures(hung('hmm-tests'))[0]!;
    expect(matcherMatches(parseMatch('hang:hmm-tests'), h)).toBe(true);
    expect(matcherMatches(parseMatch('hang:*'), h)).toBe(true);
    expect(matcherMatches(parseMatch('hang:other'), h)).toBe(false);
    const report = cellFailures(
      withFinding('INFO: task hung in memunmap_pages', 1, { category: 'hung-task', workload: 'hmm-tests' }),
    )[0]!;
    expect(matcherMatches(parseMatch('hang:hmm-tests'), report)).toBe(true);
    expect(matcherMatches(parseMatch('hang:other'), report)).toBe(false);
  });

  it('case matchers match fail and missing, not xpass', () => {
    const failing = cellFailures(failingCase('hmm.exclusive'))[0]!;
    expect(matcherMatches(parseMatch('case:hmm-tests:hmm.exclusive'), failing)).toBe(true);
    expect(matcherMatches(parseMatch('case:hmm.exclusive'), failing)).toBe(true);
    expect(matcherMatches(parseMatch('case:other:hmm.exclusive'), failing)).toBe(false);
    const missing = cellFailures(hung())[1]!;
    expect(matcherMatches(parseMatch('case:b'), missing)).toBe(true);
    const xpass = cellFailures(
      cell({ workloads: [workload('w', { status: 'passed', cases: [kase('k', 'xpass')] })] }),
    )[0]!;
    expect(matcherMatches(parseMatch('case:k'), xpass)).toBe(false);
  });
});
