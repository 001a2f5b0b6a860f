import type { RunSummary } from '../../harness/model/result.ts';
import { type MergeOptions, mergeRuns } from '../../harness/report/merge.ts';

/** The merged summary alone (what the merged summary.json holds). */
export const mergeSummaries = (list: readonly RunSummary[], opts?: MergeOptions): RunSummary =>
  mergeRuns(list, opts).summary;
