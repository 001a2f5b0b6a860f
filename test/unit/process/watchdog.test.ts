import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { applyLine } from '../../../harness/process/watchdog.ts';

const starter = join(import.meta.dirname, '..', '..', 'fixtures', 'process', 'start-group.ts');

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pgid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!groupAlive(pgid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !groupAlive(pgid);
}

describe('watchdog protocol', () => {
  it('tracks groups started and reaped, and ignores anything else', () => {
    const groups = new Set<number>();
    for (const line of ['+100', '+200', '-100', 'garbage', '+0', '+-5', '-999', '+300\r', '+12345678901'])
      applyLine(groups, line);
    expect([...groups].sort()).toEqual([200, 300]);
  });
});

describe('no subprocess group outlives a SIGKILLed zdh', () => {
  for (const mode of ['logged', 'managed']) {
    it(`kills a ${mode} subprocess group and its background children after SIGKILL`, async () => {
      const zdh = execa(process.execPath, [starter, mode], { reject: false, buffer: false });
      const pgid = await new Promise<number>((resolve, reject) => {
        zdh.stdout.on('data', (d: Buffer) => {
          const m = /group (\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        });
        zdh.then(() => reject(new Error('the starter exited early')));
      });
      expect(groupAlive(pgid)).toBe(true);
      zdh.kill('SIGKILL');
      await zdh;
      const dead = await gone(pgid, 10_000);
      if (!dead) process.kill(-pgid, 'SIGKILL');
      expect(dead).toBe(true);
    }, 20_000);
  }
});
