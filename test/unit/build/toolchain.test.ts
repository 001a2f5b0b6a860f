import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCcache, toolchainId, whichOnPath } from '../../../harness/build/toolchain.ts';

describe('toolchainId', () => {
  const t = mkdtempSync(join(tmpdir(), 'zdh-toolchain-'));
  afterAll(() => rmSync(t, { recursive: true, force: true }));
  const bin = join(t, 'bin');
  const cache = join(t, 'cache');
  const calls = join(t, 'calls');
  mkdirSync(bin);
  /** A compiler that says its version and counts how often it was asked. */
  const fakeCc = (version: string): void =>
    writeFileSync(join(bin, 'fake-cc'), `#!/bin/sh\necho x >> ${calls}\necho "fake-cc ${version}"\n`, {
      mode: 0o755,
    });
  const asked = (): number => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;

  it('asks the compiler once, then answers from the cache until the binary changes', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path}`;
    try {
      fakeCc('1.0');
      const first = await toolchainId('fake-cc', cache);
      expect(first).toMatch(/^fake-cc 1\.0 \| GNU ld/);
      expect(await toolchainId('fake-cc', cache)).toBe(first);
      expect(asked()).toBe(1);
      // Another version (another size and time): asked again, and the new answer counts.
      fakeCc('1.10');
      utimesSync(join(bin, 'fake-cc'), new Date(), new Date(Date.now() + 5000));
      expect(await toolchainId('fake-cc', cache)).toMatch(/^fake-cc 1\.10 \| /);
      expect(asked()).toBe(2);
      // Without a cache every call asks.
      await toolchainId('fake-cc');
      expect(asked()).toBe(3);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('finds programs on PATH as a spawn would: executable files only', () => {
    writeFileSync(join(bin, 'not-exec'), 'x', { mode: 0o644 });
    expect(whichOnPath('not-exec', bin)).toBeUndefined();
    expect(whichOnPath('sh', '/nonexistent:/bin')).toBe('/bin/sh');
    expect(whichOnPath('/bin/sh', '')).toBe('/bin/sh');
    expect(hasCcache()).toBe(whichOnPath('ccache') !== undefined);
  });
});
