import { describe, expect, it } from 'vitest';
import { createProgress, teeProgress } from '../../../harness/progress/progress.ts';

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return {
    out,
    stream: { isTTY, columns: 60, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream,
  };
}

describe('progress', () => {
  it('prints plain timestamped lines off a TTY and samples details to one per heartbeat', () => {
    let t = Date.parse('2026-11-25T10:00:00Z');
    const { out, stream } = fakeStream(false);
    const p = createProgress({ stream, heartbeatMs: 30_000, now: () => new Date(t) });
    p.step('building');
    p.detail('CC a.o');
    t += 1000;
    p.detail('CC b.o');
    t += 30_000;
    p.detail('CC c.o');
    p.done();
    expect(out.join('')).toBe('[10:00:00] building\n[10:00:00]   0:00 CC a.o\n[10:00:31]   0:31 CC c.o\n');
    expect(out.join('')).not.toMatch(/\x1b/);
  });

  it('keeps one live status line on a TTY and clears it before the next step', () => {
    const { out, stream } = fakeStream(true);
    const p = createProgress({ stream });
    p.step('building');
    p.detail('CC mm/memremap.o');
    p.step('booting');
    p.done();
    const text = out.join('');
    expect(text).toContain('==> building\n');
    expect(text).toContain('\r\x1b[K  [0:00] CC mm/memremap.o');
    expect(text).toMatch(/CC mm\/memremap\.o\r\x1b\[K==> booting\n/);
  });

  it('tees steps and warnings into a file as timestamped lines', () => {
    const lines: string[] = [];
    const inner = { step() {}, detail() {}, warn() {}, done() {} };
    const p = teeProgress(inner, (l) => lines.push(l));
    p.step('suite smoke: 1 cell(s)');
    p.warn('kernel x did not build');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z suite smoke: 1 cell\(s\)\n$/);
    expect(lines[1]).toMatch(/warning: kernel x did not build/);
  });
});
