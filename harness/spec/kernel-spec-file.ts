import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defaultKernelSpec, type KernelSpec } from '../build/kernel-spec.ts';
import { LAYER } from '../kconfig/fragments.ts';
import { configsDir } from '../util/paths.ts';
import { loadYamlFile } from './load-yaml.ts';

/** The YAML form of a kernel spec (configs/schema/kernel.schema.json). */
export interface KernelSpecYaml {
  name?: string;
  tarball?: string;
  tree?: string;
  git?: string;
  ref?: string;
  patches?: string[];
  base?: string;
  config?: string[];
  defaultFragments?: boolean;
}

export const kernelSchema: object = JSON.parse(
  readFileSync(resolve(configsDir, 'schema', 'kernel.schema.json'), 'utf8'),
) as object;

/** Turns the YAML form into a KernelSpec; relative paths are relative to `baseDir` (the YAML file's folder). */
export function kernelSpecFromYaml(
  y: KernelSpecYaml,
  baseDir: string,
  layer: number = LAYER.suite,
): KernelSpec {
  const spec = defaultKernelSpec();
  const abs = (p: string): string => resolve(baseDir, p);
  if (y.name !== undefined) spec.name = y.name;
  if (y.tarball) spec.source = { kind: 'tarball', path: abs(y.tarball) };
  if (y.tree) spec.source = { kind: 'tree', path: abs(y.tree) };
  if (y.git) spec.source = { kind: 'git', repo: abs(y.git), ref: y.ref ?? 'HEAD' };
  spec.patches = (y.patches ?? []).map(abs);
  if (y.base) spec.base = /^[a-z0-9_]+config$/.test(y.base) ? y.base : abs(y.base);
  spec.fragments = (y.config ?? []).map((ref) => ({ ref: /[/.]/.test(ref) ? abs(ref) : ref, layer }));
  spec.defaultFragments = y.defaultFragments ?? true;
  return spec;
}

export function loadKernelSpecFile(file: string): KernelSpec {
  const y = loadYamlFile<KernelSpecYaml>(file, kernelSchema);
  return kernelSpecFromYaml(y, dirname(resolve(file)));
}
