import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BuildKeyInputs,
  buildKey,
  patchIdentity,
  type RequestKeyInputs,
  requestKey,
  slotKey,
} from '../../../harness/build/cache-key.ts';
import { firstCompilerErrors } from '../../../harness/build/compiler-errors.ts';
import { loadFragment } from '../../../harness/kconfig/fragments.ts';
import { expandPatches } from '../../../harness/patch/expand.ts';

// What a build depends on (build-kernel.ts): the source tree's id, each patch's content in
// order, the base config (a name, or `file:<sha256>` of a file), each fragment's content
// and layer, and the compiler and linker. A key that misses one of them hands out a stale
// build; a key that depends on anything else rebuilds for nothing.

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const fragmentKey = fc.record({ layer: fc.constantFrom(0, 1, 2), sha256: hex });
const requestInputs: fc.Arbitrary<RequestKeyInputs> = fc.record({
  sourceId: fc.oneof(
    hex.map((h) => `git-tree:${h}`),
    hex.map((h) => `tarball:${h}`),
  ),
  patchShas: fc.array(hex, { maxLength: 4 }),
  base: fc.oneof(
    fc.constantFrom('tinyconfig', 'defconfig'),
    hex.map((h) => `file:${h}`),
  ),
  fragments: fc.array(fragmentKey, { maxLength: 4 }),
  toolchain: fc.string({ minLength: 1, maxLength: 40 }),
});

/** Every way of changing one thing the build depends on; `other` is a value not in `i`. */
function requestChanges(i: RequestKeyInputs, other: string): [string, RequestKeyInputs][] {
  const out: [string, RequestKeyInputs][] = [
    ['source', { ...i, sourceId: `${i.sourceId}x` }],
    ['base', { ...i, base: `file:${other}` }],
    ['toolchain', { ...i, toolchain: `${i.toolchain} ` }],
    ['a patch more', { ...i, patchShas: [...i.patchShas, other] }],
    ['a fragment more', { ...i, fragments: [...i.fragments, { layer: 1, sha256: other }] }],
  ];
  for (const [n, _] of i.patchShas.entries()) {
    out.push([`patch ${n}'s content`, { ...i, patchShas: i.patchShas.with(n, other) }]);
    out.push([`patch ${n} left out`, { ...i, patchShas: i.patchShas.toSpliced(n, 1) }]);
    const next = i.patchShas[n + 1];
    if (next !== undefined && next !== i.patchShas[n]) {
      const swapped = i.patchShas.with(n, next).with(n + 1, i.patchShas[n]!);
      out.push([`patches ${n} and ${n + 1} swapped (they apply in order)`, { ...i, patchShas: swapped }]);
    }
  }
  for (const [n, f] of i.fragments.entries()) {
    out.push([`fragment ${n}'s content`, { ...i, fragments: i.fragments.with(n, { ...f, sha256: other }) }]);
    out.push([
      `fragment ${n}'s layer`,
      { ...i, fragments: i.fragments.with(n, { ...f, layer: (f.layer + 1) % 3 }) },
    ]);
    out.push([`fragment ${n} left out`, { ...i, fragments: i.fragments.toSpliced(n, 1) }]);
  }
  return out;
}

/** The same inputs built afresh: new arrays and objects, keys in another order. */
function rebuilt(i: RequestKeyInputs): RequestKeyInputs {
  return {
    toolchain: i.toolchain,
    fragments: i.fragments.map((f) => ({ sha256: f.sha256, layer: f.layer })),
    base: i.base,
    patchShas: [...i.patchShas],
    sourceId: i.sourceId,
  };
}

describe('request keys', () => {
  it('change when any one input the build depends on changes', () => {
    fc.assert(
      fc.property(requestInputs, hex, (i, other) => {
        fc.pre(!i.patchShas.includes(other) && !i.fragments.some((f) => f.sha256 === other));
        const key = requestKey(i);
        for (const [what, changed] of requestChanges(i, other))
          expect(requestKey(changed), what).not.toBe(key);
      }),
    );
  });

  it('do not depend on object identity or key order', () => {
    fc.assert(
      fc.property(requestInputs, (i) => {
        expect(requestKey(rebuilt(i))).toBe(requestKey(i));
      }),
    );
  });

  it('follow patch and fragment content, not their file names', () => {
    const t = mkdtempSync(join(tmpdir(), 'zdh-cache-key-'));
    const diff = (to: string) =>
      `diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n-a\n+${to}\n`;
    mkdirSync(join(t, 'other'));
    writeFileSync(join(t, '0001-fix.patch'), diff('b'));
    writeFileSync(join(t, 'other', 'renamed.diff'), diff('b'));
    writeFileSync(join(t, 'edited.patch'), diff('c'));
    writeFileSync(join(t, 'a.config'), 'CONFIG_ZONE_DEVICE=y\n');
    writeFileSync(join(t, 'other', 'b.config'), 'CONFIG_ZONE_DEVICE=y\n');
    writeFileSync(join(t, 'c.config'), 'CONFIG_ZONE_DEVICE=y\n# CONFIG_KASAN is not set\n');
    const key = (patch: string, fragment: string) =>
      requestKey({
        sourceId: 'git-tree:t',
        patchShas: expandPatches([join(t, patch)]).map(patchIdentity),
        base: 'tinyconfig',
        fragments: [loadFragment(join(t, fragment), 2)].map((f) => ({ layer: f.layer, sha256: f.sha256 })),
        toolchain: 'gcc 12.2.0',
      });
    const base = key('0001-fix.patch', 'a.config');
    expect(key('other/renamed.diff', 'other/b.config')).toBe(base);
    expect(key('edited.patch', 'a.config')).not.toBe(base);
    expect(key('0001-fix.patch', 'c.config')).not.toBe(base);
    // A quilt series may apply the same text at another strip level: another build.
    for (const [dir, strip] of [
      ['p1', '-p1'],
      ['p0', '-p0'],
    ] as const) {
      mkdirSync(join(t, dir));
      writeFileSync(join(t, dir, '0001-fix.patch'), diff('b'));
      writeFileSync(join(t, dir, 'series'), `0001-fix.patch ${strip}\n`);
    }
    expect(key('p1', 'a.config')).toBe(base);
    expect(key('p0', 'a.config')).not.toBe(base);
  });

  it('do not change unnoticed: a new key rebuilds every cached kernel (pinned value)', () => {
    const pinned: RequestKeyInputs = {
      sourceId: 'a'.repeat(64),
      patchShas: ['p1', 'p2'],
      base: 'tinyconfig',
      fragments: [
        { layer: 0, sha256: 'f1' },
        { layer: 2, sha256: 'f2' },
      ],
      toolchain: 'gcc (Debian 12.2.0-14) 12.2.0 | GNU ld 2.40',
    };
    expect(requestKey(pinned)).toMatchInlineSnapshot(
      `"6e9a10205a7d0dcc9f5d78ea0751ec5d0a992b403ab95bd94c8868ef8a59009c"`,
    );
  });
});

