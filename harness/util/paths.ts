import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: configs/, guests/ and kselftests/ are read from here. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

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
