import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDotConfig } from '../../../harness/kconfig/dotconfig.ts';
import { checkSurvival } from '../../../harness/kconfig/survival.ts';

// A real 6.1 .config produced by tinyconfig + configs/kconfig/*.config + olddefconfig.
const final = parseDotConfig(
  readFileSync(join(import.meta.dirname, '../../fixtures/kconfig-final-6.1.config'), 'utf8'),
);
const req = (name: string, value: string) => ({
  name,
  value,
  from: { fragment: 'f.config', line: 1, value },
});

describe('checkSurvival against a real .config', () => {
  it('passes options that hold their requested values, including =m and "is not set"', () => {
    expect(
      checkSurvival(
        [req('ZONE_DEVICE', 'y'), req('TEST_HMM', 'm'), req('VT', 'n'), req('NR_CPUS', '8')],
        final,
      ),
    ).toEqual([]);
  });

  it('reports each dropped or changed option with the value it ended up with', () => {
    const dropped = checkSurvival(
      [req('KASAN', 'y'), req('TEST_HMM', 'y'), req('NR_CPUS', '64'), req('DEBUG_VM', 'y')],
      final,
    );
    expect(dropped.map((d) => [d.requested.name, d.actual])).toEqual([
      ['KASAN', 'n'],
      ['TEST_HMM', 'm'],
      ['NR_CPUS', '8'],
    ]);
  });

  it('compares hex and decimal numerically', () => {
    expect(checkSurvival([req('NR_CPUS', '0x8')], final)).toEqual([]);
  });
});
