import { describe, expect, it } from 'vitest';
import {
  optionValue,
  parseConfigText,
  parseDotConfig,
  renderConfig,
} from '../../../harness/kconfig/dotconfig.ts';

describe('parseConfigText', () => {
  it('reads set, unset, string and number values with their lines', () => {
    const text = [
      '# comment',
      'CONFIG_A=y',
      '',
      '# CONFIG_B is not set',
      'CONFIG_C="x y"',
      'CONFIG_D=0x1f',
      'CONFIG_E=-3',
    ].join('\n');
    const { entries, problems } = parseConfigText(text);
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { name: 'A', value: 'y', line: 2 },
      { name: 'B', value: 'n', line: 4 },
      { name: 'C', value: '"x y"', line: 5 },
      { name: 'D', value: '0x1f', line: 6 },
      { name: 'E', value: '-3', line: 7 },
    ]);
  });

  it('reports malformed lines with their line numbers and leaves good ones', () => {
    const { entries, problems } = parseConfigText('CONFIG_A=y\nTEST_HMM=m\nCONFIG_B=maybe\n');
    expect(entries.map((e) => e.name)).toEqual(['A']);
    expect(problems.map((p) => p.line)).toEqual([2, 3]);
    expect(problems[1]!.message).toMatch(/bad value "maybe"/);
  });

  it('tolerates CRLF line ends', () => {
    expect(parseConfigText('CONFIG_A=m\r\n').entries).toEqual([{ name: 'A', value: 'm', line: 1 }]);
  });
});

describe('renderConfig / parseDotConfig', () => {
  it('round-trips and reads absent options as n', () => {
    const text = renderConfig([
      { name: 'A', value: 'y' },
      { name: 'B', value: 'n' },
    ]);
    expect(text).toBe('CONFIG_A=y\n# CONFIG_B is not set\n');
    const map = parseDotConfig(text);
    expect(optionValue(map, 'A')).toBe('y');
    expect(optionValue(map, 'B')).toBe('n');
    expect(optionValue(map, 'NEVER_MENTIONED')).toBe('n');
  });
});
