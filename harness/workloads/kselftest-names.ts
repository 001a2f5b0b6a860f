/**
 * The case names a kselftest_harness.h program reports, in the order it runs them,
 * read from its C source. Pure.
 *
 * Linux 6.1 programs have no way to list their cases (no -l; 6.12's harness has one), so
 * a case that never reported (a crash, a timeout) would otherwise only be a number. The
 * harness registers fixtures, variants and tests with constructors in source order and runs:
 *   for each fixture, for each of its variants (or none), for each of its tests:
 *     <fixture>[.<variant>].<test>
 * TEST()/TEST_SIGNAL() belong to the implicit fixture "global"; TEST_F_SIGNAL(f, t, signal)
 * and TEST_F_TIMEOUT(f, t, timeout) are tests of fixture f like TEST_F(f, t). A declaration
 * may span lines. hmm-tests: 58 cases in 6.1 and 6.12, 76 in mainline (35 hmm tests with
 * the device-private THP ones and TEST_F_TIMEOUT(hmm, benchmark_thp_migration, 120)).
 */

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

export function harnessCaseNames(source: string): string[] {
  const src = stripComments(source);
  const fixtures: string[] = [];
  const variants = new Map<string, string[]>();
  const tests = new Map<string, string[]>();
  const addFixture = (f: string): void => {
    if (!fixtures.includes(f)) fixtures.push(f);
  };
  const re =
    /^[ \t]*(FIXTURE|FIXTURE_VARIANT_ADD|TEST_F|TEST_F_SIGNAL|TEST_F_TIMEOUT|TEST|TEST_SIGNAL)\(\s*(\w+)\s*(?:,\s*(\w+))?[^)]*\)/gm;
  for (const m of src.matchAll(re)) {
    const kind = m[1]!;
    const a = m[2]!;
    const b = m[3];
    switch (kind) {
      case 'FIXTURE':
        addFixture(a);
        break;
      case 'FIXTURE_VARIANT_ADD':
        if (b !== undefined) variants.set(a, [...(variants.get(a) ?? []), b]);
        break;
      case 'TEST_F':
      case 'TEST_F_SIGNAL':
      case 'TEST_F_TIMEOUT':
        if (b !== undefined) tests.set(a, [...(tests.get(a) ?? []), b]);
        break;
      case 'TEST':
      case 'TEST_SIGNAL':
        addFixture('global');
        tests.set('global', [...(tests.get('global') ?? []), a]);
        break;
    }
  }
  const out: string[] = [];
  for (const f of fixtures) {
    const vs = variants.get(f) ?? [''];
    for (const v of vs) {
      for (const t of tests.get(f) ?? []) out.push(v === '' ? `${f}.${t}` : `${f}.${v}.${t}`);
    }
  }
  return out;
}
