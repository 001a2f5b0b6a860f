/**
 * A finished kernel build as stored in the cache (builds/<key>/build.json) and as
 * printed by `zdh build --json`. Later stages (image, machine, workloads) take this.
 */
export interface BuildRecord {
  /** The build's content key: source identity, patches, final .config, toolchain. */
  cacheKey: string;
  /** True when this call found the build in the cache. */
  cached: boolean;
  /**
   * The build's folder in the cache; every path below is inside it. Reading a record takes
   * these from the folder it was read from (store.ts readBuild), not from build.json.
   */
  dir: string;
  bzImage: string;
  /** Kept for symbolising stack traces. */
  vmlinux: string;
  /** The final .config. */
  config: string;
  /** modules_install staging folder: <modulesDir>/lib/modules/<kernelRelease>/... */
  modulesDir: string;
  kernelRelease: string;
  buildLog: string;
  /** Wall time of the call that produced this record (a cache hit reports its own, short, time). */
  seconds: number;
  /**
   * Files copied from the kernel tree under test that guest programs are built from:
   * tools/testing/selftests/{kselftest*.h,vm,mm}, lib/test_hmm_uapi.h, mm/gup_test.h.
   * Use as `-I <ksrc>`.
   */
  ksrc: string;
  /**
   * Requested kconfig options that did not survive olddefconfig but need not: preferences
   * the kernel forces or lacks, options its Kconfig does not define (configs/kconfig/intent.yaml).
   * Absent when every option survived.
   */
  configNotes?: string[];
  /** What was built, for manifests and reports. */
  inputs: BuildInputsSummary;
  /**
   * Size (and for bzImage and config, sha256) of the build's key files, by path relative
   * to `dir`, as written; a hit whose files differ is a miss. Absent in older records.
   */
  files?: Record<string, FileFacts>;
}

export interface FileFacts {
  size: number;
  sha256?: string;
}

export interface BuildInputsSummary {
  source: { kind: 'tarball' | 'tree' | 'git'; location: string; id: string; ref?: string; commit?: string };
  patches: { name: string; sha256: string }[];
  base: string;
  fragments: { name: string; sha256: string }[];
  configSha256: string;
  toolchain: string;
  createdAt: string;
  /** For git sources: the commit built, after patches were applied with git am. */
  head?: string;
}
