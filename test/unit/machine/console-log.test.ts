import { describe, expect, it } from 'vitest';
import { LineSplitter, splitConsoleLine, stampLine } from '../../../harness/machine/console-log.ts';

describe('console log lines', () => {
  it('stamps a line with the host time and takes the stamp off again', () => {
    const at = new Date('2025-11-25T20:47:41.123Z');
    const out = stampLine(at, Buffer.from('[    1.448753] Run /init as init process'));
    expect(out.toString()).toBe('2025-11-25T20:47:41.123Z [    1.448753] Run /init as init process\n');
    expect(splitConsoleLine(out.toString().trimEnd())).toEqual({
      hostTime: '2025-11-25T20:47:41.123Z',
      text: '[    1.448753] Run /init as init process',
    });
    expect(splitConsoleLine('no stamp')).toEqual({ hostTime: undefined, text: 'no stamp' });
  });

  it('splits chunks into lines, drops \\r\\n endings, keeps bytes, holds partial lines until flush', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l.toString('latin1')));
    s.push(Buffer.from('[ 0.1] a\r\n[ 0.2] b'));
    s.push(Buffer.from('cd\n\xff\x00\r\r\nprompt# ', 'latin1'));
    expect(lines).toEqual(['[ 0.1] a', '[ 0.2] bcd', '\xff\x00']);
    s.flush();
    expect(lines.at(-1)).toBe('prompt# ');
  });
});
