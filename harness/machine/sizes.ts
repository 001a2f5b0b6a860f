/**
 * Byte sizes and addresses as machine profiles write them: integers, hex (0x60000000),
 * or a number with a binary suffix (128K, 2M, 1G, 1T; 'KiB'/'MB' spellings accepted, all
 * powers of 1024, as QEMU reads them).
 */
const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

export const SIZE_PATTERN = '^\\s*(0[xX][0-9a-fA-F]+|[0-9]+)\\s*([KMGTkmgt](i?[Bb])?)?\\s*$';
const SIZE_RE = new RegExp(SIZE_PATTERN);

/** Parses a size; undefined when the text is not one. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = SIZE_RE.exec(value);
  if (!m) return undefined;
  const n = m[1]!.toLowerCase().startsWith('0x') ? Number.parseInt(m[1]!, 16) : Number.parseInt(m[1]!, 10);
  const unit = UNITS[(m[2] ?? '').charAt(0).toUpperCase()]!;
  const v = n * unit;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** The shortest exact spelling: 2G, 512M, 128K, or the byte count. */
export function formatSize(bytes: number): string {
  for (const u of ['T', 'G', 'M', 'K'] as const) {
    const f = UNITS[u]!;
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  }
  return String(bytes);
}

export const formatHex = (n: number): string => `0x${n.toString(16)}`;

export const roundUp = (n: number, align: number): number => Math.ceil(n / align) * align;
export const roundDown = (n: number, align: number): number => Math.floor(n / align) * align;
export const isPowerOfTwo = (n: number): boolean => n > 0 && 2 ** Math.round(Math.log2(n)) === n;
