import type { SourceSpec } from '../source/types.ts';
import { DEBIAN_SOURCE_TARBALL } from '../util/paths.ts';

/**
 * What kernel to build. `zdh build` flags, a YAML kernel spec and suites all produce this.
 */
export interface KernelSpec {
  /** A label for reports; defaults to a description of the source. */
  name?: string;
  source: SourceSpec;
  /** --patches paths: files, folders or quilt series files, applied in order. */
  patches: string[];
  /** tinyconfig, allnoconfig, defconfig, or a path to a .config. */
  base: string;
  /** Fragment references (paths or names) with their layer (see kconfig/fragments.ts LAYER). */
  fragments: { ref: string; layer: number }[];
  /** Include configs/kconfig/*.config (layer 0). */
  defaultFragments: boolean;
}

export function defaultKernelSpec(): KernelSpec {
  return {
    source: { kind: 'tarball', path: DEBIAN_SOURCE_TARBALL },
    patches: [],
    base: 'tinyconfig',
    fragments: [],
    defaultFragments: true,
  };
}
