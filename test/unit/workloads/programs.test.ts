import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../../harness/machine/profile.ts';
import { runCapture } from '../../../harness/process/run.ts';
import { countCases, tapCases } from '../../../harness/tap/cases.ts';
import { parseTap } from '../../../harness/tap/parse.ts';
import { harnessCaseNames } from '../../../harness/workloads/kselftest-names.ts';
import { loadWorkloads } from '../../../harness/workloads/load.ts';
import { prepareWorkloads } from '../../../harness/workloads/prepare.ts';
import { compilePlan, keyName, parseMakeRule, programKey } from '../../../harness/workloads/program-build.ts';
import { buildProgram, helperScripts, PROBES_DIR } from '../../../harness/workloads/programs.ts';

// Every probe is compiled for real (gcc -static -O2 -Wall -Werror), against the 6.1.192
// uapi headers laid out like a build's ksrc, and asked for its case list.
const ksrc = join(import.meta.dirname, '..', '..', 'fixtures', 'tap', 'ksrc-6.1.192');
const cache = mkdtempSync(join(tmpdir(), 'zdh-programs-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const probes = readdirSync(PROBES_DIR)
  .filter((f) => f.endsWith('.c'))
  .sort();

// The case names are the probes' own: buildProgram asks each built probe (--list) and the
// plan expects those. The tests keep no copy of them; they check what the lists must be.
const caseName = /^[a-z0-9_]+$/; // one word: no space or '#' to confuse a TAP line
const listed = async (bin: string): Promise<string[]> =>
  (await runCapture(bin, ['--list'])).split('\n').filter((l) => l !== '');
/** A probe's output with no options (none of its devices or folders given), whatever its exit status. */
const runBare = (bin: string): string => spawnSync(bin, [], { encoding: 'utf8', timeout: 30_000 }).stdout;
const build6_1 = (name: string, source: string) =>
  buildProgram({ name, from: 'probe', source }, ksrc, { cache });

describe('guest probes', () => {
  it('are each the program of a workload, and every probe a workload names is here', () => {
    const declared = loadWorkloads().flatMap((w) =>
      (w.programs ?? []).filter((p) => p.from === 'probe').map((p) => p.source ?? `${p.name}.c`),
    );
    expect([...new Set(declared)].sort()).toEqual(probes);
  });

  for (const source of probes) {
    const name = source.replace(/\.c$/, '');
    it(`${name} builds statically with -Wall -Werror, lists its cases, and is cached by content`, async () => {
      const built = await build6_1(name, source);
      expect(built.cached).toBe(false);
      const cases = built.cases ?? [];
      expect(cases.length).toBeGreaterThan(0);
      expect(new Set(cases).size).toBe(cases.length);
      for (const c of cases) expect(c).toMatch(caseName);
      expect(cases).toEqual(await listed(built.hostPath));
      expect(built.guestPath).toBe(`/usr/lib/zdh/bin/${name}`);
      const elf = await runCapture('readelf', ['-l', built.hostPath]);
      expect(elf).not.toMatch(/INTERP/); // static: no dynamic loader in the guest needed
      const again = await build6_1(name, source);
      expect(again).toMatchObject({
        cached: true,
        key: built.key,
        hostPath: built.hostPath,
        cases: built.cases,
      });
      // Run, it reports exactly the cases it lists, in that order, under a plan of that many,
      // and the harness's parser finds each of them.
      const out = runBare(built.hostPath);
      expect(out).toMatch(new RegExp(`^KTAP version 1\n1\\.\\.${cases.length}\n`));
      expect([...out.matchAll(/^(?:not )?ok (\d+) (\S+)/gm)].map((m) => [Number(m[1]), m[2]])).toEqual(
        cases.map((c, i) => [i + 1, c]),
      );
      const parsed = tapCases(parseTap(out), { expected: cases });
      expect(parsed.map((c) => c.name)).toEqual(cases);
      // Given none of what they need, no case passes: each says why it cannot run, or fails.
      expect(countCases(parsed)).toMatchObject({ pass: 0, missing: 0 });
      // A case with no way to run says so, instead of passing.
      const only = await runCapture(built.hostPath, ['--only', cases[0]!]).catch((e: Error) => e.message);
      expect(only).toMatch(/KTAP version 1\n1\.\.1\n/);
      expect(only).not.toMatch(/^ok 1 [^#]*$/m);
    }, 60_000);
  }

  // The same probes against the uapi headers of 6.12.118 and of mainline (the folders' README
  // says where each header comes from): test_hmm_uapi.h differs between them (mainline adds
  // HMM_DMIRROR_FLAGS), and a probe must build against every tree it is run on.
  for (const tree of ['ksrc-6.12.118', 'ksrc-mainline']) {
    const treeKsrc = join(import.meta.dirname, '..', '..', 'fixtures', 'tap', tree);
    for (const source of probes) {
      const name = source.replace(/\.c$/, '');
      it(`${name} builds against ${tree} and lists the same cases`, async () => {
        const built = await buildProgram({ name, from: 'probe', source }, treeKsrc, { cache });
        expect(built.cases).toEqual((await build6_1(name, source)).cases);
      }, 60_000);
    }
  }

  it('a test_hmm_uapi.h without HMM_DMIRROR_RELEASE builds zdh-hmm-stress, whose release case then skips', async () => {
    const src = join(import.meta.dirname, '..', '..', 'fixtures', 'tap', 'ksrc-6.12.118');
    const tree = join(cache, 'ksrc-no-release');
    mkdirSync(join(tree, 'lib'), { recursive: true });
    mkdirSync(join(tree, 'mm'), { recursive: true });
    const header = readFileSync(join(src, 'lib', 'test_hmm_uapi.h'), 'utf8');
    const stripped = header.replace(/^#define HMM_DMIRROR_RELEASE\b.*\n/m, '');
    expect(stripped).not.toBe(header);
    writeFileSync(join(tree, 'lib', 'test_hmm_uapi.h'), stripped);
    writeFileSync(join(tree, 'mm', 'gup_test.h'), readFileSync(join(src, 'mm', 'gup_test.h')));
    const program = { name: 'zdh-hmm-stress', from: 'probe' as const, source: 'zdh-hmm-stress.c' };
    const built = await buildProgram(program, tree, { cache });
    const withRelease = await buildProgram(program, src, { cache });
    expect(built.cases).toEqual(withRelease.cases);
    expect(built.cases).toContain('device_release_with_pages');
    const out = await runCapture(built.hostPath, ['--only', 'device_release_with_pages']);
    expect(out).toMatch(
      /^ok 1 device_release_with_pages # SKIP this tree's lib\/test_hmm_uapi.h has no HMM_DMIRROR_RELEASE$/m,
    );
  }, 60_000);

  it('a probe that does not compile is an error naming the compiler message', async () => {
    const err = await buildProgram(
      { name: 'nope', from: 'probe', source: 'zdh-probe.h', libs: ['-lnosuchlib'] },
      ksrc,
      {
        cache,
      },
    ).catch((e: Error & { details?: string[] }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot build probe nope: gcc exited with 1/);
  });

  it('helper scripts are installed without their .sh', () => {
    expect(helperScripts().map((h) => h.guestPath)).toEqual([
      '/usr/lib/zdh/bin/zdh-hmm',
      '/usr/lib/zdh/bin/zdh-pmem',
    ]);
  });
});

describe('prepareWorkloads (declarations + programs + plan)', () => {
  const config = join(cache, 'config');
  writeFileSync(
    config,
    'CONFIG_DEV_DAX=y\nCONFIG_DEV_DAX_PMEM=y\nCONFIG_DEV_DAX_KMEM=y\nCONFIG_MEMORY_HOTPLUG=y\n',
  );

  it('builds what the runnable workloads need and plans their steps; skips the rest with reasons', async () => {
    const plan = await prepareWorkloads(
      [{ name: 'devdax' }, { name: 'hmm-stress' }],
      { ksrc, config },
      loadProfile('default'),
      {
        cache,
      },
    );
    expect(plan.steps.map((s) => s.name)).toEqual(['devdax']);
    expect(plan.skipped).toEqual([
      {
        name: 'hmm-stress',
        reasons: [
          "needs CONFIG_TEST_HMM=y or m in the kernel's .config",
          "needs CONFIG_DEVICE_PRIVATE=y or m in the kernel's .config",
          "needs CONFIG_CROSS_MEMORY_ATTACH=y or m in the kernel's .config",
        ],
      },
    ]);
    const devdax = plan.files.find((f) => f.guestPath === '/usr/lib/zdh/bin/zdh-devdax');
    expect(devdax?.hostPath?.startsWith(join(cache, 'probes'))).toBe(true);
    // The plan expects what the probe it ships lists.
    expect(plan.workloads[0]!.expectedCases).toEqual(await listed(devdax!.hostPath!));
  }, 60_000);

  it('a kselftest missing from the tree under test is an error naming where it looked', async () => {
    const err = await buildProgram({ name: 'hmm-tests', from: 'kselftest', dirs: ['vm', 'mm'] }, ksrc, {
      cache,
    }).catch((e: Error & { details: string[] }) => e);
    expect((err as Error).message).toBe(
      'the kernel tree under test has no hmm-tests.c for kselftest hmm-tests',
    );
    expect((err as { details: string[] }).details).toEqual([
      `looked in ${ksrc}/tools/testing/selftests/vm`,
      `looked in ${ksrc}/tools/testing/selftests/mm`,
    ]);
  });
});

describe('program build plans and keys', () => {
  it('compile probes in guests/probes and kselftests in their own folder', () => {
    expect(compilePlan({ name: 'zdh-gup', from: 'probe' }, { probesDir: '/p', ksrc: '/k' }).args).toEqual([
      '-static',
      '-O2',
      '-Wall',
      '-Werror',
      '-I',
      '/p',
      '-I',
      '/k',
      'zdh-gup.c',
      '-lpthread',
    ]);
    const k = compilePlan(
      { name: 'hmm-tests', from: 'kselftest', dirs: ['vm', 'mm'] },
      { probesDir: '/p', ksrc: '/k', kselftestDir: '/k/tools/testing/selftests/vm' },
    );
    expect(k).toMatchObject({
      cwd: '/k/tools/testing/selftests/vm',
      source: 'hmm-tests.c',
      args: [
        '-static',
        '-O2',
        '-I',
        '/k',
        '-I',
        '/k/tools/testing/selftests',
        '-I',
        '/k/tools/testing/selftests/vm',
        'hmm-tests.c',
        '-lpthread',
        '-lrt',
      ],
    });
  });

  it('read gcc -MM rules and name dependencies without host paths', () => {
    expect(
      parseMakeRule(
        'hmm-tests.o: hmm-tests.c ../kselftest_harness.h ../kselftest.h \\\n /b/ksrc/lib/test_hmm_uapi.h\n',
      ),
    ).toEqual(['hmm-tests.c', '../kselftest_harness.h', '../kselftest.h', '/b/ksrc/lib/test_hmm_uapi.h']);
    const roots = {
      cwd: '/b/ksrc/tools/testing/selftests/vm',
      ksrc: '/b/ksrc',
      probesDir: '/repo/guests/probes',
    };
    expect(keyName('../kselftest.h', roots)).toBe('<ksrc>/tools/testing/selftests/kselftest.h');
    expect(keyName('/b/ksrc/lib/test_hmm_uapi.h', roots)).toBe('<ksrc>/lib/test_hmm_uapi.h');
    expect(keyName('/repo/guests/probes/zdh-probe.h', roots)).toBe('<probes>/zdh-probe.h');
  });

  it('change with the bytes of any dependency, not with where the cache or the tree is', () => {
    const p = { name: 'x', from: 'probe' as const };
    const plan = compilePlan(p, { probesDir: '/a', ksrc: '/k1' });
    const moved = compilePlan(p, { probesDir: '/b', ksrc: '/k2' });
    const deps = [{ name: '<probes>/x.c', bytes: Buffer.from('int main(){}') }];
    const key = programKey(p, 'gcc 12', plan, deps);
    expect(programKey(p, 'gcc 12', moved, deps)).toBe(key);
    expect(
      programKey(p, 'gcc 12', plan, [{ name: '<probes>/x.c', bytes: Buffer.from('int main(){return 1;}') }]),
    ).not.toBe(key);
    expect(programKey(p, 'gcc 13', plan, deps)).not.toBe(key);
  });
});

describe('kselftest_harness case names from the source', () => {
  it('fixtures x variants x tests, in declaration order; TEST() belongs to "global"', () => {
    const src = `
#include "../kselftest_harness.h"
FIXTURE(a) { int fd; };
FIXTURE_VARIANT(a) { int x; };
FIXTURE_VARIANT_ADD(a, one) { .x = 1 };
FIXTURE_VARIANT_ADD(a, two) { .x = 2 };
FIXTURE(b) { int fd; };
/* TEST_F(a, commented_out) */
TEST_F(a, first) {}
TEST_F_TIMEOUT(b, slow, 60) {}
TEST(plain) {}
TEST_F(a, second) {}
// TEST_F(b, also_commented)
TEST_SIGNAL(crashes, SIGSEGV) {}
`;
    expect(harnessCaseNames(src)).toEqual([
      'a.one.first',
      'a.one.second',
      'a.two.first',
      'a.two.second',
      'b.slow',
      'global.plain',
      'global.crashes',
    ]);
  });

  it('TEST_F_TIMEOUT(fixture, name, timeout) and declarations spread over lines', () => {
    const src = `
FIXTURE(f) {};
FIXTURE_VARIANT(f) { int x; };
FIXTURE_VARIANT_ADD(f,
\t\t    v1) { .x = 1 };
TEST_F(f,
       multi_line) {}
TEST_F_TIMEOUT(f, slow, 120)
{
}
TEST_F_SIGNAL(f, crashes, SIGABRT) {}
`;
    expect(harnessCaseNames(src)).toEqual(['f.v1.multi_line', 'f.v1.slow', 'f.v1.crashes']);
  });

  it('the names derived from 6.1.192 hmm-tests.c are the ones the real run reported, in order', () => {
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'tap');
    const derived = harnessCaseNames(readFileSync(join(dir, 'hmm-tests-6.1.192-declarations.c'), 'utf8'));
    const tap = readFileSync(join(dir, 'hmm-tests-6.1.192-thp-always.tap'), 'utf8');
    const reported = [...tap.matchAll(/^(?:not )?ok \d+ (\S+)$/gm)].map((m) => m[1]);
    expect(derived).toHaveLength(58);
    expect(reported).toEqual(derived);
    expect(readFileSync(join(dir, 'hmm-tests-6.1.192.names'), 'utf8').trim().split('\n')).toEqual(derived);
  });

  // The counts below come from reading the sources, not from harnessCaseNames: each fixture
  // runs each of its tests once per FIXTURE_VARIANT_ADD (kselftest_harness.h), and
  // TEST_F_TIMEOUT(fixture, name, timeout) is a test of its fixture like TEST_F.
  const hmm61 = [
    'open_close',
    'anon_read',
    'anon_read_prot',
    'anon_write',
    'anon_write_prot',
    'anon_write_child',
    'anon_write_child_shared',
    'anon_write_huge',
    'anon_write_hugetlbfs',
    'file_read',
    'file_write',
    'migrate',
    'migrate_file_private',
    'migrate_fault',
    'migrate_release',
    'migrate_shared',
    'migrate_multiple',
    'anon_read_multiple',
    'anon_teardown',
    'mixedmap',
    'compound',
    'exclusive',
    'exclusive_mprotect',
    'exclusive_cow',
    'hmm_gup_test',
    'hmm_cow_in_device',
  ];
  const hmm2 = ['migrate_mixed', 'snapshot', 'double_map'];
  const cases = (hmm: string[]): string[] => [
    ...['hmm_device_private', 'hmm_device_coherent'].flatMap((v) => hmm.map((t) => `hmm.${v}.${t}`)),
    ...['hmm2_device_private', 'hmm2_device_coherent'].flatMap((v) => hmm2.map((t) => `hmm2.${v}.${t}`)),
  ];
  const tapDir = join(import.meta.dirname, '..', '..', 'fixtures', 'tap');

  it('6.12.118 hmm-tests.c: 29 TEST_F (26 hmm, 3 hmm2), 2 variants each: 58 cases, the names 6.1 reports', () => {
    const decl = readFileSync(join(tapDir, 'hmm-tests-6.12.118-declarations.c'), 'utf8');
    expect(decl.match(/^TEST_F\(hmm,/gm)).toHaveLength(26);
    expect(decl.match(/^TEST_F\(hmm2,/gm)).toHaveLength(3);
    expect(decl.match(/^FIXTURE_VARIANT_ADD\(/gm)).toHaveLength(4);
    const derived = harnessCaseNames(decl);
    expect(derived).toHaveLength(58);
    expect([...derived].sort()).toEqual(cases(hmm61).sort());
    expect(derived).toEqual(readFileSync(join(tapDir, 'hmm-tests-6.1.192.names'), 'utf8').trim().split('\n'));
  });

  it('mainline hmm-tests.c (0eaed89c): 37 TEST_F + 1 TEST_F_TIMEOUT, 2 variants each: 76 cases', () => {
    const decl = readFileSync(join(tapDir, 'hmm-tests-mainline-0eaed89c-declarations.c'), 'utf8');
    expect(decl.match(/^TEST_F\(/gm)).toHaveLength(37);
    expect(decl.match(/^TEST_F_TIMEOUT\(/gm)).toHaveLength(1);
    // 6.1's 26 hmm tests, then the device-private THP migration tests and the benchmark.
    const hmmMainline = [
      ...hmm61,
      'migrate_anon_huge_empty',
      'migrate_anon_huge_zero',
      'migrate_anon_huge_free',
      'migrate_anon_huge_fault',
      'migrate_partial_unmap_fault',
      'migrate_remap_fault',
      'migrate_anon_huge_err',
      'migrate_anon_huge_zero_err',
      'benchmark_thp_migration',
    ];
    expect(hmmMainline).toHaveLength(35);
    const derived = harnessCaseNames(decl);
    expect(derived).toHaveLength((35 + 3) * 2);
    expect([...derived].sort()).toEqual(cases(hmmMainline).sort());
    // In run order: every hmm test of the private variant, the coherent variant, then hmm2.
    expect(derived[0]).toBe('hmm.hmm_device_private.open_close');
    expect(derived[12]).toBe('hmm.hmm_device_private.migrate_file_private');
    expect(derived[34]).toBe('hmm.hmm_device_private.benchmark_thp_migration');
    expect(derived[35]).toBe('hmm.hmm_device_coherent.open_close');
    expect(derived[70]).toBe('hmm2.hmm2_device_private.migrate_mixed');
    expect(derived[75]).toBe('hmm2.hmm2_device_coherent.double_map');
  });
});
