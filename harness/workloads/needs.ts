/**
 * What a workload needs from the machine and the kernel, and whether a run has it. Pure.
 * A workload whose needs are not met is not run, and says why (never a silent pass).
 */
import type { MachineProfile } from '../machine/profile-rules.ts';
import type { MachineFeature, WorkloadDecl } from './types.ts';

export interface MachineFacts {
  features: ReadonlySet<MachineFeature>;
  /** Usable bytes of the first NVDIMM (0 without one). */
  nvdimmBytes: number;
}

export function machineFacts(
  profile: Pick<MachineProfile, 'nvdimms' | 'spm' | 'guest' | 'legacyPmem'>,
): MachineFacts {
  const features = new Set<MachineFeature>();
  if (profile.nvdimms.length > 0) features.add('nvdimm');
  if (profile.spm !== undefined) features.add('device-coherent');
  if (profile.guest.hugepages > 0) features.add('hugepages');
  if (profile.legacyPmem.length > 0) features.add('legacy-pmem');
  return { features, nvdimmBytes: profile.nvdimms[0]?.size ?? 0 };
}

/** CONFIG_X=y|m options of a .config, without the CONFIG_ prefix. */
export function enabledOptions(dotconfig: string): Set<string> {
  const out = new Set<string>();
  for (const m of dotconfig.matchAll(/^CONFIG_([A-Z0-9_]+)=(y|m)\s*$/gm)) out.add(m[1]!);
  return out;
}

const FEATURE_HINT: Record<MachineFeature, string> = {
  nvdimm: 'a machine profile with an NVDIMM (nvdimms:)',
  'device-coherent': 'a machine profile with an SPM range (spm:) so test_hmm creates dmirror2/3',
  hugepages: 'guest.hugepages above 0 in the machine profile',
  'legacy-pmem': 'a machine profile with legacyPmem:',
};

/** Reasons the workload cannot run here; empty when it can. */
export function unmetNeeds(
  decl: Pick<WorkloadDecl, 'needs'>,
  machine: MachineFacts,
  options: ReadonlySet<string>,
): string[] {
  const reasons: string[] = [];
  for (const f of decl.needs?.machine ?? []) {
    if (!machine.features.has(f)) reasons.push(`needs ${f}: ${FEATURE_HINT[f]}`);
  }
  const bytes = decl.needs?.nvdimmBytes;
  if (bytes !== undefined && machine.nvdimmBytes < bytes) {
    reasons.push(
      `needs an NVDIMM of at least ${bytes} bytes (the machine's first has ${machine.nvdimmBytes})`,
    );
  }
  for (const o of decl.needs?.kconfig ?? []) {
    if (!options.has(o)) reasons.push(`needs CONFIG_${o}=y or m in the kernel's .config`);
  }
  return reasons;
}
