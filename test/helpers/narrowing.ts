import type { SuiteNarrowing } from '../../harness/suite/narrow.ts';

/** No narrowing: the suite as it is. */
export const NO_NARROWING: SuiteNarrowing = {
  source: null,
  base: null,
  patches: [],
  config: [],
  machines: null,
  workloads: null,
  repeat: null,
};
