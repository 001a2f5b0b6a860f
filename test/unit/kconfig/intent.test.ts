import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import { parseDotConfig } from '../../../harness/kconfig/dotconfig.ts';
import { defaultFragmentPaths, LAYER, loadFragment } from '../../../harness/kconfig/fragments.ts';
import { judgeDropped, loadOptionIntent, parseOptionIntent } from '../../../harness/kconfig/intent.ts';
import { parseKconfigTree } from '../../../harness/kconfig/kconfig-tree.ts';
import { mergeFragments } from '../../../harness/kconfig/merge.ts';
import { checkSurvival } from '../../../harness/kconfig/survival.ts';

const intent = loadOptionIntent();
const defaults = mergeFragments(defaultFragmentPaths().map((p) => loadFragment(p, LAYER.defaults)));

describe('configs/kconfig/intent.yaml', () => {
  it('puts every option of the default fragments in exactly one list, and names no other', () => {
    const asked = new Set(defaults.requested.map((r) => r.name));
    const listed = [...intent.required.keys(), ...intent.preferences.keys()];
    expect(listed.filter((n) => !asked.has(n))).toEqual([]);
    expect([...asked].filter((n) => !intent.required.has(n) && !intent.preferences.has(n))).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('keeps what the issue names as required out of the preferences', () => {
    for (const n of [
      'ZONE_DEVICE',
      'DEVICE_PRIVATE',
      'TEST_HMM',
      'FS_DAX',
      'DEV_DAX',
      'DEV_DAX_PMEM',
      'DEV_DAX_KMEM',
      'ACPI_NFIT',
      'LIBNVDIMM',
      'BLK_DEV_PMEM',
      'NVDIMM_PFN',
      'GUP_TEST',
      'DEBUG_VM',
    ])
      expect(intent.required.has(n), n).toBe(true);
    expect(intent.preferences.has('MICROCODE')).toBe(true);
  });

  it('makes every `=n` of the default fragments a preference (a trim never makes a workload run)', () => {
    const offs = defaults.requested.filter((r) => r.value === 'n').map((r) => r.name);
    expect(offs.filter((n) => !intent.preferences.has(n))).toEqual([]);
  });

  it('rejects an option in both lists, a CONFIG_ prefix and a missing reason', () => {
    const bad = 'required:\n  MICROCODE: x\n  CONFIG_FOO: y\npreferences:\n  MICROCODE: z\n  BAR: ""\n';
    try {
      parseOptionIntent(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ZdhError);
      expect((e as ZdhError).details).toEqual([
        'required: CONFIG_FOO is not an option name (no CONFIG_ prefix)',
        'preferences: BAR needs a reason',
        'MICROCODE is both required and a preference',
      ]);
    }
  });
});

// Kconfig excerpts as the kernels have them. MICROCODE: 6.1's arch/x86/Kconfig has a prompt
// (default y); from 6.6 (the microcode loader rework) it is `def_bool y`, no prompt, so
// `# CONFIG_MICROCODE is not set` cannot hold on 6.12. TEST_HMM and RUNTIME_TESTING_MENU:
// 6.1's lib/Kconfig.debug.
const kconfig612: Record<string, string> = {
  Kconfig: ['source "arch/x86/Kconfig"', 'source "lib/Kconfig.debug"'].join('\n'),
  'arch/x86/Kconfig': [
    'config CPU_SUP_INTEL',
    '\tdefault y',
    '\tbool "Support Intel processors" if PROCESSOR_SELECT',
    'config PROCESSOR_SELECT',
    '\tbool "Supported processor vendors" if EXPERT',
    'config MICROCODE',
    '\tdef_bool y',
    '\tdepends on CPU_SUP_AMD || CPU_SUP_INTEL',
  ].join('\n'),
  'lib/Kconfig.debug': [
    'menuconfig RUNTIME_TESTING_MENU',
    '\tbool "Runtime Testing"',
    '\tdef_bool y',
    'if RUNTIME_TESTING_MENU',
    'config TEST_HMM',
    '\ttristate "Test HMM (Heterogeneous Memory Management)"',
    '\tdepends on TRANSPARENT_HUGEPAGE',
    '\tdepends on DEVICE_PRIVATE',
    '\tselect HMM_MIRROR',
    '\tselect MMU_NOTIFIER',
    'endif # RUNTIME_TESTING_MENU',
  ].join('\n'),
};
const db = parseKconfigTree((p) => kconfig612[p]);

/** The default fragments' requests for these options, checked against a final .config. */
function judge(names: string[], finalText: string) {
  const requested = defaults.requested.filter((r) => names.includes(r.name));
  expect(requested.map((r) => r.name).sort()).toEqual([...names].sort());
  const final = parseDotConfig(finalText);
  return judgeDropped(checkSurvival(requested, final), intent, db, final);
}

describe('judgeDropped on what olddefconfig left', () => {
  it('a preference the kernel forces is a note, not an error (MICROCODE=n on 6.12)', () => {
    const v = judge(['MICROCODE'], 'CONFIG_CPU_SUP_INTEL=y\nCONFIG_MICROCODE=y\n');
    expect(v.errors).toEqual([]);
    expect(v.notes).toHaveLength(1);
    expect(v.notes[0]).toMatch(
      /^CONFIG_MICROCODE=n \(configs\/kconfig\/qemu-boot\.config:\d+\) ended up =y: forced on by a default or another option; check its defaults \(a preference: .*; the build goes on\)$/,
    );
  });

  it('a dropped required option still stops the build with the dependency that dropped it', () => {
    const v = judge(
      ['TEST_HMM', 'MICROCODE'],
      '# CONFIG_RUNTIME_TESTING_MENU is not set\nCONFIG_DEVICE_PRIVATE=y\nCONFIG_TRANSPARENT_HUGEPAGE=y\nCONFIG_MICROCODE=y\n',
    );
    expect(v.errors).toHaveLength(1);
    expect(v.errors[0]).toMatch(
      /^CONFIG_TEST_HMM=m \(configs\/kconfig\/zone-device\.config:\d+\) ended up not set: depends on RUNTIME_TESTING_MENU \(=n\) \[lib\/Kconfig\.debug:5\]$/,
    );
    expect(v.notes).toHaveLength(1);
  });

  it('a preference the kernel does not have is a note', () => {
    // KERNEL_LZ4=y asked, and this Kconfig defines no KERNEL_LZ4 at all.
    const v = judge(['KERNEL_LZ4'], 'CONFIG_MICROCODE=y\n');
    expect(v.errors).toEqual([]);
    expect(v.notes[0]).toMatch(
      /^CONFIG_KERNEL_LZ4=y \(.*\) ended up not set: no such option in this kernel's Kconfig .*\(a preference: /,
    );
  });

  it('a required option the kernel`s Kconfig does not define (renamed or removed) is a note; the workloads` needs decide', () => {
    const v = judge(['GUP_TEST'], '');
    expect(v.errors).toEqual([]);
    expect(v.notes[0]).toMatch(
      /^CONFIG_GUP_TEST=y .* no such option in this kernel's Kconfig .*\(required here for: /,
    );
  });

  it('an option no list names (a user`s fragment) that the kernel lacks is an error: most likely a typo', () => {
    const requested = [{ name: 'KASN', value: 'y', from: { fragment: 'mine.config', line: 1, value: 'y' } }];
    const final = parseDotConfig('');
    const v = judgeDropped(checkSurvival(requested, final), intent, db, final);
    expect(v.notes).toEqual([]);
    expect(v.errors[0]).toMatch(/^CONFIG_KASN=y \(mine\.config:1\) ended up not set: no such option/);
  });

  it('the default 6.1 configuration has nothing to note: every option survives', () => {
    const final = parseDotConfig(readFileSync('test/fixtures/kconfig-final-6.1.config', 'utf8'));
    expect(checkSurvival(defaults.requested, final)).toEqual([]);
  });
});
