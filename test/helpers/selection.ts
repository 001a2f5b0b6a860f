import type { Selection } from '../../harness/bisect/model.ts';

/** A bisect selection as `zdh bisect` takes it with no flags (the default suite), changed by `over`. */
export const selection = (over: Partial<Selection> = {}): Selection => ({
  suite: 'default',
  workloads: null,
  machines: null,
  repeat: 1,
  patches: [],
  config: [],
  base: null,
  defaultFragments: true,
  accel: 'auto',
  ignore: [],
  match: [],
  ...over,
});
