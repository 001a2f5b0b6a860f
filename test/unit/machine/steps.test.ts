import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../../harness/machine/sizes.ts';
import { GUEST_KILL_GRACE_S, guestDeadlineS, validateSteps } from '../../../harness/machine/steps.ts';

describe('validateSteps', () => {
  it('accepts good steps and names each problem of bad ones', () => {
    expect(validateSteps([{ name: 'hmm-tests', argv: ['./hmm-tests'], timeoutS: 300 }])).toEqual([]);
    const errors = validateSteps([
      { name: 'bad name', argv: ['x'], timeoutS: 1 },
      { name: 'a', timeoutS: 1 },
      { name: 'a', argv: [], script: 'x', timeoutS: 0, env: { '1X': 'y' } },
      { name: 'n', argv: ['a\0b'], timeoutS: 1 },
    ]);
    expect(errors).toEqual([
      'step 0 (bad name): name must match ^[A-Za-z0-9_.:-]+$',
      'step 1 (a): give exactly one of argv and script',
      'step 2 (a): duplicate step name',
      'step 2 (a): give exactly one of argv and script',
      'step 2 (a): argv is empty',
      'step 2 (a): timeoutS must be a positive number',
      'step 2 (a): bad environment variable name 1X',
      'step 3 (n): NUL bytes cannot be passed to the guest',
    ]);
  });

  it('lets /init kill only continue steps, after the host had time for the task dump', () => {
    expect(guestDeadlineS({ name: 'a', argv: ['x'], timeoutS: 30 })).toBe(0);
    expect(guestDeadlineS({ name: 'a', argv: ['x'], timeoutS: 29.5, onTimeout: 'continue' })).toBe(
      30 + GUEST_KILL_GRACE_S,
    );
  });
});

describe('sizes', () => {
  it('parses the spellings profiles use, as QEMU does (powers of 1024)', () => {
    expect(parseSize('128K')).toBe(131072);
    expect(parseSize('2M')).toBe(2097152);
    expect(parseSize('2MiB')).toBe(2097152);
    expect(parseSize('1g')).toBe(2 ** 30);
    expect(parseSize('0x60000000')).toBe(0x60000000);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('1.5G')).toBeUndefined();
    expect(parseSize(-1)).toBeUndefined();
    expect(formatSize(2 ** 31 + 2 ** 21)).toBe('2050M');
    expect(formatSize(1000)).toBe('1000');
  });
});
