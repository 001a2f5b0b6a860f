import type { BisectRecord, StepRecord } from '../../../harness/bisect/model.ts';
import { selection } from '../../helpers/selection.ts';

/** A finished bisect over 13 commits: the confirmations, then git's choices, one of them unbuildable. */
export const C = (n: number): string => `${String(n).padStart(2, '0')}${'c'.repeat(38)}`;

export function step(
  over: Partial<StepRecord> & Pick<StepRecord, 'index' | 'commit' | 'verdict'>,
): StepRecord {
  return {
    role: 'bisect',
    subject: `subject of ${over.commit.slice(0, 2)}`,
    reason: over.verdict === 'good' ? 'clean' : 'WARNING in dmirror_devmem_alloc_page',
    build: { outcome: 'built', seconds: 60, cacheKey: 'k', kernelRelease: '6.1.0', error: null },
    startedAt: '2026-11-25T10:00:00.000Z',
    seconds: 120,
    dir: `steps/${String(over.index).padStart(2, '0')}-${over.commit.slice(0, 12)}`,
    evidence: null,
    matchedIn: over.verdict === 'bad' ? 1 : 0,
    ran: 1,
    unrelated: [],
    tolerated: [],
    ...over,
  };
}

export const evidence = {
  matcher: 'WARNING in dmirror_devmem_alloc_page',
  kind: 'finding' as const,
  summary: 'WARNING in dmirror_devmem_alloc_page',
  title: 'WARNING in dmirror_devmem_alloc_page',
  workload: 'hmm-tests',
  cell: 's05-08cccccccccc@default#1',
  excerpt:
    'WARNING: CPU: 1 PID: 90 at lib/test_hmm.c:686 dmirror_devmem_alloc_page+0x9a/0xc0 [test_hmm]\nCall Trace:\n dmirror_migrate_to_device+0x1/0x2 [test_hmm]',
  console: 'cells/s05-08cccccccccc_default_1/console.log',
  lines: [812, 840] as [number, number],
};

export function finishedRecord(): BisectRecord {
  return {
    schema: 'zdh-bisect',
    version: 1,
    repo: '/home/u/linux',
    clone: '/cache/bisect/abc/clone.git',
    good: { ref: 'base', commit: C(0), subject: 'base' },
    bad: { ref: 'HEAD', commit: C(13), subject: 'c13' },
    rangeSize: 13,
    selection: selection({ workloads: ['hmm-tests'] }),
    signature: {
      matchers: [{ kind: 'title', text: 'WARNING in dmirror_devmem_alloc_page' }],
      origin: 'inferred',
    },
    baseline: [],
    runDir: '/runs/bisect',
    command: ['bisect', '--git', '/home/u/linux', '--good', 'base', '--bad', 'HEAD'],
    startedAt: '2026-11-25T10:00:00.000Z',
    finishedAt: '2026-11-25T10:14:00.000Z',
    phase: 'done',
    steps: [
      step({ index: 1, role: 'bad', commit: C(13), verdict: 'bad', evidence }),
      step({ index: 2, role: 'good', commit: C(0), verdict: 'good' }),
      step({
        index: 3,
        commit: C(6),
        verdict: 'skip',
        reason: 'build failed: kernel build failed (make exit 2)',
        build: {
          outcome: 'failed',
          seconds: 30,
          cacheKey: null,
          kernelRelease: null,
          error: 'kernel build failed (make exit 2)',
        },
      }),
      step({
        index: 4,
        commit: C(7),
        verdict: 'good',
        build: { outcome: 'cached', seconds: 0.2, cacheKey: 'k', kernelRelease: '6.1.0', error: null },
      }),
      step({ index: 5, commit: C(8), verdict: 'bad', evidence: { ...evidence } }),
      step({ index: 6, commit: C(10), verdict: 'interrupted', reason: 'interrupted' }),
    ],
    outcome: { kind: 'found', commit: C(8), subject: 'lib/test_hmm: check the refcount', evidence, step: 5 },
  };
}
