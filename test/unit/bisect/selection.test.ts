import { describe, expect, it } from 'vitest';
import type { Selection } from '../../../harness/bisect/model.ts';
import { planSteps, stepCells } from '../../../harness/bisect/selection.ts';
import { defaultKernelSpec } from '../../../harness/build/kernel-spec.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { LAYER } from '../../../harness/kconfig/fragments.ts';
import type { Suite } from '../../../harness/suite/suite.ts';
import { selection } from '../../helpers/selection.ts';

const suite: Suite = {
  name: 'nightly',
  description: '',
  file: null,
  kernels: [
    {
      name: 'kasan',
      spec: {
        ...defaultKernelSpec(),
        patches: ['/p/suite.patch'],
        fragments: [{ ref: 'kasan', layer: LAYER.suite }],
      },
    },
    { name: 'plain', spec: defaultKernelSpec() },
  ],
  machines: ['default', 'two-nvdimms'],
  workloads: [{ name: 'hmm-tests', timeout: 900 }, { name: 'zdh-gup' }],
  matrix: { include: null, exclude: [] },
  repeats: 3,
};

const sel = (over: Partial<Selection> = {}): Selection => selection({ suite: 'nightly', ...over });

describe('planSteps', () => {
  it('takes the first kernel’s configuration, extended by the flags', () => {
    const p = planSteps(
      suite,
      sel({ patches: ['/p/debug.patch'], config: ['debug-info'], base: 'defconfig' }),
    );
    expect(p.spec.patches).toEqual(['/p/suite.patch', '/p/debug.patch']);
    expect(p.spec.fragments).toEqual([
      { ref: 'kasan', layer: LAYER.suite },
      { ref: 'debug-info', layer: LAYER.commandLine },
    ]);
    expect(p.spec.base).toBe('defconfig');
    expect(p.machines).toEqual(['default', 'two-nvdimms']);
    expect(p.repeat).toBe(1);
  });

  it('narrows workloads, keeping the suite’s settings of a named one', () => {
    const p = planSteps(suite, sel({ workloads: ['hmm-tests', 'new-one'], machines: ['default'] }));
    expect(p.workloads).toEqual([{ name: 'hmm-tests', timeout: 900 }, { name: 'new-one' }]);
    expect(p.machines).toEqual(['default']);
  });

  it('refuses a suite without kernels or workloads', () => {
    expect(() => planSteps({ ...suite, kernels: [] }, sel())).toThrow(ZdhError);
    expect(() => planSteps({ ...suite, workloads: [] }, sel())).toThrow(/selects no workload/);
  });
});

describe('stepCells', () => {
  it('one cell per machine for a repeat, built from the commit', () => {
    const p = planSteps(suite, sel());
    const cells = stepCells(p, 's02-abc', { kind: 'git', repo: '/clone.git', ref: 'abc' }, 2);
    expect(cells.map((c) => c.id)).toEqual(['s02-abc@default#2', 's02-abc@two-nvdimms#2']);
    expect(cells[0]?.kernel.spec.source).toEqual({ kind: 'git', repo: '/clone.git', ref: 'abc' });
    expect(cells[0]?.kernel.spec.name).toBe('s02-abc');
    expect(cells[0]?.repeat).toBe(2);
  });
});
