/**
 * Edge: a run folder as the upstream reports read it. summary.json is required (read and
 * validated as `zdh report` reads it); everything else is optional and read when first
 * needed: a cell's cell.json, machine.json, result.json (the steps' marker nonces),
 * config, console.log and step outputs, and bisect.json / bisect.log of a bisect's folder.
 * A file that is missing or unreadable reads as null; the report then says what it lacks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BisectReport } from '../../bisect/model.ts';
import type { CellResult } from '../../model/result.ts';
import { finalise } from '../../model/status.ts';
import { consoleLines } from '../console-excerpt.ts';
import { readRunSummary } from '../summary-file.ts';
import type {
  BisectFacts,
  CellFolder,
  RunFolder,
  SavedCell,
  SavedKernel,
  SavedMachine,
  StepFile,
} from './types.ts';

export function readRunFolder(dir: string): RunFolder {
  const root = resolve(dir);
  const summary = finalise(readRunSummary(root));
  return {
    dir: root,
    summary,
    cells: summary.cells.map((c) => cellFolder(root, c)),
    bisect: readBisect(root),
  };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readJson(path: string): Record<string, unknown> | null {
  const text = readText(path);
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function readBisect(dir: string): BisectFacts | null {
  const record = readJson(join(dir, 'bisect.json'));
  if (record === null || record['schema'] !== 'zdh-bisect') return null;
  return { record: record as unknown as BisectReport, log: readText(join(dir, 'bisect.log')) };
}

function once<T>(read: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = read();
      done = true;
    }
    return value;
  };
}

function cellFolder(runDir: string, cell: CellResult): CellFolder {
  const dir = cell.artifacts.dir === null ? null : resolve(runDir, cell.artifacts.dir);
  const manifest = cell.artifacts.manifest === null ? null : resolve(runDir, cell.artifacts.manifest);
  const cellJson = manifest === null ? null : readJson(manifest);
  // machine.json sits beside cell.json (a bisect's summary points into its steps' folders).
  const home = manifest === null ? dir : dirname(manifest);
  const machineJson = home === null ? null : readJson(join(home, 'machine.json'));
  const configFile = home === null || !existsSync(join(home, 'config')) ? null : join(home, 'config');
  const nonces = once(() => stepNonces(home === null ? null : readJson(join(home, 'result.json'))));
  return {
    cell,
    dir: home,
    saved: savedCell(cellJson),
    machine: savedMachine(machineJson?.['profile'] ?? cellJson?.['profile']),
    configFile,
    config: once(() => (configFile === null ? null : readText(configFile))),
    consoleLines: once(() => {
      const text = cell.artifacts.console === null ? null : readText(resolve(runDir, cell.artifacts.console));
      return text === null ? null : consoleLines(text);
    }),
    stepOutput: (workload: string): StepFile | null => {
      const w = cell.workloads.find((x) => x.name === workload);
      const text = w?.output ? readText(resolve(runDir, w.output)) : null;
      return text === null ? null : { text, nonce: nonces().get(workload) ?? null };
    },
  };
}

function stepNonces(result: Record<string, unknown> | null): Map<string, string> {
  const out = new Map<string, string>();
  const steps = result?.['steps'];
  if (!Array.isArray(steps)) return out;
  for (const s of steps as Record<string, unknown>[]) {
    if (typeof s?.['name'] === 'string' && typeof s['nonce'] === 'string') out.set(s['name'], s['nonce']);
  }
  return out;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.map(obj).filter((x): x is Record<string, unknown> => x !== null) : [];

function savedCell(json: Record<string, unknown> | null): SavedCell | null {
  const cell = obj(json?.['cell']);
  if (cell === null || typeof cell['id'] !== 'string') return null;
  const spec = obj(obj(cell['kernel'])?.['spec']);
  const patches = strings(spec?.['patches']);
  return {
    id: cell['id'],
    workloads: list(cell['workloads'])
      .filter((w) => typeof w['name'] === 'string')
      .map((w) => ({ name: w['name'] as string, params: obj(w['params']) ?? {} })),
    patchPaths: patches,
    kernel: spec === null ? null : savedKernel(spec, patches),
    machine: typeof cell['machine'] === 'string' ? cell['machine'] : null,
    accel: typeof json?.['accel'] === 'string' ? json['accel'] : null,
  };
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];

function savedKernel(spec: Record<string, unknown>, patches: string[]): SavedKernel {
  const s = obj(spec['source']);
  const fragmentSpecs = list(spec['fragments']).flatMap((f) =>
    typeof f['ref'] === 'string'
      ? [{ ref: f['ref'], layer: typeof f['layer'] === 'number' ? f['layer'] : 2 }]
      : [],
  );
  const text = (k: string): string | null => (typeof s?.[k] === 'string' ? (s[k] as string) : null);
  const kind = text('kind');
  const path = text('path');
  const repo = text('repo');
  const ref = text('ref');
  const source: SavedKernel['source'] =
    (kind === 'tarball' || kind === 'tree') && path !== null
      ? { kind, path }
      : kind === 'git' && repo !== null && ref !== null
        ? { kind, repo, ref }
        : null;
  return {
    source,
    patches,
    base: typeof spec['base'] === 'string' ? spec['base'] : null,
    fragments: fragmentSpecs.map((f) => f.ref),
    fragmentSpecs,
    defaultFragments: spec['defaultFragments'] !== false,
  };
}

function savedMachine(profile: unknown): SavedMachine | null {
  const p = obj(profile);
  if (p === null || typeof p['name'] !== 'string') return null;
  const spm = obj(p['spm']);
  const numa = Array.isArray(p['numa']) ? list(p['numa']) : null;
  return {
    name: p['name'],
    cpus: num(p['cpus']),
    memory: num(p['memory']),
    maxmem: num(p['maxmem']),
    slots: num(p['slots']),
    nvdimms: list(p['nvdimms']).map((n) => ({
      id: String(n['id'] ?? '?'),
      size: num(n['size']) ?? 0,
      label: num(n['label']) ?? 0,
      align: num(n['align']) ?? 0,
      node: num(n['node']),
    })),
    legacyPmem: list(p['legacyPmem']).map((l) => ({
      start: num(l['start']) ?? 0,
      size: num(l['size']) ?? 0,
    })),
    spm:
      spm === null
        ? null
        : {
            start: num(spm['start']) ?? 0,
            size: num(spm['size']) ?? 0,
            dev0: num(spm['dev0']) ?? 0,
            dev1: num(spm['dev1']) ?? 0,
          },
    numa:
      numa === null
        ? null
        : numa.map((n) => ({
            id: num(n['id']) ?? 0,
            cpus: num(n['cpus']) ?? 0,
            memory: num(n['memory']) ?? 0,
          })),
  };
}
