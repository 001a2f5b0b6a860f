/**
 * Workload declarations as written in configs/workloads/*.yaml and kselftests/*.yaml
 * (schema: configs/schema/workload.schema.json), and what the planner makes of them.
 */

export type MachineFeature = 'nvdimm' | 'device-coherent' | 'hugepages' | 'legacy-pmem';

export interface ParamDecl {
  description?: string;
  default: number | string;
  minimum?: number;
  maximum?: number;
  /** For string parameters; default: a safe word (no shell metacharacters). */
  pattern?: string;
}

export interface ProgramDecl {
  name: string;
  /** 'probe': guests/probes/<source>; 'kselftest': tools/testing/selftests/<dir>/<source> of the tree under test. */
  from: 'probe' | 'kselftest';
  /** Default: <name>.c */
  source?: string;
  /** kselftest: folders under tools/testing/selftests to look in, in order (e.g. [vm, mm]). */
  dirs?: string[];
  libs?: string[];
  /** How the expected case list is found (default: 'list' for probes, 'harness' for kselftests). */
  cases?: 'list' | 'harness' | 'none';
}

export interface CheckDecl {
  name: string;
  command: string;
  timeoutSec?: number;
  description?: string;
}

export interface WorkloadDecl {
  name: string;
  description: string;
  /** Resolved by the loader: the fields of that workload (of the same file) not given here. */
  extends?: string;
  needs?: { machine?: MachineFeature[]; kconfig?: string[]; nvdimmBytes?: number };
  params?: Record<string, ParamDecl>;
  programs?: ProgramDecl[];
  setup?: string[];
  command: string;
  /** Seconds: a number, or a sum of numbers and {{param}}s ('{{duration}} + 120'). */
  timeoutSec: number | string;
  setupTimeoutSec?: number;
  checks?: CheckDecl[];
  teardown?: string[];
  parser: 'ktap';
}

/** A declaration with where it came from. */
export interface LoadedWorkload extends WorkloadDecl {
  /** The file it was declared in, for messages. */
  file: string;
}

/** A program built for the guest. */
export interface BuiltProgram {
  name: string;
  hostPath: string;
  /** Where the guest finds it. */
  guestPath: string;
  /** The cases it reports, in order, when known. */
  cases: string[] | undefined;
  /** Content key of the build (cache folder name). */
  key: string;
  cached: boolean;
}

export const GUEST_BIN = '/usr/lib/zdh/bin';

/** Seconds a set-up command may take unless the workload says otherwise. */
export const DEFAULT_SETUP_TIMEOUT_S = 120;
/** Seconds a check may take unless it says otherwise. */
export const DEFAULT_CHECK_TIMEOUT_S = 60;
/** Seconds the teardown as a whole may take. */
export const TEARDOWN_TIMEOUT_S = 60;
