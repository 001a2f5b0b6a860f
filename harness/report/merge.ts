import { isAbsolute, relative, resolve } from 'node:path';
import { usageError } from '../errors.ts';
import { type CellResult, type RunSummary, SUMMARY_VERSION } from '../model/result.ts';
import { finalise } from '../model/status.ts';
import { sha256 } from '../util/hash.ts';

/**
 * Merging runs (shards of one suite, parts of a matrix run on different hosts) into one
 * RunSummary (docs/reports.md, "Merging"):
 *
 * - cells are concatenated in the order the runs are given;
 * - a cell whose id and content equal a cell already taken from the same run id (the same
 *   run given twice) is dropped;
 * - any other cell whose id is taken is kept under a new id `<id>~<run id>` (then `~2`, …),
 *   so nothing is lost and every report can tell the two apart;
 * - artifact paths are rebased onto the merged run's folder (or made absolute without one);
 * - cell statuses, totals and the run status are recomputed by model/status.ts finalise();
 *   the merged run is interrupted when any part was;
 * - run.mergedFrom lists the ids of the runs merged (the leaves, for a merge of merges).
 */

export interface MergeOptions {
  /** The merged run's folder, absolute. Artifact paths become relative to it; without it, absolute. */
  dir?: string;
  /** The merged run's id (default: `merged-` and a hash of the part ids). */
  id?: string;
  /** argv after `zdh` for the merged run (default: none). */
  command?: string[];
  /** The zdh that merges (default: the first part's). */
  toolVersion?: string;
}

export interface MergeResult {
  summary: RunSummary;
  /** One line per dropped duplicate or renamed cell. */
  notes: string[];
}

export function mergeRuns(list: readonly RunSummary[], opts: MergeOptions = {}): MergeResult {
  const first = list[0];
  if (first === undefined) throw usageError('nothing to merge: give at least one run');
  if (opts.dir !== undefined && !isAbsolute(opts.dir)) {
    throw usageError(`the merged run folder must be an absolute path, not ${opts.dir}`);
  }
  const notes: string[] = [];
  const cells: CellResult[] = [];
  /** Cell id → the cells kept under it, with the run they came from (as given, before rebasing). */
  const taken = new Map<string, { runId: string; json: string }[]>();
  const ids = new Set<string>();
  for (const part of list) {
    for (const cell of part.cells) {
      const json = JSON.stringify(cell);
      const before = taken.get(cell.id) ?? [];
      if (before.some((b) => b.runId === part.run.id && b.json === json)) {
        notes.push(`cell ${cell.id} of run ${part.run.id} appears twice: kept once`);
        continue;
      }
      let id = cell.id;
      if (ids.has(id)) {
        id = `${cell.id}~${part.run.id}`;
        for (let n = 2; ids.has(id); n++) id = `${cell.id}~${part.run.id}~${n}`;
        notes.push(`cell ${cell.id} of run ${part.run.id} differs from one already merged: kept as ${id}`);
      }
      before.push({ runId: part.run.id, json });
      taken.set(cell.id, before);
      ids.add(id);
      cells.push({ ...rebaseCell(cell, part.run.dir, opts.dir), id });
    }
  }

  const starts = list.map((s) => Date.parse(s.run.startedAt)).filter(Number.isFinite);
  const ends = list.map((s) => Date.parse(s.run.startedAt) + s.run.durationS * 1000).filter(Number.isFinite);
  const start = starts.length > 0 ? Math.min(...starts) : Number.NaN;
  const finished = list.every((s) => s.run.finishedAt !== null)
    ? list.map((s) => s.run.finishedAt as string).reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a))
    : null;
  const mergedFrom = [
    ...new Set(list.flatMap((s) => (s.run.mergedFrom.length > 0 ? s.run.mergedFrom : [s.run.id]))),
  ];
  const merged: RunSummary = {
    schema: 'zdh-run-summary',
    version: SUMMARY_VERSION,
    tool: { name: 'zdh', version: opts.toolVersion ?? first.tool.version },
    run: {
      id: opts.id ?? `merged-${sha256(...mergedFrom).slice(0, 12)}`,
      suite: [...new Set(list.map((s) => s.run.suite))].join('+'),
      startedAt: Number.isFinite(start) ? new Date(start).toISOString() : first.run.startedAt,
      finishedAt: finished,
      durationS: Number.isFinite(start) && ends.length > 0 ? Math.round(Math.max(...ends) - start) / 1000 : 0,
      status: 'passed',
      command: opts.command ?? [],
      dir: opts.dir ?? '',
      shard: null,
      mergedFrom,
    },
    cells,
    totals: first.totals,
  };
  return {
    summary: finalise(
      merged,
      list.some((s) => s.run.status === 'interrupted'),
    ),
    notes,
  };
}

/** A cell with its artifact paths made relative to `to` (or absolute), from the folder `from`. */
function rebaseCell(cell: CellResult, from: string, to: string | undefined): CellResult {
  if (!isAbsolute(from)) return cell;
  const move = (p: string | null): string | null => {
    if (p === null) return null;
    const abs = resolve(from, p);
    return to === undefined ? abs : relative(to, abs) || '.';
  };
  return {
    ...cell,
    artifacts: {
      dir: move(cell.artifacts.dir) ?? '.',
      console: move(cell.artifacts.console),
      buildLog: move(cell.artifacts.buildLog),
      manifest: move(cell.artifacts.manifest),
    },
    workloads: cell.workloads.map((w) => ({ ...w, output: move(w.output) })),
  };
}