// A .config as kconfig writes it: a header naming the kernel version and date, menu
// comments, blank lines, then the options.
const option = fc.oneof(
  fc.constantFrom('y', 'm', '0x1000', '64', '""', '"zdh"').map((v) => ({ set: true, v })),
  fc.constant({ set: false, v: '' }),
);
const dotConfig = fc
  .uniqueArray(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,12}$/), { minLength: 1, maxLength: 8 })
  .chain((names) =>
    fc.tuple(fc.constant(names), fc.array(option, { minLength: names.length, maxLength: names.length })),
  );
const render = (
  names: readonly string[],
  values: readonly { set: boolean; v: string }[],
  version = '6.1.0',
) =>
  [
    '#',
    '# Automatically generated file; DO NOT EDIT.',
    `# Linux/x86 ${version} Kernel Configuration`,
    '#',
    `CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"`,
    '',
    '#',
    '# General setup',
    '#',
    ...names.map((n, k) => (values[k]!.set ? `CONFIG_${n}=${values[k]!.v}` : `# CONFIG_${n} is not set`)),
    '# end of General setup',
    '',
  ].join('\n');

describe('build keys', () => {
  const k: Omit<BuildKeyInputs, 'finalConfig'> = { sourceId: 's', patchShas: ['p'], toolchain: 't' };

  it("ignore kconfig's own comments: the header's version and date, menus, blank lines", () => {
    fc.assert(
      fc.property(dotConfig, ([names, values]) => {
        const a = render(names, values);
        const b = render(names, values, '6.1.193')
          .replace('# General setup', '# General setup (renamed menu)')
          .replace('# end of General setup', '# end of General setup (renamed menu)')
          .replaceAll('\n\n', '\n');
        expect(buildKey({ ...k, finalConfig: b })).toBe(buildKey({ ...k, finalConfig: a }));
      }),
    );
  });

  it('change with every option of the final .config, and with source, patches and toolchain', () => {
    fc.assert(
      fc.property(dotConfig, fc.nat(), option, ([names, values], at, to) => {
        const n = at % names.length;
        fc.pre(to.set !== values[n]!.set || to.v !== values[n]!.v);
        const key = buildKey({ ...k, finalConfig: render(names, values) });
        expect(buildKey({ ...k, finalConfig: render(names, values.with(n, to)) })).not.toBe(key);
        expect(buildKey({ ...k, finalConfig: render(names.with(n, `${names[n]}X`), values) })).not.toBe(key);
        const config = render(names, values);
        for (const changed of [
          { ...k, sourceId: 's2' },
          { ...k, patchShas: [] },
          { ...k, patchShas: ['q'] },
          { ...k, toolchain: 't2' },
        ])
          expect(buildKey({ ...changed, finalConfig: config })).not.toBe(key);
      }),
    );
  });
});

describe('slot keys', () => {
  it('separate source families and configurations (base, which fragments, their layers)', () => {
    const family = 'git:/src/linux';
    const frags = [
      { layer: 0, name: 'configs/kconfig/zdh.config' },
      { layer: 2, name: 'extra/kasan' },
    ];
    const key = slotKey(family, 'tinyconfig', frags);
    // Slot keys name folders on disk (build/slot.ts): a slot's name must not change under it.
    expect(key).toBe('1fd9eb2ce9741fd5a088555279ee1d5955ca99ddad49cba4d27b8e5bdce23ce2');
    expect(
      slotKey(
        family,
        'tinyconfig',
        frags.map((f) => ({ ...f })),
      ),
    ).toBe(key);
    for (const [what, other] of [
      ['family', slotKey('tarball:linux-6.1', 'tinyconfig', frags)],
      ['base', slotKey(family, 'defconfig', frags)],
      ['a fragment less', slotKey(family, 'tinyconfig', frags.slice(0, 1))],
      ['another fragment', slotKey(family, 'tinyconfig', frags.with(1, { layer: 2, name: 'extra/kcsan' }))],
      ['a layer', slotKey(family, 'tinyconfig', frags.with(1, { layer: 1, name: 'extra/kasan' }))],
    ] as const)
      expect(other, what).not.toBe(key);
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
