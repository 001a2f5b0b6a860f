import { describe, expect, it } from 'vitest';
import { mergeFragments, overlayConfig } from '../../../harness/kconfig/merge.ts';

const frag = (name: string, layer: number, lines: [string, string][]) => ({
  name,
  layer,
  entries: lines.map(([n, value], i) => ({ name: n, value, line: i + 1 })),
});

describe('mergeFragments', () => {
  it('unions fragments of one layer in first-seen order', () => {
    const r = mergeFragments([
      frag('a.config', 0, [
        ['A', 'y'],
        ['B', 'm'],
      ]),
      frag('b.config', 0, [
        ['C', 'y'],
        ['A', 'y'],
      ]),
    ]);
    expect(r.conflicts).toEqual([]);
    expect(r.requested.map((x) => `${x.name}=${x.value}`)).toEqual(['A=y', 'B=m', 'C=y']);
  });

  it('reports a conflict when two fragments of one layer disagree, naming both places', () => {
    const r = mergeFragments([
      frag('a.config', 0, [['DEBUG_VM', 'y']]),
      frag('b.config', 0, [
        ['X', 'y'],
        ['DEBUG_VM', 'n'],
      ]),
    ]);
    expect(r.conflicts).toEqual([
      {
        name: 'DEBUG_VM',
        origins: [
          { fragment: 'a.config', line: 1, value: 'y' },
          { fragment: 'b.config', line: 2, value: 'n' },
        ],
      },
    ]);
    expect(r.requested.map((x) => x.name)).toEqual(['X']);
  });

  it('lets a higher layer override a lower one and records the override', () => {
    const r = mergeFragments([
      frag('configs/kconfig/debug.config', 0, [['DEBUG_VM', 'y']]),
      frag('no-debug.config', 2, [['DEBUG_VM', 'n']]),
    ]);
    expect(r.conflicts).toEqual([]);
    expect(r.requested).toEqual([
      { name: 'DEBUG_VM', value: 'n', from: { fragment: 'no-debug.config', line: 1, value: 'n' } },
    ]);
    expect(r.overrides[0]!.overridden).toEqual([
      { fragment: 'configs/kconfig/debug.config', line: 1, value: 'y' },
    ]);
  });
});

describe('overlayConfig', () => {
  it('moves requested values after the base so a requested choice member is read last', () => {
    const base = [
      { name: 'UNWINDER_ORC', value: 'y' },
      { name: 'UNWINDER_FRAME_POINTER', value: 'n' },
      { name: 'X', value: 'y' },
    ];
    const out = overlayConfig(base, [
      { name: 'UNWINDER_FRAME_POINTER', value: 'y' },
      { name: 'NEW', value: 'm' },
    ]);
    expect(out).toEqual([
      { name: 'UNWINDER_ORC', value: 'y' },
      { name: 'X', value: 'y' },
      { name: 'UNWINDER_FRAME_POINTER', value: 'y' },
      { name: 'NEW', value: 'm' },
    ]);
  });
});
