/**
 * Reads the workload declarations: configs/workloads/*.yaml and kselftests/*.yaml.
 * Each file is YAML checked against configs/schema/workload.schema.json (errors name
 * file:line:col), then against the rules a schema cannot say: unique names, declared
 * parameters only, timeouts that evaluate.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from '../errors.ts';
import { parseYamlText } from '../spec/load-yaml.ts';
import { configsDir, projectRoot } from '../util/paths.ts';
import { evalSeconds, placeholders, resolveParams } from './params.ts';
import type { LoadedWorkload, WorkloadDecl } from './types.ts';

export const WORKLOAD_SCHEMA_FILE = join(configsDir, 'schema', 'workload.schema.json');
export const WORKLOAD_DIRS: readonly string[] = [
  join(configsDir, 'workloads'),
  join(projectRoot, 'kselftests'),
];

let schemaCache: object | undefined;
function workloadSchema(): object {
  schemaCache ??= JSON.parse(readFileSync(WORKLOAD_SCHEMA_FILE, 'utf8')) as object;
  return schemaCache;
}

/**
 * Parses one file's text (pure apart from the schema file). `extends: other` takes the
 * other workload's fields (declared earlier in the same file) that this one does not give.
 */
export function parseWorkloadFile(
  text: string,
  file: string,
  schema: object = workloadSchema(),
): LoadedWorkload[] {
  const doc = parseYamlText<{ workloads: Partial<WorkloadDecl>[] }>(text, file, schema);
  const done = new Map<string, WorkloadDecl>();
  const out: LoadedWorkload[] = [];
  for (const raw of doc.workloads) {
    let w = raw as WorkloadDecl;
    if (raw.extends !== undefined) {
      const base = done.get(raw.extends);
      if (!base) {
        throw configError(
          `${file}: workload ${raw.name} extends ${raw.extends}, which is not declared before it in this file`,
        );
      }
      const { extends: _from, ...own } = raw;
      w = { ...base, ...own } as WorkloadDecl;
    }
    done.set(w.name, w);
    out.push({ ...w, file });
  }
  return out;
}

/** Rules beyond the schema, over every declaration at once. */
export function checkWorkloads(all: readonly LoadedWorkload[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const w of all) {
    const first = seen.get(w.name);
    if (first !== undefined) problems.push(`${w.file}: workload ${w.name} is already declared in ${first}`);
    else seen.set(w.name, w.file);

    const declared = new Set(Object.keys(w.params ?? {}));
    for (const p of placeholders(w)) {
      if (p !== 'bin' && !declared.has(p))
        problems.push(`${w.file}: workload ${w.name} uses {{${p}}} but declares no parameter ${p}`);
    }
    if (declared.has('bin'))
      problems.push(`${w.file}: workload ${w.name}: 'bin' is reserved (the folder of the built programs)`);
    const defaults = resolveParams(w);
    problems.push(...defaults.errors.map((e) => `${w.file}: ${e} (its default)`));
    const t = evalSeconds(w.timeoutSec, { ...defaults.values, bin: '' });
    if (t.error) problems.push(`${w.file}: workload ${w.name}: timeoutSec ${t.error}`);

    const programs = new Set<string>();
    for (const p of w.programs ?? []) {
      if (programs.has(p.name))
        problems.push(`${w.file}: workload ${w.name}: program ${p.name} listed twice`);
      programs.add(p.name);
      if (p.from === 'kselftest' && (p.dirs ?? []).length === 0) {
        problems.push(
          `${w.file}: workload ${w.name}: kselftest program ${p.name} needs dirs (e.g. [vm, mm])`,
        );
      }
    }
    const checks = new Set<string>();
    for (const c of w.checks ?? []) {
      if (checks.has(c.name)) problems.push(`${w.file}: workload ${w.name}: check ${c.name} listed twice`);
      checks.add(c.name);
    }
  }
  return problems;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
}

/** Every declaration of the given folders (default: configs/workloads and kselftests). */
export function loadWorkloads(dirs: readonly string[] = WORKLOAD_DIRS): LoadedWorkload[] {
  const all: LoadedWorkload[] = [];
  for (const dir of dirs) {
    for (const file of yamlFiles(dir)) all.push(...parseWorkloadFile(readFileSync(file, 'utf8'), file));
  }
  const problems = checkWorkloads(all);
  if (problems.length > 0) {
    throw configError('workload declarations are inconsistent', {
      details: problems,
      hint: 'fix the declarations named above (docs/workloads.md describes the format)',
    });
  }
  return all;
}
