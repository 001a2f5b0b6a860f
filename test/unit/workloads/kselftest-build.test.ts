import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KSRC_PATHS } from '../../../harness/build/build-kernel.ts';
import { runCapture } from '../../../harness/process/run.ts';
import { loadWorkloads } from '../../../harness/workloads/load.ts';
import {
  compileFailureSummary,
  compilePlan,
  dependencyIncludes,
  kselftestExtraSources,
  parseMakeRule,
  planSources,
} from '../../../harness/workloads/program-build.ts';
import { buildProgram } from '../../../harness/workloads/programs.ts';
import type { ProgramDecl } from '../../../harness/workloads/types.ts';

// Kselftests are compiled as their selftests Makefile does: the include folders of its
// CFLAGS and lib.mk, and the extra sources its rules link into the program.

const work = mkdtempSync(join(tmpdir(), 'zdh-kselftest-'));
// The folder holds copied kernel trees: removing it takes more than vitest's 10 s on a busy machine.
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

/** The hmm-tests program as kselftests/hmm-tests.yaml declares it. */
const hmmTests = (): ProgramDecl => {
  const w = loadWorkloads().find((x) => x.name === 'hmm-tests');
  const p = w?.programs?.find((x) => x.name === 'hmm-tests');
  if (!p) throw new Error('no hmm-tests program in kselftests/hmm-tests.yaml');
  return p;
};

type ZdhErr = Error & { details: string[]; hint?: string };
const failure = (p: Promise<unknown>): Promise<ZdhErr> =>
  p.then(
    () => {
      throw new Error('expected the build to fail');
    },
    (e: ZdhErr) => e,
  );

describe('the extra sources a selftests Makefile links into a program', () => {
  // Rule lines as they stand in each tree's tools/testing/selftests/{vm,mm}/Makefile.
  const v61 = `
TEST_GEN_FILES = compaction_test
TEST_GEN_FILES += gup_test
TEST_GEN_FILES += hmm-tests
TEST_GEN_PROGS = madv_populate
TEST_GEN_PROGS += soft-dirty
include ../lib.mk

$(OUTPUT)/khugepaged: vm_util.c
$(OUTPUT)/madv_populate: vm_util.c
$(OUTPUT)/soft-dirty: vm_util.c
$(OUTPUT)/mlock-random-test $(OUTPUT)/memfd_secret: LDLIBS += -lcap
$(BINARIES_32): CFLAGS += -m32 -mxsave
$(BINARIES_32): $(OUTPUT)/%_32: %.c
\t$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(notdir $^) $(LDLIBS) -o $@
`;
  const v612 = `
TEST_GEN_FILES = cow
TEST_GEN_FILES += hmm-tests
TEST_GEN_FILES += uffd-stress
include ../lib.mk

$(TEST_GEN_PROGS): vm_util.c thp_settings.c
$(TEST_GEN_FILES): vm_util.c thp_settings.c

$(OUTPUT)/uffd-stress: uffd-common.c
$(OUTPUT)/uffd-unit-tests: uffd-common.c
`;
  const mainline = `
TEST_GEN_FILES = cow
TEST_GEN_FILES += hmm-tests
TEST_GEN_FILES += uffd-stress
ifneq (,$(filter $(ARCH),arm64 riscv riscv64 x86 x86_64 loongarch32 loongarch64))
TEST_GEN_FILES += memfd_secret
endif
include ../lib.mk

$(TEST_GEN_PROGS): vm_util.c hugepage_settings.c
$(TEST_GEN_FILES): vm_util.c hugepage_settings.c

$(OUTPUT)/uffd-stress: uffd-common.c
$(OUTPUT)/protection_keys: pkey_util.c
$(BINARIES_32) $(BINARIES_64): pkey_util.c
warn_32bit_failure:
\t@echo "Warning: you seem to have a broken 32-bit build" 2>&1;\t\t\\
\techo  "try:"; 2>&1;
`;

  it('6.1: hmm-tests has none; programs with their own rule get theirs', () => {
    expect(kselftestExtraSources(v61, 'hmm-tests')).toEqual([]);
    expect(kselftestExtraSources(v61, 'madv_populate')).toEqual(['vm_util.c']);
    expect(kselftestExtraSources(v61, 'memfd_secret')).toEqual([]); // LDLIBS, not a source
  });

  it('6.12 and mainline: every program of TEST_GEN_FILES gets the helpers, in rule order', () => {
    expect(kselftestExtraSources(v612, 'hmm-tests')).toEqual(['vm_util.c', 'thp_settings.c']);
    expect(kselftestExtraSources(v612, 'uffd-stress')).toEqual([
      'vm_util.c',
      'thp_settings.c',
      'uffd-common.c',
    ]);
    expect(kselftestExtraSources(mainline, 'hmm-tests')).toEqual(['vm_util.c', 'hugepage_settings.c']);
    expect(kselftestExtraSources(mainline, 'memfd_secret')).toEqual(['vm_util.c', 'hugepage_settings.c']);
    // Not in any list the rules name, no rule of its own: nothing.
    expect(kselftestExtraSources(mainline, 'protection_keys_32')).toEqual([]);
    expect(kselftestExtraSources(mainline, 'not-a-test')).toEqual([]);
  });

  it('reads continued lines and ignores comments', () => {
    const mk =
      'TEST_GEN_FILES := a \\\n\thmm-tests # the HMM tests\n# $(TEST_GEN_FILES): old.c\n$(TEST_GEN_FILES): \\\n  x.c y.c\n';
    expect(kselftestExtraSources(mk, 'hmm-tests')).toEqual(['x.c', 'y.c']);
  });
});

