/**
 * `zdh report --upstream --debug-info`: the kernel a cell ran, built again with debug info,
 * so a report's stack frames can be placed at file:line although the run's own build has
 * none (the default: CONFIG_DEBUG_INFO_NONE=y) or has left the cache. The run need not be
 * repeated, which matters for a bug that shows once in many runs.
 *
 * The rebuild takes the cell's recorded inputs (source, patches, base, fragments with their
 * layers) plus configs/kconfig/extra/debug-info.config. Debug info does not change the code
 * GCC generates: on 6.1.192 every one of vmlinux's 34734 functions and test_hmm.ko's had the
 * same address and size with and without it. The symboliser still checks each frame:
 * it is placed only where its function has the size the kernel printed (`func+off/SIZE`),
 * so code that did differ is left as printed rather than given a wrong line.
 *
 * `rebuildSpec` is pure; `debugInfoRebuild` is the edge that builds (through the cache: the
 * second report of the same cell costs a look-up).
 */
import { existsSync } from 'node:fs';
import { buildKernel } from '../../build/build-kernel.ts';
import type { KernelSpec } from '../../build/kernel-spec.ts';
import { ZdhError } from '../../errors.ts';
import { LAYER } from '../../kconfig/fragments.ts';
import type { KernelInfo } from '../../model/result.ts';
import { expandPatches } from '../../patch/expand.ts';
import { interrupted } from '../../process/interrupt.ts';
import type { Progress } from '../../progress/progress.ts';
import { patchesChanged } from '../../run/repro-cell.ts';
import { fragmentLabel, short } from './format.ts';
import type { BuildSymbols, CellFolder, SavedKernel } from './types.ts';

/** The fragment that adds DWARF line tables (configs/kconfig/extra/debug-info.config). */
export const DEBUG_INFO_FRAGMENT = 'debug-info';

/**
 * The spec that builds a cell's kernel again with debug info, or why there is none. A git
 * source is pinned to the commit the run built, which a branch may have moved from.
 */
export function rebuildSpec(saved: SavedKernel | null, kernel: KernelInfo): KernelSpec | { why: string } {
  if (saved === null || saved.source === null || saved.base === null)
    return { why: "the run's cell.json does not record the kernel's inputs" };
  const source =
    saved.source.kind === 'git' && kernel.source.commit !== undefined
      ? { ...saved.source, ref: kernel.source.commit }
      : saved.source;
  const fragments = saved.fragmentSpecs.some((f) => fragmentLabel(f.ref) === DEBUG_INFO_FRAGMENT)
    ? saved.fragmentSpecs
    : [...saved.fragmentSpecs, { ref: DEBUG_INFO_FRAGMENT, layer: LAYER.commandLine }];
  return {
    name: `${kernel.name}+debug-info`,
    source,
    patches: saved.patches,
    base: saved.base,
    fragments,
    defaultFragments: saved.defaultFragments,
  };
}

export interface RebuildOptions {
  cacheDir: string;
  progress: Progress;
}

/** The cell's kernel built again with debug info (cached), or why it could not be. */
export async function debugInfoRebuild(cell: CellFolder, opts: RebuildOptions): Promise<BuildSymbols> {
  const { kernel } = cell.cell;
  const spec = rebuildSpec(cell.saved?.kernel ?? null, kernel);
  if ('why' in spec) return { kind: 'unavailable', reason: `no rebuild with debug info: ${spec.why}` };
  let now: string[];
  try {
    now = expandPatches(spec.patches).map((p) => p.sha256);
  } catch (error) {
    return { kind: 'unavailable', reason: `no rebuild with debug info: ${firstLine(error)}` };
  }
  if (
    patchesChanged(
      kernel.patches.map((p) => p.sha256),
      now,
    )
  )
    return {
      kind: 'unavailable',
      reason:
        'no rebuild with debug info: the patch files changed since the run, so it would not be the kernel that ran',
    };
  try {
    const record = await buildKernel(spec, { progress: opts.progress, cache: opts.cacheDir });
    if (kernel.source.id !== null && record.inputs.source.id !== kernel.source.id)
      return {
        kind: 'unavailable',
        reason:
          `no rebuild with debug info: the source is not the one the run built (${short(kernel.source.id)}, ` +
          `now ${short(record.inputs.source.id)})`,
      };
    return {
      kind: 'found',
      vmlinux: record.vmlinux,
      modulesDir: existsSync(record.modulesDir) ? record.modulesDir : null,
      rebuilt: { cacheKey: record.cacheKey },
    };
  } catch (error) {
    // A failed build is the report's to mention; an interrupt or a bug of zdh's is not.
    if (!(error instanceof ZdhError) || interrupted()) throw error;
    return {
      kind: 'unavailable',
      reason: `rebuilding the kernel with debug info failed: ${firstLine(error)}`,
    };
  }
}

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
