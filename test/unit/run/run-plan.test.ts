import { describe, expect, it } from 'vitest';
import { defaultKernelSpec } from '../../../harness/build/kernel-spec.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { planRun } from '../../../harness/run/run-plan.ts';
import type { Suite } from '../../../harness/suite/suite.ts';
import { NO_NARROWING } from '../../helpers/narrowing.ts';

const suite: Suite = {
  name: 'mem',
  description: '',
  file: null,
  kernels: [
    { name: 'a', spec: defaultKernelSpec() },
    { name: 'b', spec: defaultKernelSpec() },
  ],
  machines: ['m1', 'm2'],
  workloads: [{ name: 'w' }],
  matrix: { include: null, exclude: [] },
  repeats: 1,
};

/** The error a call throws, as `kind: message`. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof ZdhError ? `${e.kind}: ${e.message}` : String(e);
  }
  return 'no error';
}

describe('planRun', () => {
  it('without a shard runs every cell of the narrowed suite, in matrix order', () => {
    const p = planRun(suite, NO_NARROWING);
    expect(p.shard).toBeNull();
    expect(p.mine.map((c) => c.id)).toEqual(['a@m1#1', 'a@m2#1', 'b@m1#1', 'b@m2#1']);
    expect(p.cells).toEqual(p.mine);
    expect(p.suite).toEqual(suite);
  });

  it('narrows before expanding: the cells are the narrowed suite’s', () => {
    const p = planRun(suite, { ...NO_NARROWING, machines: ['m2'], repeat: 2 });
    expect(p.suite.machines).toEqual(['m2']);
    expect(p.mine.map((c) => c.id)).toEqual(['a@m2#1', 'a@m2#2', 'b@m2#1', 'b@m2#2']);
  });

  it('a shard takes a contiguous run of the cells; the shards cover the matrix once', () => {
    const one = planRun(suite, NO_NARROWING, '3/3');
    expect(one.shard).toEqual({ index: 3, count: 3 });
    expect(one.mine.map((c) => c.id)).toEqual(['b@m1#1', 'b@m2#1']);
    expect(one.cells).toHaveLength(4);
    const all = ['1/3', '2/3', '3/3'].flatMap((s) => planRun(suite, NO_NARROWING, s).mine.map((c) => c.id));
    expect(all.sort()).toEqual(one.cells.map((c) => c.id).sort());
  });

  it('a shard with no cells, or an empty matrix, is a usage error naming the shard and suite', () => {
    // 4 cells over 5 shards: the first of the five contiguous runs is empty.
    expect(thrown(() => planRun(suite, NO_NARROWING, '1/5'))).toBe(
      'usage: shard 1/5 of suite mem has no cells',
    );
    expect(thrown(() => planRun(suite, { ...NO_NARROWING, machines: [] }, '1/1'))).toBe(
      'usage: shard 1/1 of suite mem has no cells',
    );
  });

  it('a malformed shard is a usage error', () => {
    for (const s of ['0/2', '3/2', 'x', '1/0'])
      expect(thrown(() => planRun(suite, NO_NARROWING, s))).toMatch(/^usage: --shard/);
  });
});
