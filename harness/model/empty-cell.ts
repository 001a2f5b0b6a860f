import type { CellResult, CellStatus, KernelInfo } from './result.ts';

/**
 * A cell before anything ran in it: no exit, error or duration, no workload results, no
 * findings, no artifacts but its folder, and its machine known by name only. The
 * orchestrator's pending cells (run/orchestrate.ts), a cell's starting point
 * (run/execute-cell.ts) and bisect's cells of commits that did not build
 * (bisect/summary.ts) are made from it; callers spread in what they know.
 */
export function emptyCell(c: {
  id: string;
  kernel: KernelInfo;
  machine: string;
  repeat: number;
  status: CellStatus;
  /** The cell's folder, relative to the run folder. */
  dir: string;
}): CellResult {
  return {
    id: c.id,
    kernel: c.kernel,
    machine: { name: c.machine, accel: null, accelReason: null, qemuVersion: null, cmdline: [] },
    repeat: c.repeat,
    status: c.status,
    exit: null,
    error: null,
    durationS: 0,
    workloads: [],
    findings: [],
    artifacts: { dir: c.dir, console: null, buildLog: null, manifest: null },
  };
}

/** A kernel known by what it is made of only: not (yet) built, so no release, key, config or toolchain. */
export function unbuiltKernel(k: Pick<KernelInfo, 'name' | 'source' | 'patches' | 'base'>): KernelInfo {
  return {
    name: k.name,
    release: null,
    cacheKey: null,
    source: k.source,
    patches: k.patches,
    base: k.base,
    fragments: [],
    configSha256: null,
    toolchain: null,
  };
}
