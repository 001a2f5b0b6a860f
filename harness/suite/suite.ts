import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { KernelSpec } from '../build/kernel-spec.ts';
import { configError } from '../errors.ts';
import { type KernelSpecYaml, kernelSpecFromYaml } from '../spec/kernel-spec-file.ts';
import { loadYamlFile } from '../spec/load-yaml.ts';
import { configsDir } from '../util/paths.ts';

/** A suite as written in configs/suites/*.yaml (configs/schema/suite.schema.json). */
export interface SuiteYaml {
  name?: string;
  description?: string;
  kernels?: (KernelSpecYaml & { name: string })[];
  machines?: string[];
  workloads: (string | WorkloadRef)[];
  matrix?: { include?: Pair[]; exclude?: Pair[] };
  repeats?: number;
}

export interface Pair {
  kernel?: string;
  machine?: string;
}

export interface WorkloadRef {
  name: string;
  params?: Record<string, string | number | boolean>;
  timeout?: number;
}

/** A loaded suite: kernels resolved to KernelSpecs, workloads normalised. */
export interface Suite {
  name: string;
  description: string;
  file: string | null;
  kernels: { name: string; spec: KernelSpec }[];
  machines: string[];
  workloads: WorkloadRef[];
  matrix: { include: Pair[] | null; exclude: Pair[] };
  repeats: number;
}

export const suitesDir = join(configsDir, 'suites');
export const suiteSchema: object = JSON.parse(
  readFileSync(join(configsDir, 'schema', 'suite.schema.json'), 'utf8'),
) as object;

export function shippedSuites(): string[] {
  return existsSync(suitesDir)
    ? readdirSync(suitesDir)
        .filter((n) => n.endsWith('.yaml'))
        .map((n) => n.replace(/\.yaml$/, ''))
        .sort()
    : [];
}

/** `--suite NAME|FILE`: a path, or the name of a file in configs/suites/. */
export function resolveSuitePath(ref: string): string {
  if (existsSync(ref)) return resolve(ref);
  const shipped = join(suitesDir, `${ref}.yaml`);
  if (existsSync(shipped)) return shipped;
  throw configError(`suite ${ref} not found`, {
    hint: `pass a YAML file, or one of: ${shippedSuites().join(', ')}`,
  });
}

export function loadSuite(ref: string): Suite {
  const file = resolveSuitePath(ref);
  const y = loadYamlFile<SuiteYaml>(file, suiteSchema);
  return suiteFromYaml(y, file);
}

export function suiteFromYaml(y: SuiteYaml, file: string): Suite {
  const baseDir = dirname(file);
  const kernels = (y.kernels ?? [{ name: 'debian-6.1' }]).map((k) => {
    const { name, ...rest } = k;
    return { name, spec: { ...kernelSpecFromYaml(rest, baseDir), name } };
  });
  const names = kernels.map((k) => k.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup)
    throw configError(`${file}: two kernels are named "${dup}"`, { hint: 'give each kernel its own name' });
  const machines = y.machines ?? ['default'];
  const workloads = y.workloads.map((w) => (typeof w === 'string' ? { name: w } : w));
  for (const p of [...(y.matrix?.include ?? []), ...(y.matrix?.exclude ?? [])]) {
    if (p.kernel !== undefined && !names.includes(p.kernel)) {
      throw configError(`${file}: matrix names kernel "${p.kernel}", which the suite does not define`, {
        hint: `use one of: ${names.join(', ')}`,
      });
    }
    if (p.machine !== undefined && !machines.includes(p.machine)) {
      throw configError(`${file}: matrix names machine "${p.machine}", which the suite does not list`, {
        hint: `use one of: ${machines.join(', ')}`,
      });
    }
  }
  return {
    name: y.name ?? basename(file).replace(/\.ya?ml$/, ''),
    description: y.description ?? '',
    file,
    kernels,
    machines,
    workloads,
    matrix: { include: y.matrix?.include ?? null, exclude: y.matrix?.exclude ?? [] },
    repeats: y.repeats ?? 1,
  };
}
