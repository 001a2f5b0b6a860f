import { createHash } from 'node:crypto';

/** Hashing data in memory; no file is read here (files: util/hash-file.ts). */

/** sha256 hex of strings or buffers, fed in order with a separator so ['ab','c'] != ['a','bc']. */
export function sha256(...parts: ReadonlyArray<string | Uint8Array>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
    h.update('\0');
  }
  return h.digest('hex');
}

/** A short form of a hex key for folder names and messages. */
export const shortKey = (key: string): string => key.slice(0, 16);
