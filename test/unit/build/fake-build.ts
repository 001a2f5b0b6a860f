import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildRecord } from '../../../harness/build/types.ts';

/**
 * The files of a finished build, as build-kernel's collect step lays them out, with
 * random contents (a kernel is not needed to test the cache around it).
 */
export function layBuildFiles(dir: string): void {
  mkdirSync(join(dir, 'modules', 'lib', 'modules', '6.1.0', 'kernel'), { recursive: true });
  mkdirSync(join(dir, 'ksrc', 'mm'), { recursive: true });
  writeFileSync(join(dir, 'bzImage'), randomBytes(64 * 1024));
  writeFileSync(join(dir, 'vmlinux'), randomBytes(256 * 1024));
  writeFileSync(join(dir, 'System.map'), 'ffffffff81000000 T _text\n');
  writeFileSync(join(dir, 'config'), 'CONFIG_ZONE_DEVICE=y\n');
  writeFileSync(join(dir, 'build.log'), 'make: done\n');
  writeFileSync(join(dir, 'modules', 'lib', 'modules', '6.1.0', 'kernel', 'test_hmm.ko'), randomBytes(4096));
  writeFileSync(join(dir, 'ksrc', 'mm', 'gup_test.h'), '/* gup */\n');
}

/** A record as build-kernel writes it: every path absolute, under `dir`. */
export function recordFor(dir: string, key: string, createdAt = new Date().toISOString()): BuildRecord {
  return {
    cacheKey: key,
    cached: false,
    dir,
    bzImage: join(dir, 'bzImage'),
    vmlinux: join(dir, 'vmlinux'),
    config: join(dir, 'config'),
    modulesDir: join(dir, 'modules'),
    kernelRelease: '6.1.0',
    buildLog: join(dir, 'build.log'),
    seconds: 0,
    ksrc: join(dir, 'ksrc'),
    inputs: {
      source: { kind: 'tree', location: '/src/linux', id: 'tree:1' },
      patches: [],
      base: 'tinyconfig',
      fragments: [],
      configSha256: '0'.repeat(64),
      toolchain: 'gcc 12',
      createdAt,
    },
  };
}

/** A build.json written the way zdh before sizes were recorded wrote it (plain JSON of the record). */
export function writeLegacyRecord(dir: string, record: BuildRecord): void {
  writeFileSync(join(dir, 'build.json'), `${JSON.stringify(record, null, 2)}\n`);
}
