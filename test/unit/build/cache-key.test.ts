import { describe, expect, it } from 'vitest';
import { buildKey, normaliseConfig, requestKey, slotKey } from '../../../harness/build/cache-key.ts';
import { firstCompilerErrors } from '../../../harness/build/compiler-errors.ts';

const inputs = {
  sourceId: 'a'.repeat(64),
  patchShas: ['p1', 'p2'],
  base: 'tinyconfig',
  fragments: [
    { layer: 0, sha256: 'f1' },
    { layer: 2, sha256: 'f2' },
  ],
  toolchain: 'gcc (Debian 12.2.0-14) 12.2.0 | GNU ld 2.40',
};

describe('cache keys', () => {
  it('are stable: the same inputs give the same key (pinned value)', () => {
    expect(requestKey(inputs)).toBe(requestKey({ ...inputs, patchShas: ['p1', 'p2'] }));
    expect(requestKey(inputs)).toMatchInlineSnapshot(
      `"6e9a10205a7d0dcc9f5d78ea0751ec5d0a992b403ab95bd94c8868ef8a59009c"`,
    );
  });

  it('change with every input, including patch order and fragment layer', () => {
    const base = requestKey(inputs);
    expect(requestKey({ ...inputs, patchShas: ['p2', 'p1'] })).not.toBe(base);
    expect(requestKey({ ...inputs, fragments: [{ layer: 1, sha256: 'f1' }, inputs.fragments[1]!] })).not.toBe(
      base,
    );
    expect(requestKey({ ...inputs, toolchain: 'gcc 13' })).not.toBe(base);
    expect(requestKey({ ...inputs, sourceId: 'b'.repeat(64) })).not.toBe(base);
    expect(requestKey({ ...inputs, base: 'defconfig' })).not.toBe(base);
  });

  it('ignore the .config header comments (kernel version, date) but not option changes', () => {
    const a =
      '#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.192 Kernel Configuration\n#\nCONFIG_A=y\n# CONFIG_B is not set\n';
    const b =
      '#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.193 Kernel Configuration\n#\nCONFIG_A=y\n# CONFIG_B is not set\n';
    expect(normaliseConfig(a)).toBe(normaliseConfig(b));
    const k = { sourceId: 's', patchShas: [], toolchain: 't' };
    expect(buildKey({ ...k, finalConfig: a })).toBe(buildKey({ ...k, finalConfig: b }));
    expect(buildKey({ ...k, finalConfig: a })).not.toBe(
      buildKey({ ...k, finalConfig: a.replace('A=y', 'A=m') }),
    );
  });

  it('slot keys separate source families and configurations', () => {
    expect(slotKey('git:/r', 'tinyconfig', [])).not.toBe(slotKey('tarball:x', 'tinyconfig', []));
    expect(slotKey('git:/r', 'tinyconfig', [])).toBe(slotKey('git:/r', 'tinyconfig', []));
  });
});

describe('firstCompilerErrors', () => {
  it('picks the first distinct compiler errors, then make noise is ignored', () => {
    const log = [
      '  CC      mm/memremap.o',
      "/src/mm/memremap.c:510:9: error: 'foo' undeclared (first use in this function)",
      "/src/mm/memremap.c:510:9: error: 'foo' undeclared (first use in this function)",
      "/src/mm/memremap.c:511:2: error: expected ';' before '}' token",
      'make[3]: *** [/src/scripts/Makefile.build:250: mm/memremap.o] Error 1',
    ].join('\n');
    expect(firstCompilerErrors(log)).toEqual([
      "/src/mm/memremap.c:510:9: error: 'foo' undeclared (first use in this function)",
      "/src/mm/memremap.c:511:2: error: expected ';' before '}' token",
    ]);
  });

  it('falls back to linker errors when there is no compiler error', () => {
    expect(
      firstCompilerErrors("ld: mm/x.o: in function `f':\nx.c:(.text+0x5): undefined reference to `g'\n"),
    ).toHaveLength(2);
  });
});
