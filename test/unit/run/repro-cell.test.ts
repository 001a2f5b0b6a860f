import { describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import type { RunSummary } from '../../../harness/model/result.ts';
import {
  narrowWorkloads,
  patchesChanged,
  reproCell,
  savedCellPath,
} from '../../../harness/run/repro-cell.ts';
import type { Cell } from '../../../harness/suite/matrix.ts';
import { loadFixture } from '../report/helpers.ts';

const withStatuses = (s: RunSummary, statuses: RunSummary['cells'][number]['status'][]): RunSummary => ({
  ...s,
  cells: statuses.map((status, i) => ({ ...s.cells[0]!, id: `k@m#${i + 1}`, status })),
});

describe('reproCell', () => {
  it('takes the named cell', () => {
    expect(reproCell(loadFixture('errored'), '6.1@q35-pmem#1', '/r').id).toBe('6.1@q35-pmem#1');
  });

  it('without a name: the first failed or errored cell, else the first', () => {
    expect(reproCell(loadFixture('errored'), undefined, '/r').id).toBe('next@q35-pmem#1');
    const base = loadFixture('passing');
    expect(reproCell(withStatuses(base, ['passed', 'error', 'failed']), undefined, '/r').id).toBe('k@m#2');
    expect(reproCell(withStatuses(base, ['passed', 'interrupted', 'pending']), undefined, '/r').id).toBe(
      'k@m#1',
    );
  });

  it('an unknown name is a usage error listing the cells; so is a run without cells', () => {
    const err = (fn: () => unknown): ZdhError => {
      try {
        fn();
      } catch (e) {
        if (e instanceof ZdhError) return e;
      }
      throw new Error('no ZdhError');
    };
    const unknown = err(() => reproCell(loadFixture('failing'), 'nope', '/runs/x'));
    expect([unknown.kind, unknown.message, unknown.hint]).toEqual([
      'usage',
      'no cell nope in /runs/x',
      'cells: 6.1@q35-pmem#1, 6.1@q35-pmem#2',
    ]);
    const empty = err(() => reproCell({ ...loadFixture('passing'), cells: [] }, undefined, '/runs/x'));
    expect([empty.kind, empty.message]).toEqual(['usage', 'no cell  in /runs/x']);
  });
});

describe('patchesChanged', () => {
  it('compares the recorded hashes with today’s, in order; no recorded patches never changed', () => {
    expect(patchesChanged([], ['a'])).toBe(false);
    expect(patchesChanged(['a', 'b'], ['a', 'b'])).toBe(false);
    expect(patchesChanged(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(patchesChanged(['a'], ['a', 'b'])).toBe(true);
    expect(patchesChanged(['a'], [])).toBe(true);
  });
});

describe('savedCellPath', () => {
  it('is where the summary says cell.json is, else cells/<cell>/cell.json', () => {
    const cell = loadFixture('failing').cells[0]!;
    const bisected = {
      ...cell,
      artifacts: { ...cell.artifacts, manifest: 'steps/07-9b24b0330d71/cells/s07_default_1/cell.json' },
    };
    expect(savedCellPath(bisected)).toBe('steps/07-9b24b0330d71/cells/s07_default_1/cell.json');
    const none = { ...cell, id: '6.1@q35-pmem#2', artifacts: { ...cell.artifacts, manifest: null } };
    expect(savedCellPath(none)).toBe('cells/6.1_q35-pmem_2/cell.json');
  });
});

describe('narrowWorkloads', () => {
  const cell = {
    id: 'k@m#1',
    kernel: { name: 'k', spec: {} },
    machine: 'm',
    repeat: 1,
    workloads: [{ name: 'hmm-tests' }, { name: 'dax-ext4', params: { duration: 3 } }, { name: 'kmem' }],
  } as unknown as Cell;

  it('keeps the named workloads in the cell’s order, with their parameters; none named keeps all', () => {
    expect(narrowWorkloads(cell, ['kmem', 'dax-ext4']).workloads).toEqual([
      { name: 'dax-ext4', params: { duration: 3 } },
      { name: 'kmem' },
    ]);
    expect(narrowWorkloads(cell, [])).toBe(cell);
  });

  it('a workload the cell did not run is a usage error naming its workloads', () => {
    try {
      narrowWorkloads(cell, ['gup']);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ZdhError);
      expect([(e as ZdhError).kind, (e as ZdhError).message, (e as ZdhError).hint]).toEqual([
        'usage',
        'cell k@m#1 did not run gup',
        'its workloads: hmm-tests, dax-ext4, kmem',
      ]);
    }
  });
});
