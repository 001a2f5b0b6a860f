import { availableParallelism, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BuildRecord } from '../build/types.ts';
import { writeFileAtomic } from '../util/atomic.ts';

/**
 * manifest.json: what ran, exactly enough to run it again (`zdh repro`). The run-level
 * manifest holds the tool, host and builds; each cell's manifest (written by the machine
 * runner into its folder) holds the exact QEMU and kernel command lines.
 */
export interface RunManifest {
  schema: 'zdh-run-manifest';
  version: 1;
  tool: { name: 'zdh'; version: string; node: string };
  command: string[];
  suite: string;
  host: { hostname: string; kernel: string; cpus: number; memGiB: number };
  qemuVersion: string | null;
  builds: {
    cacheKey: string;
    kernelRelease: string;
    source: BuildRecord['inputs']['source'];
    patches: BuildRecord['inputs']['patches'];
    base: string;
    fragments: BuildRecord['inputs']['fragments'];
    configSha256: string;
    toolchain: string;
    /** Kconfig notes of the build (preferences the kernel forced or lacks); absent when none. */
    configNotes?: string[];
  }[];
  writtenAt: string;
}

export function writeRunManifest(
  runDir: string,
  a: {
    toolVersion: string;
    command: string[];
    suite: string;
    qemuVersion: string | null;
    builds: BuildRecord[];
  },
): RunManifest {
  const manifest: RunManifest = {
    schema: 'zdh-run-manifest',
    version: 1,
    tool: { name: 'zdh', version: a.toolVersion, node: process.version },
    command: a.command,
    suite: a.suite,
    host: {
      hostname: hostname(),
      kernel: release(),
      cpus: availableParallelism(),
      memGiB: Math.round(totalmem() / 2 ** 30),
    },
    qemuVersion: a.qemuVersion,
    builds: a.builds.map((b) => ({
      cacheKey: b.cacheKey,
      kernelRelease: b.kernelRelease,
      source: b.inputs.source,
      patches: b.inputs.patches,
      base: b.inputs.base,
      fragments: b.inputs.fragments,
      configSha256: b.inputs.configSha256,
      toolchain: b.inputs.toolchain,
      ...(b.configNotes?.length ? { configNotes: b.configNotes } : {}),
    })),
    writtenAt: new Date().toISOString(),
  };
  writeFileAtomic(join(runDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
