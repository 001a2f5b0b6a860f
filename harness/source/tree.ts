import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from '../errors.ts';
import { sha256 } from '../util/hash.ts';
import type { ResolvedSource } from './types.ts';

/**
 * A plain kernel tree the user points at. zdh never writes to it. Its identity is a
 * fingerprint of every file's path, size and mtime (a full content hash of 1.3 GB would
 * cost seconds on every call); editing a file changes it.
 */
export function resolveTree(path: string): ResolvedSource {
  if (!existsSync(join(path, 'Makefile')) || !existsSync(join(path, 'Kconfig'))) {
    throw configError(`${path} is not a kernel source tree (no Makefile and Kconfig at its top)`);
  }
  if (existsSync(join(path, '.config')) || existsSync(join(path, 'include', 'config'))) {
    throw configError(`kernel tree ${path} has an in-tree build (.config or include/config)`, {
      hint: `zdh builds out of tree; run \`make -C ${path} mrproper\` or pass a clean tree`,
    });
  }
  const real = realpathSync(path);
  const id = fingerprint(real);
  return { spec: { kind: 'tree', path: real }, id, pristine: real, family: `tree:${real}` };
}

export function fingerprint(root: string): string {
  const parts: string[] = [];
  const walk = (dir: string, rel: string): void => {
    const names = readdirSync(dir).sort();
    for (const name of names) {
      if (rel === '' && name === '.git') continue;
      const abs = join(dir, name);
      const st = lstatSync(abs);
      const r = rel ? `${rel}/${name}` : name;
      if (st.isDirectory()) walk(abs, r);
      else parts.push(`${r}:${st.size}:${Math.trunc(st.mtimeMs)}`);
    }
  };
  walk(root, '');
  return sha256('tree-fingerprint-v1', parts.join('\n'));
}
