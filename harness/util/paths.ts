import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: configs/, guests/ and kselftests/ are read from here, never from the
 * working directory. In a checkout this file is harness/util/paths.ts; in a package made by
 * `npm pack` it is dist/util/paths.js (tsconfig.build.json), at the same depth.
 */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The file of module `stem` next to the module at `from` (an import.meta.url), with the
 * same extension: `.ts` when zdh runs its sources, `.js` when it runs the compiled dist/.
 */
export function siblingModule(stem: string, from: string): string {
  return fileURLToPath(new URL(`./${stem}${extname(new URL(from).pathname)}`, from));
}

export const configsDir = join(projectRoot, 'configs');
export const kconfigDir = join(configsDir, 'kconfig');

/**
 * The harness cache: unpacked sources, build slots, finished builds, images.
 * $ZDH_CACHE_DIR, else $XDG_CACHE_HOME/zdh, else ~/.cache/zdh.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['ZDH_CACHE_DIR']) return resolve(env['ZDH_CACHE_DIR']);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg ? resolve(xdg) : join(homedir(), '.cache'), 'zdh');
}

/** Debian's linux-source-6.1 tarball: the default kernel source. */
export const DEBIAN_SOURCE_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
