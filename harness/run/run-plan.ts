import { usageError } from '../errors.ts';
import { type Cell, expandMatrix, parseShard, type Shard, shardCells } from '../suite/matrix.ts';
import { narrowSuite, type SuiteNarrowing } from '../suite/narrow.ts';
import type { Suite } from '../suite/suite.ts';

/**
 * What `zdh run` runs: the suite narrowed by the command line, expanded into its matrix,
 * and sliced to --shard. Pure.
 */
export interface RunPlan {
  /** The suite as narrowed. */
  suite: Suite;
  /** Every cell of the narrowed suite's matrix, in matrix order. */
  cells: Cell[];
  /** The cells this run runs: the shard's, or all of them. */
  mine: Cell[];
  shard: Shard | null;
}

/** `shardText` is --shard as given (`I/N`); a malformed one, or a shard without cells, is a usage error. */
export function planRun(suite: Suite, narrowing: SuiteNarrowing, shardText?: string): RunPlan {
  const narrowed = narrowSuite(suite, narrowing);
  const cells = expandMatrix(narrowed);
  const shard = shardText ? parseShard(shardText) : null;
  const mine = shard ? shardCells(cells, shard) : cells;
  if (mine.length === 0)
    throw usageError(`shard ${shardText} of suite ${narrowed.name} has no cells`, 'use fewer shards');
  return { suite: narrowed, cells, mine, shard };
}
