import { describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import { expandMatrix, parseShard, shardCells } from '../../../harness/suite/matrix.ts';
import { suiteFromYaml } from '../../../harness/suite/suite.ts';

const suite = suiteFromYaml(
  {
    kernels: [
      { name: 'clean' },
      { name: 'patched', patches: ['x.patch'] },
      { name: 'nodebug', config: ['no-debug'] },
    ],
    machines: ['default', 'small'],
    workloads: ['hmm-tests', { name: 'dp-stress', params: { seconds: 30 }, timeout: 120 }],
    matrix: { exclude: [{ kernel: 'nodebug', machine: 'small' }] },
    repeats: 2,
  },
  '/suites/nightly.yaml',
);

describe('expandMatrix', () => {
  it('takes the product minus excludes, times repeats, with stable ids', () => {
    const cells = expandMatrix(suite);
    expect(cells.map((c) => c.id)).toEqual([
      'clean@default#1',
      'clean@default#2',
      'clean@small#1',
      'clean@small#2',
      'patched@default#1',
      'patched@default#2',
      'patched@small#1',
      'patched@small#2',
      'nodebug@default#1',
      'nodebug@default#2',
    ]);
    expect(cells[0]!.workloads).toEqual([
      { name: 'hmm-tests' },
      { name: 'dp-stress', params: { seconds: 30 }, timeout: 120 },
    ]);
    expect(cells[4]!.kernel.spec.patches).toEqual(['/suites/x.patch']);
  });

  it('keeps only included pairs when include is given', () => {
    const only = suiteFromYaml(
      {
        ...{ kernels: [{ name: 'a' }, { name: 'b' }], machines: ['m1', 'm2'] },
        workloads: ['w'],
        matrix: { include: [{ kernel: 'b', machine: 'm2' }, { kernel: 'a' }] },
      },
      '/s.yaml',
    );
    expect(expandMatrix(only).map((c) => c.id)).toEqual(['a@m1#1', 'a@m2#1', 'b@m2#1']);
  });

  it('defaults to the Debian 6.1 kernel on the default machine', () => {
    const s = suiteFromYaml({ workloads: ['w'] }, '/configs/suites/smoke.yaml');
    expect(s.name).toBe('smoke');
    expect(expandMatrix(s).map((c) => c.id)).toEqual(['debian-6.1@default#1']);
    expect(s.kernels[0]!.spec.source).toEqual({ kind: 'tarball', path: '/usr/src/linux-source-6.1.tar.xz' });
  });

  it('rejects a matrix entry that names an unknown kernel, and duplicate kernel names', () => {
    expect(() =>
      suiteFromYaml(
        { kernels: [{ name: 'a' }], workloads: ['w'], matrix: { exclude: [{ kernel: 'zz' }] } },
        '/s.yaml',
      ),
    ).toThrow(/names kernel "zz"/);
    expect(() =>
      suiteFromYaml({ kernels: [{ name: 'a' }, { name: 'a' }], workloads: ['w'] }, '/s.yaml'),
    ).toThrow(ZdhError);
  });
});

describe('shards', () => {
  const cells = expandMatrix(suite);
  it('partition the cells: every cell in exactly one shard, shards within one of each other in size', () => {
    for (const n of [1, 2, 3, 4, 7, 10, 13]) {
      const shards = Array.from({ length: n }, (_, i) => shardCells(cells, { index: i + 1, count: n }));
      const ids = shards.flat().map((c) => c.id);
      expect(ids.sort()).toEqual(cells.map((c) => c.id).sort());
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('keep a kernel in as few shards as the sizes allow: each shard builds at most ⌈kernels/N⌉ + 1 kernels', () => {
    // The nightly shape: 8 kernels, one machine each, three repeats, four shards.
    const kernels = Array.from({ length: 8 }, (_, i) => ({ name: `k${i}` }));
    const nightly = expandMatrix(suiteFromYaml({ kernels, workloads: ['w'], repeats: 3 }, '/n.yaml'));
    const builds = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => new Set(shardCells(nightly, { index: i + 1, count: n }).map((c) => c.kernel.name)).size,
      );
    expect(builds(4)).toEqual([2, 2, 2, 2]);
    for (const n of [2, 3, 5, 7])
      for (const b of builds(n)) expect(b).toBeLessThanOrEqual(Math.ceil(8 / n) + 1);
    // Every repeat of a cell in one shard, in order.
    expect(shardCells(nightly, { index: 1, count: 4 }).map((c) => c.id)).toEqual(
      ['k0', 'k1'].flatMap((k) => [1, 2, 3].map((r) => `${k}@default#${r}`)),
    );
  });

  it('parses I/N and rejects nonsense', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard/);
  });
});
