/** Small formatting helpers of the upstream reports. Pure. */

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 2147483648 → `2 GiB`, 2097152 → `2 MiB`, 1536 MiB → `1.5 GiB`. */
export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const text = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${text} ${UNITS[u]}`;
}

export const hex = (n: number): string => `0x${n.toString(16)}`;

/** The first 12 hex digits of a hash, as git and zdh's messages shorten them. */
export const short = (hash: string): string => hash.slice(0, 12);

/** `1 report`, `2 reports`. */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** `a`, `a and b`, `a, b and c`. */
export function andList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** A kconfig fragment as a name (`debug-info`), from a name or a path to its .config. */
export const fragmentLabel = (ref: string): string => ref.replace(/^.*\//, '').replace(/\.config$/, '');
