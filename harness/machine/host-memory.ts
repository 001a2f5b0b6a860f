/**
 * What zdh remembers about this host between runs: for now, whether KVM hangs guests
 * before the kernel banner. One small JSON file per host name in the cache
 * (<cache>/hosts/<hostname>.json), so a cache shared between machines keeps them apart.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { safeFileName } from '../util/file-name.ts';
import { cacheRoot } from '../util/paths.ts';
import type { AccelFacts } from './accel.ts';

export interface HostMemory {
  kvm?: { broken: boolean; detail: string; at: string; qemu?: string };
}

export function hostMemoryFile(env: NodeJS.ProcessEnv = process.env): string {
  const host = safeFileName(hostname()) || 'unknown-host';
  return join(cacheRoot(env), 'hosts', `${host}.json`);
}

export function readHostMemory(file: string = hostMemoryFile()): HostMemory {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HostMemory;
  } catch {
    return {};
  }
}

export async function rememberKvm(
  broken: boolean,
  detail: string,
  file: string = hostMemoryFile(),
): Promise<void> {
  const mem = readHostMemory(file);
  mem.kvm = { broken, detail, at: new Date().toISOString() };
  await mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(mem, null, 2)}\n`);
  await rename(tmp, file);
}

export function kvmAccess(dev = '/dev/kvm'): { usable: boolean; problem: string | undefined } {
  if (!existsSync(dev)) return { usable: false, problem: `${dev} does not exist` };
  try {
    accessSync(dev, constants.R_OK | constants.W_OK);
    return { usable: true, problem: undefined };
  } catch {
    return { usable: false, problem: `no read/write access to ${dev} (add yourself to the kvm group)` };
  }
}

export function accelFacts(file: string = hostMemoryFile()): AccelFacts {
  const access = kvmAccess();
  const kvm = readHostMemory(file).kvm;
  return {
    kvmUsable: access.usable,
    kvmProblem: access.problem,
    remembered: kvm ? { broken: kvm.broken, detail: kvm.detail, file } : undefined,
  };
}
