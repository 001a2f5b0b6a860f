import { sha256 } from '../util/hash.ts';

/**
 * Cache keys. A *request* key is what a call asks for (source, patches, base config,
 * fragments, toolchain) and is known without touching the tree, so a hit returns at once.
 * A *build* key is what was built (source, patches, the final .config, toolchain): two
 * requests that end in the same .config share one build.
 * Bump RECIPE when the build steps change what ends up in a build folder.
 */
export const RECIPE = 'zdh-build-v1';

/**
 * What a patch contributes to a key: its text, and its strip level (`-pN`) when that is not
 * the usual 1, since the same text applied at another level changes other files (or none).
 * Keys of -p1 patches are what they were before the level counted.
 */
export function patchIdentity(p: { sha256: string; strip: number }): string {
  return p.strip === 1 ? p.sha256 : `${p.sha256}:p${p.strip}`;
}

export interface RequestKeyInputs {
  sourceId: string;
  patchShas: readonly string[];
  base: string;
  fragments: readonly { layer: number; sha256: string }[];
  toolchain: string;
}

export function requestKey(i: RequestKeyInputs): string {
  return sha256(
    RECIPE,
    'request',
    i.sourceId,
    i.patchShas.join(','),
    i.base,
    i.fragments.map((f) => `${f.layer}:${f.sha256}`).join(','),
    i.toolchain,
  );
}

export interface BuildKeyInputs {
  sourceId: string;
  patchShas: readonly string[];
  finalConfig: string;
  toolchain: string;
}

export function buildKey(i: BuildKeyInputs): string {
  return sha256(
    RECIPE,
    'build',
    i.sourceId,
    i.patchShas.join(','),
    normaliseConfig(i.finalConfig),
    i.toolchain,
  );
}

/**
 * Slot key: the O= folder for one source family and one configuration: the base and the
 * fragments' identities (layer and name, not content: kbuild rebuilds incrementally when
 * a fragment's content changes).
 */
export function slotKey(
  family: string,
  base: string,
  fragments: readonly { layer: number; name: string }[],
): string {
  return sha256(RECIPE, 'slot', family, base, fragments.map((f) => `${f.layer}:${f.name}`).join(','));
}

/** Drops the comment header (which names the kernel version and date) so equal configs hash equal. */
export function normaliseConfig(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.startsWith('CONFIG_') || /^# CONFIG_\w+ is not set$/.test(l))
    .join('\n');
}