describe('kselftest compile plans', () => {
  const decl = { name: 'hmm-tests', from: 'kselftest' as const, dirs: ['vm', 'mm'] };
  const at = (ksrc: string) =>
    compilePlan(decl, {
      probesDir: '/p',
      ksrc,
      kselftestDir: `${ksrc}/tools/testing/selftests/mm`,
      extraSources: ['vm_util.c', 'hugepage_settings.c'],
      toolsUapi: true,
    });

  it('search ksrc, the selftests folder, the test folder, then tools/include/uapi as system headers', () => {
    const plan = at('/k');
    const incl = dependencyIncludes(plan.args);
    expect(incl).toEqual([
      '-I',
      '/k',
      '-I',
      '/k/tools/testing/selftests',
      '-I',
      '/k/tools/testing/selftests/mm',
      '-I',
      '/k/tools/include/uapi',
    ]);
    expect(plan.args[plan.args.indexOf('/k/tools/include/uapi') - 1]).toBe('-isystem');
    expect(planSources(plan)).toEqual(['hmm-tests.c', 'vm_util.c', 'hugepage_settings.c']);
    // Every source is compiled and linked, before the libraries.
    expect(plan.args.indexOf('hugepage_settings.c')).toBeLessThan(plan.args.indexOf('-lpthread'));
  });

  it('name no host path in the key, so a moved tree keeps its key', () => {
    expect(at('/a/ksrc').keyArgs).toEqual(at('/b/other').keyArgs);
    expect(at('/a/ksrc').keyArgs.join(' ')).not.toMatch(/\/a\//);
  });

  it('without tools/include/uapi in ksrc, no -isystem', () => {
    const plan = compilePlan(decl, {
      probesDir: '/p',
      ksrc: '/k',
      kselftestDir: '/k/tools/testing/selftests/vm',
    });
    expect(plan.args).not.toContain('-isystem');
    expect(planSources(plan)).toEqual(['hmm-tests.c']);
  });

  it('gcc -MM of several sources: every file once', () => {
    expect(
      parseMakeRule(
        'hmm-tests.o: hmm-tests.c ../kselftest.h \\\n vm_util.h\nvm_util.o: vm_util.c vm_util.h \\\n ../kselftest.h\n',
      ),
    ).toEqual(['hmm-tests.c', '../kselftest.h', 'vm_util.h', 'vm_util.c']);
  });

  it('a failed compile names the headers and symbols it lacks', () => {
    expect(
      compileFailureSummary([
        'hmm-tests.c:14:10: fatal error: hugepage_settings.h: No such file or directory',
        "/usr/bin/ld: /tmp/cc1.o: in function `hmm_anon_write_child':",
        "hmm-tests.c:(.text+0x1d2): undefined reference to `read_pmd_pagesize'",
        "hmm-tests.c:(.text+0x2d2): undefined reference to `read_pmd_pagesize'",
        'collect2: error: ld returned 1 exit status',
      ]),
    ).toEqual(['missing header hugepage_settings.h', 'undefined symbol read_pmd_pagesize']);
  });
});

// 6.1 and 6.12 for real: a ksrc as `zdh build` makes it (KSRC_PATHS) from the Debian source
// tarballs. Unpacking reads the whole tarball (about 25 s each), so once for the file.
const tarballs = [
  { tree: '6.1', tarball: '/usr/src/linux-source-6.1.tar.xz', dir: 'vm', extra: [] as string[] },
  {
    tree: '6.12',
    tarball: '/usr/src/linux-source-6.12.tar.xz',
    dir: 'mm',
    extra: ['vm_util.c', 'thp_settings.c'],
  },
];
const haveTarballs = tarballs.every((t) => existsSync(t.tarball));

describe.skipIf(!haveTarballs)('hmm-tests of 6.1 and 6.12, compiled as their Makefiles do', () => {
  const ksrcOf = (tree: string): string => join(work, `ksrc-${tree}`);
  beforeAll(async () => {
    await Promise.all(
      tarballs.map(async (t) => {
        const top = `linux-source-${t.tree}`;
        mkdirSync(ksrcOf(t.tree), { recursive: true });
        await runCapture(
          'tar',
          [
            '-xJf',
            t.tarball,
            '-C',
            ksrcOf(t.tree),
            '--strip-components=1',
            ...KSRC_PATHS.map((p) => `${top}/${p}`),
          ],
          { timeoutMs: 170_000 },
        );
      }),
    );
  }, 180_000);

  for (const t of tarballs) {
    it(`${t.tree}: builds statically with ${t.extra.length > 0 ? t.extra.join(' and ') : 'no extra sources'}, and runs its 58 cases`, async () => {
      const cache = join(work, `cache-${t.tree}`);
      const progress: string[] = [];
      const built = await buildProgram(hmmTests(), ksrcOf(t.tree), {
        cache,
        onProgress: (m) => progress.push(m),
      });
      expect(built.cached).toBe(false);
      expect(built.cases).toHaveLength(58);
      const meta = JSON.parse(readFileSync(join(dirname(built.hostPath), 'program.json'), 'utf8')) as {
        args: string[];
      };
      for (const f of t.extra) expect(meta.args).toContain(f);
      expect(meta.args.filter((a) => a.endsWith('.c'))).toEqual(['hmm-tests.c', ...t.extra]);
      expect(await runCapture('readelf', ['-l', built.hostPath])).not.toMatch(/INTERP/);
      // No /dev/hmm_dmirror* here: every case fails or skips in its set-up, but the binary
      // links, runs, and reports the cases the source declares, in order.
      const out = await runCapture('sh', ['-c', `cd ${work} && ${built.hostPath} 2>&1; true`], {
        timeoutMs: 120_000,
      });
      expect(out).toMatch(/^1\.\.58$/m);
      expect([...out.matchAll(/^(?:not )?ok \d+ (\S+)/gm)].map((m) => m[1])).toEqual(built.cases);
      expect(progress.join('\n')).not.toMatch(/build --force/);
    }, 180_000);
  }

  it('6.12: the key covers the extra sources and the tools/include/uapi headers', async () => {
    const ksrc = ksrcOf('6.12');
    const cache = join(work, 'cache-6.12-key');
    const first = await buildProgram(hmmTests(), ksrc, { cache });
    const edit = async (rel: string): Promise<string> => {
      const file = join(ksrc, rel);
      const before = readFileSync(file);
      writeFileSync(file, Buffer.concat([before, Buffer.from('\n/* edited */\n')]));
      try {
        const b = await buildProgram(hmmTests(), ksrc, { cache });
        expect(b.cached).toBe(false);
        return b.key;
      } finally {
        writeFileSync(file, before);
      }
    };
    const keys = [
      first.key,
      await edit('tools/testing/selftests/mm/thp_settings.c'),
      await edit('tools/testing/selftests/mm/vm_util.h'),
      await edit('tools/include/uapi/linux/fs.h'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(await buildProgram(hmmTests(), ksrc, { cache })).toMatchObject({ cached: true, key: first.key });
  }, 180_000);

  it('6.12 with a ksrc made before zdh copied tools/include: built alone, with a note to rebuild', async () => {
    const old = join(work, 'ksrc-6.12-old');
    cpSync(ksrcOf('6.12'), old, { recursive: true });
    rmSync(join(old, 'tools', 'include'), { recursive: true });
    const progress: string[] = [];
    const built = await buildProgram(hmmTests(), old, {
      cache: join(work, 'cache-6.12-old'),
      onProgress: (m) => progress.push(m),
    });
    expect(built.cases).toHaveLength(58);
    const note = progress.find((m) => m.includes('zdh build --force'));
    expect(note).toMatch(/vm_util\.c/);
    expect(note).toMatch(/tools\/include\/uapi/);
  }, 180_000);
});

// Mainline's layout with small stand-ins (not mainline's files): hmm-tests.c includes
// "kselftest_harness.h" and "hugepage_settings.h" from the selftests and mm folders and
// <mm/vm_util.h>, and calls helpers that only the sources the Makefile names define;
// vm_util.c needs the tree's own <linux/fs.h> (tools/include/uapi), which has a struct the
// host's may lack.
describe('a mainline-shaped hmm-tests', () => {
  const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'tap', 'ksrc-mainline');
  const makefile = `TEST_GEN_FILES = cow
TEST_GEN_FILES += hmm-tests
include ../lib.mk

$(TEST_GEN_PROGS): vm_util.c hugepage_settings.c
$(TEST_GEN_FILES): vm_util.c hugepage_settings.c

$(OUTPUT)/uffd-stress: uffd-common.c
`;
  const files: Record<string, string> = {
    'tools/testing/selftests/kselftest.h':
      '#include <stdio.h>\n#define ksft_print_msg(...) printf("# " __VA_ARGS__)\n',
    'tools/testing/selftests/kselftest_harness.h':
      '#include "kselftest.h"\n#define TEST_HARNESS_MAIN int main(void) { return run(); }\n',
    'tools/testing/selftests/mm/vm_util.h':
      '#include <stdint.h>\n#include "../kselftest.h"\nuint64_t read_pmd_pagesize(void);\n',
    'tools/testing/selftests/mm/vm_util.c':
      '#include <linux/fs.h>\n#include "vm_util.h"\nuint64_t read_pmd_pagesize(void)\n{\n\tstruct zdh_tree_only q = { .size = 2097152 };\n\treturn q.size;\n}\n',
    'tools/testing/selftests/mm/hugepage_settings.h':
      'int hugetlb_setup_default(unsigned long nr);\n#define HUGETLB_SETUP_DEFAULT_PAGES(n) \\\nstatic void __attribute__((constructor)) setup(void) { hugetlb_setup_default(n); }\n',
    'tools/testing/selftests/mm/hugepage_settings.c':
      '#include <stdio.h>\n#include "hugepage_settings.h"\nint hugetlb_setup_default(unsigned long nr)\n{\n\treturn printf("# hugetlb pages: %lu\\n", nr);\n}\n',
    'tools/testing/selftests/mm/hmm-tests.c': `#include "kselftest_harness.h"
#include "hugepage_settings.h"
#include <lib/test_hmm_uapi.h>
#include <mm/gup_test.h>
#include <mm/vm_util.h>

HUGETLB_SETUP_DEFAULT_PAGES(1)

static int run(void)
{
\tksft_print_msg("pmd %llu read %lu\\n", (unsigned long long)read_pmd_pagesize(), (unsigned long)HMM_DMIRROR_READ);
\treturn 0;
}

TEST_HARNESS_MAIN
`,
    // The tree's uapi header, not the host's: a struct no host header has.
    'tools/include/uapi/linux/fs.h':
      '#ifndef ZDH_TREE_FS_H\n#define ZDH_TREE_FS_H\nstruct zdh_tree_only { unsigned long long size; };\n#endif\n',
    'tools/testing/selftests/mm/Makefile': makefile,
  };
  let n = 0;
  const tree = (change: (root: string) => void = () => {}): string => {
    const root = join(work, `mainline-${n++}`);
    cpSync(fixtures, root, { recursive: true });
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    }
    change(root);
    return root;
  };
  const mm = (root: string, f: string): string => join(root, 'tools/testing/selftests/mm', f);

  it("finds, compiles and links the sources the Makefile names, against the tree's uapi headers", async () => {
    const built = await buildProgram(hmmTests(), tree(), { cache: join(work, 'cache-mainline') });
    const out = await runCapture(built.hostPath, []);
    // hugepage_settings.c's constructor ran, vm_util.c's helper answered, test_hmm_uapi.h was found.
    expect(out).toMatch(/^# hugetlb pages: 1$/m);
    expect(out).toMatch(/^# pmd 2097152 read \d+$/m);
  }, 60_000);

  it('without the Makefile rule: an error naming the symbols nothing defines', async () => {
    const root = tree((r) =>
      writeFileSync(mm(r, 'Makefile'), makefile.replace(/^\$\(TEST_GEN_\w+\):.*\n/gm, '')),
    );
    const err = await failure(buildProgram(hmmTests(), root, { cache: join(work, 'cache-mainline') }));
    expect(err.message).toMatch(/^cannot build kselftest hmm-tests: gcc exited with 1 \(.*\)$/);
    expect(err.message).toMatch(/undefined symbol read_pmd_pagesize/);
    expect(err.message).toMatch(/undefined symbol hugetlb_setup_default/);
    expect(err.details.join('\n')).toMatch(/Makefile name none for hmm-tests/);
  }, 60_000);

  it('a source the Makefile names that is not in the folder: the error names it', async () => {
    const root = tree((r) => rmSync(mm(r, 'hugepage_settings.c')));
    const err = await failure(buildProgram(hmmTests(), root, { cache: join(work, 'cache-mainline') }));
    expect(err.message).toMatch(/undefined symbol hugetlb_setup_default/);
    expect(err.message).not.toMatch(/read_pmd_pagesize/);
    expect(err.details.join('\n')).toMatch(/names hugepage_settings\.c, not in .*selftests\/mm/);
  }, 60_000);

  it('a ksrc without tools/include (made before zdh copied it): the error says so and how to rebuild', async () => {
    const root = tree((r) => rmSync(join(r, 'tools', 'include'), { recursive: true }));
    const err = await failure(buildProgram(hmmTests(), root, { cache: join(work, 'cache-mainline') }));
    expect(err.message).toMatch(/^cannot build kselftest hmm-tests/);
    expect(err.details.join('\n')).toMatch(/zdh_tree_only/);
    expect(err.hint).toMatch(/no tools\/include\/uapi/);
    expect(err.hint).toMatch(/`zdh build --force`/);
  }, 60_000);
});
