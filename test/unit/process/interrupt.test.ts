import { fork } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAIR_WINDOW_MS, SignalPairing } from '../../../harness/process/interrupt.ts';

describe('one Ctrl-C is one interrupt when the launcher forwards it', () => {
  it('counts a direct signal and its forwarded copy once, in either order', () => {
    const a = new SignalPairing();
    expect([a.take('direct', 1000), a.take('forwarded', 1003)]).toEqual([true, false]);
    const b = new SignalPairing();
    expect([b.take('forwarded', 1000), b.take('direct', 1001)]).toEqual([true, false]);
  });

  it('counts two real Ctrl-Cs as two, however fast they come', () => {
    const p = new SignalPairing();
    const seen = [
      p.take('direct', 0),
      p.take('forwarded', 5),
      p.take('direct', 150),
      p.take('forwarded', 160),
    ];
    expect(seen.filter(Boolean)).toHaveLength(2);
  });

  it('takes a signal sent to one process only (kill PID) as an interrupt each time', () => {
    const p = new SignalPairing();
    expect([p.take('forwarded', 0), p.take('forwarded', 10)]).toEqual([true, true]);
    const q = new SignalPairing();
    expect([q.take('direct', 0), q.take('direct', 10)]).toEqual([true, true]);
  });

  it('does not pair copies further apart than the window', () => {
    const p = new SignalPairing();
    expect([p.take('direct', 0), p.take('forwarded', PAIR_WINDOW_MS + 1)]).toEqual([true, true]);
  });
});

describe("another parent's IPC channel", () => {
  it('is left working: a forked worker still gets its messages after zdh installs its handlers', async () => {
    const child = fork(join(import.meta.dirname, '..', '..', 'fixtures', 'process', 'ipc-child.ts'), [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const answer = new Promise<unknown>((resolve) => child.on('message', resolve));
    // Long enough for a worker whose channel was unref'd to run out of work and exit.
    await new Promise((r) => setTimeout(r, 1500));
    const alive = child.exitCode === null;
    if (alive) child.send('ping');
    expect(alive).toBe(true);
    expect(await answer).toEqual({ echo: 'ping' });
    expect(await exited).toBe(0);
  }, 20_000);
});
