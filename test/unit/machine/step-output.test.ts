import { describe, expect, it } from 'vitest';
import { StepOutput } from '../../../harness/machine/step-output.ts';

const lines = (from: number, to: number): string => {
  let s = '';
  for (let i = from; i < to; i++) s += `line ${String(i).padStart(5, '0')}\n`;
  return s;
};
const feed = (out: StepOutput, text: string, chunk: number): void => {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += chunk) out.push(bytes.subarray(at, at + chunk));
};

describe('StepOutput (the step output kept in memory)', () => {
  it('keeps an output within the cap as it came', () => {
    const out = new StepOutput(1024);
    const text = `${lines(0, 40)}no newline at the end`;
    feed(out, text, 7);
    expect(out.truncated).toBe(false);
    expect(out.text()).toBe(text);
  });

  it('keeps the first and the last lines of a longer one, whole lines only, and says how much is left out', () => {
    const text = lines(0, 10_000); // 110 000 bytes
    for (const chunk of [1, 11, 4096, 65_536, 200_000]) {
      const out = new StepOutput(4096);
      feed(out, text, chunk);
      expect(out.truncated).toBe(true);
      const kept = out.text().split('\n');
      const note = kept.findIndex((l) => l.startsWith('[zdh: '));
      const head = kept.slice(0, note);
      const tail = kept.slice(note + 1, -1);
      // Whole lines from the start and up to the very end, about half the cap each.
      expect(head.join('\n')).toBe(lines(0, head.length).trimEnd());
      expect(tail.join('\n')).toBe(lines(10_000 - tail.length, 10_000).trimEnd());
      expect(head.length * 11).toBeGreaterThan(2048 - 11);
      expect(tail.length * 11).toBeGreaterThan(2048 - 11);
      const left = Number(/^\[zdh: (\d+) bytes/.exec(kept[note]!)?.[1]);
      expect(left).toBe(110_000 - (head.length + tail.length) * 11);
    }
  });
});
