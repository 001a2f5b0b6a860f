import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { configError } from '../errors.ts';
import { sha256 } from '../util/hash.ts';
import { kconfigDir, projectRoot } from '../util/paths.ts';
import { parseConfigText } from './dotconfig.ts';
import type { Fragment } from './merge.ts';

/**
 * Finding and reading kconfig fragments. The project's defaults are the *.config files
 * directly in configs/kconfig/ (layer 0); optional extras live in configs/kconfig/extra/
 * and are named without path or suffix: `--config kasan`.
 */
export const LAYER = { defaults: 0, suite: 1, commandLine: 2 } as const;

export interface LoadedFragment extends Fragment {
  path: string;
  sha256: string;
}

export function defaultFragmentPaths(): string[] {
  return readdirSync(kconfigDir)
    .filter((n) => n.endsWith('.config'))
    .sort()
    .map((n) => join(kconfigDir, n));
}

export function extraFragmentNames(): string[] {
  const dir = join(kconfigDir, 'extra');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.config'))
        .map((n) => n.replace(/\.config$/, ''))
        .sort()
    : [];
}

/** A fragment reference: a path, or the name of one in configs/kconfig/ or configs/kconfig/extra/. */
export function resolveFragmentRef(ref: string, relativeTo = process.cwd()): string {
  const asPath = resolve(relativeTo, ref);
  if (existsSync(asPath)) return asPath;
  for (const candidate of [join(kconfigDir, 'extra', `${ref}.config`), join(kconfigDir, `${ref}.config`)]) {
    if (existsSync(candidate)) return candidate;
  }
  const names = [...extraFragmentNames(), ...defaultFragmentPaths().map((p) => basename(p, '.config'))];
  throw configError(`kconfig fragment ${ref} not found`, {
    hint: `pass a file path, or one of: ${names.join(', ')}`,
  });
}

export function loadFragment(path: string, layer: number): LoadedFragment {
  const text = readFileSync(path, 'utf8');
  const name = path.startsWith(projectRoot) ? relative(projectRoot, path) : path;
  const { entries, problems } = parseConfigText(text);
  if (problems.length > 0) {
    throw configError(`kconfig fragment ${name} has ${problems.length} bad line(s)`, {
      details: problems.map((p) => `${name}:${p.line}: ${p.message}: ${p.text}`),
      hint: 'fix the lines above; a fragment holds only CONFIG_X=value and "# CONFIG_X is not set" lines',
    });
  }
  return { name, path, layer, entries, sha256: sha256(text) };
}
