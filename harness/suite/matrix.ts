import type { KernelSpec } from '../build/kernel-spec.ts';
import { usageError } from '../errors.ts';
import type { Pair, Suite, WorkloadRef } from './suite.ts';

/**
 * Expanding a suite into matrix cells, and slicing them into shards. Pure and
 * deterministic: the same suite gives the same cells in the same order on every machine,
 * so `--shard I/N` on N CI jobs covers every cell exactly once.
 */
export interface Cell {
  id: string;
  kernel: { name: string; spec: KernelSpec };
  machine: string;
  repeat: number;
  workloads: WorkloadRef[];
}

const matches = (p: Pair, kernel: string, machine: string): boolean =>
  (p.kernel === undefined || p.kernel === kernel) && (p.machine === undefined || p.machine === machine);

export function expandMatrix(suite: Suite): Cell[] {
  const cells: Cell[] = [];
  for (const kernel of suite.kernels) {
    for (const machine of suite.machines) {
      if (suite.matrix.include && !suite.matrix.include.some((p) => matches(p, kernel.name, machine)))
        continue;
      if (suite.matrix.exclude.some((p) => matches(p, kernel.name, machine))) continue;
      for (let repeat = 1; repeat <= suite.repeats; repeat++) {
        cells.push({
          id: `${kernel.name}@${machine}#${repeat}`,
          kernel,
          machine,
          repeat,
          workloads: suite.workloads,
        });
      }
    }
  }
  return cells;
}

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw usageError(
      `--shard ${text} is not I/N with 1 <= I <= N`,
      'for example --shard 2/4 runs the second of four slices',
    );
  }
  return { index, count };
}

/**
 * Cells of shard I of N: the I-th of N contiguous runs of the cells, which are ordered by
 * kernel, machine and repeat. A kernel's cells stay together, so a shard builds as few
 * kernels as it can: on a CI runner with a cold cache a build (10-20 min on 2 cores) costs
 * more than a cell. Shard sizes differ by at most one.
 */
export function shardCells(cells: readonly Cell[], shard: Shard): Cell[] {
  const n = cells.length;
  return cells.slice(
    Math.floor(((shard.index - 1) * n) / shard.count),
    Math.floor((shard.index * n) / shard.count),
  );
}
