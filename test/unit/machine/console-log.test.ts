import { describe, expect, it } from 'vitest';
import { splitConsoleLine, stampLine } from '../../../harness/machine/console-log.ts';

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
});
