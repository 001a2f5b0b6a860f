import { describe, expect, it } from 'vitest';
import { defaultKernelSpec } from '../../../harness/build/kernel-spec.ts';
import { LAYER } from '../../../harness/kconfig/fragments.ts';
import { expandMatrix } from '../../../harness/suite/matrix.ts';
import {
  kernelNameFor,
  narrowSuite,
  pickWorkloads,
  type SuiteNarrowing,
} from '../../../harness/suite/narrow.ts';
import type { Suite } from '../../../harness/suite/suite.ts';
import { NO_NARROWING } from '../../helpers/narrowing.ts';

/** A suite held in memory: two kernels, two machines, a matrix that names both. */
const suite: Suite = {
  name: 'mem',
  description: '',
  file: null,
  kernels: [
    {
      name: 'kasan',
      spec: {
        ...defaultKernelSpec(),
        name: 'kasan',
        patches: ['/p/suite.patch'],
        fragments: [{ ref: 'kasan', layer: LAYER.suite }],
      },
    },
    { name: 'plain', spec: { ...defaultKernelSpec(), base: 'defconfig' } },
  ],
  machines: ['default', 'big'],
  workloads: [
    { name: 'hmm-tests', timeout: 900 },
    { name: 'zdh-gup', params: { n: 2 } },
  ],
  matrix: { include: null, exclude: [{ kernel: 'plain', machine: 'big' }] },
  repeats: 2,
};
const narrow = (over: Partial<SuiteNarrowing>): Suite => narrowSuite(suite, { ...NO_NARROWING, ...over });

describe('narrowSuite', () => {
  it('changes nothing without narrowing', () => {
    expect(narrowSuite(suite, NO_NARROWING)).toEqual(suite);
    expect(expandMatrix(narrow({})).map((c) => c.id)).toEqual(expandMatrix(suite).map((c) => c.id));
  });

  it('appends --patches and --config to every kernel, after the suite’s and in the order given', () => {
    const n = narrow({ patches: ['/p/b.patch', '/p/a.patch'], config: ['debug', 'lockdep'] });
    for (const k of n.kernels) {
      const own = suite.kernels.find((s) => s.name === k.name)!.spec;
      expect(k.spec.patches).toEqual([...own.patches, '/p/b.patch', '/p/a.patch']);
      expect(k.spec.fragments).toEqual([
        ...own.fragments,
        { ref: 'debug', layer: LAYER.commandLine },
        { ref: 'lockdep', layer: LAYER.commandLine },
      ]);
    }
    // The suite itself is not edited.
    expect(suite.kernels[0]!.spec.patches).toEqual(['/p/suite.patch']);
  });

  it('--base alone rebases every kernel and keeps their names, sources and matrix', () => {
    const n = narrow({ base: 'allnoconfig' });
    expect(n.kernels.map((k) => [k.name, k.spec.base, k.spec.name])).toEqual([
      ['kasan', 'allnoconfig', 'kasan'],
      ['plain', 'allnoconfig', undefined],
    ]);
    expect(n.matrix).toBe(suite.matrix);
  });

  it('a source replaces the kernels with one on the default configuration, named after the source', () => {
    const n = narrow({ source: { kind: 'git', repo: '/src/linux', ref: 'v6.12' }, base: 'defconfig' });
    expect(n.kernels).toEqual([
      {
        name: 'linux@v6.12',
        spec: {
          ...defaultKernelSpec(),
          source: { kind: 'git', repo: '/src/linux', ref: 'v6.12' },
          base: 'defconfig',
        },
      },
    ]);
    // The exclude named a kernel that is gone; the machines and repeats stay.
    expect(n.matrix).toEqual({ include: null, exclude: [] });
    expect(expandMatrix(n).map((c) => c.id)).toEqual([
      'linux@v6.12@default#1',
      'linux@v6.12@default#2',
      'linux@v6.12@big#1',
      'linux@v6.12@big#2',
    ]);
  });

  it('with a source, includes that named a kernel move to the new one; machine-only pairs stay', () => {
    const s: Suite = {
      ...suite,
      matrix: {
        include: [{ kernel: 'kasan', machine: 'big' }, { machine: 'default' }],
        exclude: [{ machine: 'small' }, { kernel: 'kasan' }],
      },
    };
    const n = narrowSuite(s, { ...NO_NARROWING, source: { kind: 'tree', path: '/home/dev/linux-next' } });
    expect(n.matrix).toEqual({
      include: [{ kernel: 'linux-next', machine: 'big' }, { machine: 'default' }],
      exclude: [{ machine: 'small' }],
    });
  });

  it('--machine, --workload and --repeat replace the suite’s; workloads keep the order given', () => {
    const n = narrow({
      machines: ['two-nvdimms'],
      workloads: ['zdh-gup', 'new-one', 'hmm-tests'],
      repeat: 1,
    });
    expect(n.machines).toEqual(['two-nvdimms']);
    expect(n.workloads).toEqual([
      { name: 'zdh-gup', params: { n: 2 } },
      { name: 'new-one' },
      { name: 'hmm-tests', timeout: 900 },
    ]);
    expect(n.repeats).toBe(1);
    expect(expandMatrix(n).map((c) => c.id)).toEqual(['kasan@two-nvdimms#1', 'plain@two-nvdimms#1']);
  });

  it('empty selections give an empty matrix or no workloads, not the suite’s', () => {
    expect(expandMatrix(narrow({ machines: [] }))).toEqual([]);
    expect(narrow({ workloads: [] }).workloads).toEqual([]);
  });
});

describe('pickWorkloads', () => {
  it('keeps all without names, picks by name otherwise (unknown names stand alone)', () => {
    expect(pickWorkloads(suite.workloads, null)).toBe(suite.workloads);
    expect(pickWorkloads(suite.workloads, ['x', 'hmm-tests'])).toEqual([
      { name: 'x' },
      { name: 'hmm-tests', timeout: 900 },
    ]);
    expect(pickWorkloads([], ['x'])).toEqual([{ name: 'x' }]);
  });
});

describe('kernelNameFor', () => {
  it('names kernels from the command line after their source', () => {
    expect(kernelNameFor({ kind: 'tarball', path: '/usr/src/linux-source-6.12.tar.xz' })).toBe(
      'linux-source-6.12',
    );
    expect(kernelNameFor({ kind: 'tarball', path: '/k/linux-6.1.tgz' })).toBe('linux-6.1');
    expect(kernelNameFor({ kind: 'tarball', path: '/k/linux.tar' })).toBe('linux');
    expect(kernelNameFor({ kind: 'tree', path: '/home/dev/linux-next' })).toBe('linux-next');
    expect(kernelNameFor({ kind: 'git', repo: '/src/linux', ref: 'v6.12' })).toBe('linux@v6.12');
  });
});
