import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256, shortKey } from '../../../harness/util/hash.ts';
import { sha256File } from '../../../harness/util/hash-file.ts';

describe('sha256 (in memory)', () => {
  it('separates its parts, so moving a boundary changes the key', () => {
    expect(sha256('ab', 'c')).not.toBe(sha256('a', 'bc'));
    expect(sha256('abc')).not.toBe(sha256('ab', 'c'));
  });

  it('gives strings and their UTF-8 bytes the same key, and is stable', () => {
    expect(sha256('zoné', 'dévice')).toBe(sha256(Buffer.from('zoné'), new TextEncoder().encode('dévice')));
    expect(sha256('x')).toBe(sha256('x'));
    expect(sha256()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shortKey keeps the first 16 hex digits', () => {
    const k = sha256('k');
    expect(shortKey(k)).toBe(k.slice(0, 16));
    expect(shortKey(k)).toHaveLength(16);
  });
});

describe('sha256File (the edge)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zdh-hash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hashes the file’s bytes as they are, with no separator', async () => {
    const file = join(dir, 'blob');
    writeFileSync(file, Buffer.alloc(200_000, 7));
    expect(await sha256File(file)).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('rejects for a missing file', async () => {
    await expect(sha256File(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
