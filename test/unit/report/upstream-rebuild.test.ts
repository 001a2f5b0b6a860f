/**
 * `zdh report --upstream --debug-info`'s rebuild spec (report/upstream/rebuild.ts), from the
 * cell.json of real run folders (test/fixtures/upstream/): the kernel that ran, plus the
 * debug-info fragment, and nothing else changed.
 */
import { describe, expect, it } from 'vitest';
import { rebuildSpec } from '../../../harness/report/upstream/rebuild.ts';
import { findBugs } from '../../../harness/report/upstream/select.ts';
import type { CellFolder } from '../../../harness/report/upstream/types.ts';
import { loadUpstreamRun, type UpstreamFixture } from './upstream-helpers.ts';

const shown = (name: UpstreamFixture): CellFolder => {
  const bug = findBugs(loadUpstreamRun(name))[0];
  if (bug === undefined) throw new Error(`${name} has no bug`);
  return bug.shown;
};
const specOf = (cell: CellFolder) => rebuildSpec(cell.saved?.kernel ?? null, cell.cell.kernel);

describe('the rebuild with debug info', () => {
  it('keeps the source, patches, base and fragments and adds debug-info on the command line', () => {
    const cell = shown('kasan-uaf');
    expect(specOf(cell)).toEqual({
      name: 'debian-6.1+debug-info',
      source: { kind: 'tarball', path: '/usr/src/linux-source-6.1.tar.xz' },
      patches: ['/work/main/test/fixtures/kernel-patches/test-hmm-chunk-use-after-free.patch'],
      base: 'tinyconfig',
      fragments: [
        { ref: 'kasan', layer: 2 },
        { ref: 'debug-info', layer: 2 },
      ],
      defaultFragments: true,
    });
  });

  it('builds the commit a git source was at, not where its ref points now', () => {
    const cell = shown('bisect');
    const branch = {
      ...cell,
      saved: {
        ...cell.saved!,
        kernel: { ...cell.saved!.kernel!, source: { kind: 'git' as const, repo: '/r', ref: 'main' } },
      },
    };
    const spec = specOf(branch);
    expect('why' in spec ? spec.why : spec.source).toEqual({
      kind: 'git',
      repo: '/r',
      ref: cell.cell.kernel.source.commit,
    });
    expect(cell.cell.kernel.source.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('adds nothing when the cell already had the debug-info fragment; says why without recorded inputs', () => {
    const cell = shown('broken-rmap');
    const k = cell.saved!.kernel!;
    const already = { ...k, fragmentSpecs: [{ ref: 'configs/kconfig/extra/debug-info.config', layer: 1 }] };
    const spec = rebuildSpec(already, cell.cell.kernel);
    expect('why' in spec ? spec.why : spec.fragments).toEqual(already.fragmentSpecs);
    expect(rebuildSpec(null, cell.cell.kernel)).toEqual({
      why: "the run's cell.json does not record the kernel's inputs",
    });
    expect(rebuildSpec({ ...k, source: null }, cell.cell.kernel)).toHaveProperty('why');
  });
});
