import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildDir,
  buildsDir,
  lookupRequest,
  publish,
  readBuild,
  recordRequest,
  stagingDir,
  writeRecord,
} from '../../../harness/build/store.ts';
import { layBuildFiles, recordFor, writeLegacyRecord } from './fake-build.ts';

const KEY = 'ab'.repeat(32);

function tempCache(): string {
  return mkdtempSync(join(tmpdir(), 'zdh-store-test-'));
}

/** A published build in `cache` under KEY, with its request entry. */
function cachedBuild(cache: string, requestKey = 'cd'.repeat(32)): string {
  const dir = buildDir(cache, KEY);
  layBuildFiles(dir);
  writeLegacyRecord(dir, recordFor(dir, KEY));
  recordRequest(cache, requestKey, KEY);
  return requestKey;
}

describe('build records', () => {
  it('take every path from the folder they are read from, so a moved cache still hits', () => {
    const root = tempCache();
    const before = join(root, 'before');
    const req = cachedBuild(before);
    const after = join(root, 'after');
    renameSync(before, after);

    const hit = lookupRequest(after, req);
    expect(hit).toBeDefined();
    const dir = buildDir(after, KEY);
    expect(hit!.dir).toBe(dir);
    for (const p of [hit!.bzImage, hit!.vmlinux, hit!.config, hit!.modulesDir, hit!.buildLog, hit!.ksrc]) {
      expect(p.startsWith(`${dir}/`)).toBe(true);
      expect(existsSync(p)).toBe(true);
    }
  });

  it('ignore a record whose paths name another folder when the files are not in its own', () => {
    const cache = tempCache();
    const elsewhere = mkdtempSync(join(tmpdir(), 'zdh-elsewhere-'));
    layBuildFiles(elsewhere);
    const dir = buildDir(cache, KEY);
    mkdirSync(dir, { recursive: true });
    writeLegacyRecord(dir, recordFor(elsewhere, KEY));
    expect(readBuild(dir)).toBeUndefined();
  });

  it('a zero-length bzImage (a rename that outran the data after a power cut) is not a hit', () => {
    const cache = tempCache();
    const req = cachedBuild(cache);
    truncateSync(join(buildDir(cache, KEY), 'bzImage'), 0);
    expect(readBuild(buildDir(cache, KEY))).toBeUndefined();
    expect(lookupRequest(cache, req)).toBeUndefined();
  });
});

describe('file checks on a hit', () => {
  /** A build published the way build-kernel does: files, writeRecord, publish. */
  function published(cache: string): string {
    const staging = stagingDir(cache, KEY);
    layBuildFiles(staging);
    writeRecord(staging, recordFor(buildDir(cache, KEY), KEY));
    publish(staging, buildDir(cache, KEY));
    return buildDir(cache, KEY);
  }

  it('a build as written is a hit, and its record says what it checks', () => {
    const dir = published(tempCache());
    const hit = readBuild(dir);
    expect(hit).toBeDefined();
    expect(hit!.files?.['bzImage']?.size).toBe(64 * 1024);
    expect(hit!.files?.['bzImage']?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['bzImage cut to nothing', 'bzImage', 0],
    ['bzImage cut short', 'bzImage', 1000],
    ['vmlinux cut short', 'vmlinux', 1000],
    ['a module cut short', 'modules/lib/modules/6.1.0/kernel/test_hmm.ko', 10],
  ])('%s is a miss', (_what, rel, size) => {
    const dir = published(tempCache());
    truncateSync(join(dir, rel), size);
    expect(readBuild(dir)).toBeUndefined();
  });

  it('a bzImage of the right size with other bytes is a miss', () => {
    const dir = published(tempCache());
    const bytes = readFileSync(join(dir, 'bzImage'));
    bytes[100] = (bytes[100]! + 1) % 256;
    writeFileSync(join(dir, 'bzImage'), bytes);
    expect(readBuild(dir)).toBeUndefined();
  });

  it('a missing recorded file is a miss', () => {
    const dir = published(tempCache());
    rmSync(join(dir, 'System.map'));
    expect(readBuild(dir)).toBeUndefined();
  });

  it('a record written before sizes were kept still hits while its bzImage is not empty', () => {
    const cache = tempCache();
    cachedBuild(cache);
    expect(readBuild(buildDir(cache, KEY))).toBeDefined();
  });
});

describe('publish', () => {
  function staged(cache: string, marker: string): string {
    const staging = stagingDir(cache, KEY);
    layBuildFiles(staging);
    writeFileSync(join(staging, 'marker'), marker);
    writeLegacyRecord(staging, recordFor(buildDir(cache, KEY), KEY));
    return staging;
  }

  it('with replace (zdh build --force) puts the new build in place of the cached one', () => {
    const cache = tempCache();
    const dest = buildDir(cache, KEY);
    publish(staged(cache, 'old'), dest);
    publish(staged(cache, 'new'), dest, { replace: true });
    expect(readFileSync(join(dest, 'marker'), 'utf8')).toBe('new');
    expect(readBuild(dest)).toBeDefined();
    // Neither the staging copy nor the old build is left behind.
    expect(readdirSync(buildsDir(cache))).toEqual([KEY]);
  });

  it('without replace keeps a sound build another process published first', () => {
    const cache = tempCache();
    const dest = buildDir(cache, KEY);
    publish(staged(cache, 'first'), dest);
    publish(staged(cache, 'second'), dest);
    expect(readFileSync(join(dest, 'marker'), 'utf8')).toBe('first');
    expect(readdirSync(buildsDir(cache))).toEqual([KEY]);
  });

  it('replaces a cached build that fails its checks even without replace', () => {
    const cache = tempCache();
    const dest = buildDir(cache, KEY);
    publish(staged(cache, 'broken'), dest);
    truncateSync(join(dest, 'bzImage'), 0);
    publish(staged(cache, 'fresh'), dest);
    expect(readFileSync(join(dest, 'marker'), 'utf8')).toBe('fresh');
    expect(readBuild(dest)).toBeDefined();
    expect(readdirSync(buildsDir(cache))).toEqual([KEY]);
  });
});
