import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostMemoryFile, readHostMemory, rememberKvm } from '../../../harness/machine/host-memory.ts';

describe('host memory', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is one file per host name in the zdh cache', () => {
    const f = hostMemoryFile({ ZDH_CACHE_DIR: '/c' });
    expect(f).toMatch(/^\/c\/hosts\/[A-Za-z0-9_.-]+\.json$/);
  });

  it('remembers that KVM is broken here, and reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdh-host-'));
    dirs.push(dir);
    const file = join(dir, 'hosts', 'h.json');
    expect(readHostMemory(file)).toEqual({});
    await rememberKvm(true, 'no banner in 10 s', file);
    expect(readHostMemory(file).kvm).toMatchObject({ broken: true, detail: 'no banner in 10 s' });
    expect(JSON.parse(readFileSync(file, 'utf8')).kvm.at).toMatch(/^\d{4}-/);
  });
});
