/**
 * The edge of the workload stage: reads the declarations, builds the programs the
 * selected workloads need against the build under test, and plans the steps.
 *
 *   const plan = await prepareWorkloads([{ name: 'hmm-tests' }, { name: 'hmm-stress', params: { duration: 30 } }],
 *                                       build, profile);
 *   runMachine({ build, profile, steps: plan.steps, image: { files: plan.files }, ... })
 */
import { readFileSync } from 'node:fs';
import type { BuildRecord } from '../build/types.ts';
import type { MachineProfile } from '../machine/profile-rules.ts';
import { loadWorkloads, WORKLOAD_DIRS } from './load.ts';
import { machineFacts } from './needs.ts';
import { partitionByNeeds, planWorkloads, type WorkloadPlan, type WorkloadRequest } from './plan.ts';
import { type BuildProgramsOptions, buildPrograms, helperScripts } from './programs.ts';

export interface PrepareOptions extends BuildProgramsOptions {
  /** Folders of declarations (default: configs/workloads and kselftests). */
  dirs?: readonly string[];
}

export async function prepareWorkloads(
  requests: readonly WorkloadRequest[],
  build: Pick<BuildRecord, 'ksrc' | 'config'>,
  profile: MachineProfile,
  opts: PrepareOptions = {},
): Promise<WorkloadPlan> {
  const decls = loadWorkloads(opts.dirs ?? WORKLOAD_DIRS);
  const kconfig = readFileSync(build.config, 'utf8');
  const machine = machineFacts(profile);
  const wanted = new Set(requests.map((r) => r.name));
  const { run } = partitionByNeeds(
    decls.filter((d) => wanted.has(d.name)),
    machine,
    kconfig,
  );
  const programs = await buildPrograms(
    run.flatMap((d) => d.programs ?? []),
    build.ksrc,
    opts,
  );
  return planWorkloads(decls, requests, { machine, kconfig, programs, helpers: helperScripts() });
}
