import { describe, expect, it } from 'vitest';
import { explainDropped } from '../../../harness/kconfig/explain.ts';
import { evalExpr, parseExpr } from '../../../harness/kconfig/kconfig-expr.ts';
import { parseKconfigTree } from '../../../harness/kconfig/kconfig-tree.ts';

// A miniature Kconfig tree in the shapes the kernel uses (lib/Kconfig.debug, mm/Kconfig).
const files: Record<string, string> = {
  Kconfig: [
    'mainmenu "test"',
    'source "mm/Kconfig"',
    'source "lib/Kconfig.$(SRCARCH)"',
    'rsource "lib/Kconfig.debug"',
  ].join('\n'),
  'mm/Kconfig': [
    'config MMU',
    '\tdef_bool y',
    'config ARCH_SUPPORTS_MEMORY_FAILURE',
    '\tbool',
    'config MEMORY_FAILURE',
    '\tdepends on MMU',
    '\tdepends on ARCH_SUPPORTS_MEMORY_FAILURE',
    '\tbool "Enable recovery from hardware memory errors"',
    '\thelp',
    '\t  This help mentions depends on NOTHING and must be skipped.',
    '',
    '\t  config FAKE_IN_HELP',
    'config DEVICE_PRIVATE',
    '\tbool "Unaddressable device memory"',
    '\tdepends on ZONE_DEVICE',
    'config ZONE_DEVICE',
    '\tbool "Device memory"',
    '\tdepends on MEMORY_HOTPLUG && \\',
    '\t\tMEMORY_HOTREMOVE',
  ].join('\n'),
  'lib/Kconfig.x86': ['config X86_MCE', '\tbool "MCE"', '\tselect ARCH_SUPPORTS_MEMORY_FAILURE'].join('\n'),
  'lib/Kconfig.debug': [
    'menuconfig RUNTIME_TESTING_MENU',
    '\tbool "Runtime Testing"',
    'if RUNTIME_TESTING_MENU',
    'config TEST_HMM',
    '\ttristate "Test HMM"',
    '\tdepends on DEVICE_PRIVATE',
    '\tselect HMM_MIRROR',
    'endif # RUNTIME_TESTING_MENU',
    'choice',
    '\tprompt "Unwinder"',
    'config UNWINDER_ORC',
    '\tbool "ORC"',
    'config UNWINDER_FRAME_POINTER',
    '\tbool "Frame pointers"',
    'endchoice',
    'menu "Other"',
    '\tdepends on MMU',
    'config CHOICE_HOLDER',
    '\tbool "x"',
    'endmenu',
    'config HMM_MIRROR',
    '\tbool',
  ].join('\n'),
};
const db = parseKconfigTree((p) => files[p]);
const dropped = (name: string, value: string, actual = 'n') => ({
  requested: { name, value, from: { fragment: 'zone-device.config', line: 7, value } },
  actual,
});

describe('parseKconfigTree', () => {
  it('follows source/rsource with $(SRCARCH), skips help text and joins continuation lines', () => {
    expect(db.files).toBe(4);
    expect(db.definitions.has('FAKE_IN_HELP')).toBe(false);
    expect(db.definitions.get('ZONE_DEVICE')![0]!.deps).toHaveLength(1);
    expect(db.definitions.get('MEMORY_FAILURE')![0]!.hasPrompt).toBe(true);
    expect(db.definitions.get('HMM_MIRROR')![0]!.hasPrompt).toBe(false);
    expect(db.selectedBy.get('ARCH_SUPPORTS_MEMORY_FAILURE')!.map((s) => s.by)).toEqual(['X86_MCE']);
  });

  it('gives symbols the deps of enclosing if and menu blocks', () => {
    const hmm = db.definitions.get('TEST_HMM')![0]!;
    expect(hmm.deps).toHaveLength(2);
    expect(db.definitions.get('CHOICE_HOLDER')![0]!.deps).toHaveLength(1);
  });
});

describe('explainDropped', () => {
  it('names the enclosing menu that dropped TEST_HMM', () => {
    const final = new Map([
      ['MMU', 'y'],
      ['DEVICE_PRIVATE', 'y'],
      ['ZONE_DEVICE', 'y'],
    ]);
    const text = explainDropped(db, final, dropped('TEST_HMM', 'm'));
    expect(text).toContain('CONFIG_TEST_HMM=m (zone-device.config:7) ended up not set');
    expect(text).toContain('depends on RUNTIME_TESTING_MENU (=n)');
    expect(text).not.toContain('DEVICE_PRIVATE');
  });

  it('points at the selecting option when the dependency has no prompt', () => {
    const text = explainDropped(db, new Map([['MMU', 'y']]), dropped('MEMORY_FAILURE', 'y'));
    expect(text).toContain('ARCH_SUPPORTS_MEMORY_FAILURE (=n), which only X86_MCE can select');
  });

  it('lists all unmet conjuncts of a && chain with their values', () => {
    const text = explainDropped(db, new Map([['MEMORY_HOTPLUG', 'y']]), dropped('ZONE_DEVICE', 'y'));
    expect(text).toMatch(/depends on MEMORY_HOTREMOVE \(=n\) \[mm\/Kconfig:16\]/);
  });

  it('says a promptless option can only be selected, and by whom', () => {
    expect(explainDropped(db, new Map(), dropped('HMM_MIRROR', 'y'))).toContain(
      'only a select can set it: set one of TEST_HMM',
    );
  });

  it('names the selector that keeps an option on that was asked to be off', () => {
    const final = new Map([
      ['X86_MCE', 'y'],
      ['ARCH_SUPPORTS_MEMORY_FAILURE', 'y'],
    ]);
    expect(explainDropped(db, final, dropped('ARCH_SUPPORTS_MEMORY_FAILURE', 'n', 'y'))).toContain(
      'selected by X86_MCE (=y)',
    );
  });

  it('names the choice member that won over a requested one', () => {
    const final = new Map([['UNWINDER_ORC', 'y']]);
    expect(explainDropped(db, final, dropped('UNWINDER_FRAME_POINTER', 'y'))).toContain(
      'one choice of several and UNWINDER_ORC (=y) was chosen',
    );
  });

  it('says when an option does not exist in this kernel', () => {
    expect(explainDropped(db, new Map(), dropped('NO_SUCH_OPTION', 'y'))).toContain('no such option');
  });
});

describe('kconfig expressions', () => {
  const get = (v: Record<string, string>) => (n: string) => v[n] ?? 'n';
  it('evaluates tristate logic, negation and comparisons', () => {
    expect(evalExpr(parseExpr('A && B'), get({ A: 'y', B: 'm' }))).toBe(1);
    expect(evalExpr(parseExpr('A || !B'), get({ A: 'n', B: 'n' }))).toBe(2);
    expect(evalExpr(parseExpr('(A || B) && C != y'), get({ B: 'y', C: 'm' }))).toBe(2);
    expect(evalExpr(parseExpr('NR = 8'), get({ NR: '8' }))).toBe(2);
    expect(evalExpr(parseExpr('NR >= 16'), get({ NR: '8' }))).toBe(0);
  });
});
