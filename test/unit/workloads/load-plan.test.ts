import { describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import { checkWorkloads, loadWorkloads, parseWorkloadFile } from '../../../harness/workloads/load.ts';
import { machineFacts } from '../../../harness/workloads/needs.ts';
import { planWorkloads, STEP_MARGIN_S } from '../../../harness/workloads/plan.ts';
import { helperScripts } from '../../../harness/workloads/programs.ts';
import type { BuiltProgram } from '../../../harness/workloads/types.ts';

function configError(fn: () => unknown): ZdhError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ZdhError) return error;
    throw error;
  }
  throw new Error('expected a ZdhError');
}

const profile = {
  nvdimms: [{ id: 'nv0', size: 2 * 1024 ** 3, label: 2 << 20, align: 2 << 20, fileSize: 0 }],
  spm: { start: 0x40000000, size: 512 << 20, dev0: 0x40000000, dev1: 0x50000000 },
  guest: { hugepages: 16, hungTaskTimeoutS: 5 },
  legacyPmem: [],
};
const everyOption = [
  'TEST_HMM',
  'DEVICE_PRIVATE',
  'GUP_TEST',
  'DEBUG_FS',
  'TRANSPARENT_HUGEPAGE',
  'FS_DAX',
  'EXT4_FS',
  'XFS_FS',
  'BLK_DEV_NULL_BLK',
  'DEV_DAX',
  'DEV_DAX_PMEM',
  'DEV_DAX_KMEM',
  'MEMORY_HOTPLUG',
  'MEMORY_HOTREMOVE',
  'CROSS_MEMORY_ATTACH',
]
  .map((o) => `CONFIG_${o}=y\n`)
  .join('');

/** Programs as if built: what --list / the source would have said. */
function fakePrograms(names: readonly string[]): Map<string, BuiltProgram> {
  return new Map(
    names.map((n) => [
      n,
      {
        name: n,
        hostPath: `/cache/programs/k/${n}`,
        guestPath: `/usr/lib/zdh/bin/${n}`,
        cases: [`${n}.case1`, `${n}.case2`],
        key: 'k',
        cached: true,
      },
    ]),
  );
}

describe('workload declarations in the repository', () => {
  const all = loadWorkloads();

  it('load, validate and have unique names', () => {
    expect(all.map((w) => w.name).sort()).toEqual([
      'dax-ext4',
      'dax-xfs',
      'devdax',
      'gup',
      'hmm-stress',
      'hmm-tests',
      'hmm-tests-thp',
      'kmem',
    ]);
    expect(checkWorkloads(all)).toEqual([]);
  });

  it('hmm-tests-thp takes everything from hmm-tests but its name, description, THP default and timeout', () => {
    const [base, thp] = ['hmm-tests', 'hmm-tests-thp'].map((n) => all.find((w) => w.name === n));
    expect(thp!.programs).toEqual(base!.programs);
    expect(thp!.setup).toEqual(base!.setup);
    expect(thp!.params?.['thp']?.default).toBe('always');
    expect(base!.params?.['thp']?.default).toBe('madvise');
    expect(thp!.timeoutSec).toBe(600);
    expect(thp!.extends).toBeUndefined();
  });

  it('plan on the default machine: one step per workload, programs and helpers for the image', () => {
    const names = all.map((w) => w.name);
    const programs = fakePrograms([...new Set(all.flatMap((w) => (w.programs ?? []).map((p) => p.name)))]);
    const plan = planWorkloads(
      all,
      names.map((name) => ({ name })),
      { machine: machineFacts(profile), kconfig: everyOption, programs, helpers: helperScripts() },
    );
    expect(plan.skipped).toEqual([]);
    expect(plan.steps.map((s) => s.name)).toEqual(names);
    const guestPaths = plan.files.map((f) => f.guestPath).sort();
    expect(guestPaths).toEqual([
      '/usr/lib/zdh/bin/hmm-tests',
      '/usr/lib/zdh/bin/zdh-dax',
      '/usr/lib/zdh/bin/zdh-devdax',
      '/usr/lib/zdh/bin/zdh-gup',
      '/usr/lib/zdh/bin/zdh-hmm',
      '/usr/lib/zdh/bin/zdh-hmm-stress',
      '/usr/lib/zdh/bin/zdh-kmem',
      '/usr/lib/zdh/bin/zdh-pmem',
    ]);
    const dax = plan.workloads.find((w) => w.name === 'dax-ext4')!;
    expect(dax.params).toEqual({ duration: 3, hangTimeout: 10, stall: 3 });
    expect(dax.commandTimeoutS).toBe(3 + 3 + 10 * 4 + 300);
    expect(dax.step.script).toContain(
      "'zdh-dax --dir /mnt/dax --direct-dir /mnt/plain --duration 3 --hang-timeout 10 --stall 3'",
    );
    expect(dax.step.onTimeout).toBe('abort');
    expect(dax.expectedCases).toEqual(['zdh-dax.case1', 'zdh-dax.case2']);
    const hmm = plan.workloads.find((w) => w.name === 'hmm-tests')!;
    expect(hmm.checks).toEqual([{ name: 'unload-test_hmm', timeoutS: 60 }]);
    expect(hmm.step.script).toContain("'cd /tmp && /usr/lib/zdh/bin/hmm-tests'");
    expect(hmm.step.script).toContain('echo madvise > /sys/kernel/mm/transparent_hugepage/enabled');
    // The host's limit covers every part at its own limit, so the script itself reports a hang.
    expect(hmm.step.timeoutS).toBeGreaterThan(4 * 120 + 300 + 60 + 60 + STEP_MARGIN_S);
  });

  it('suite parameters reach the commands and the timeouts', () => {
    const plan = planWorkloads(all, [{ name: 'hmm-stress', params: { duration: 60 } }], {
      machine: machineFacts(profile),
      kconfig: everyOption,
      programs: fakePrograms(['zdh-hmm-stress']),
    });
    const w = plan.workloads[0]!;
    expect(w.step.script).toContain('--duration 60 --hang-timeout 30');
    // Two stress cases of `duration`, release_churn's 10 s, three hang limits, the margin.
    expect(w.commandTimeoutS).toBe(60 + 60 + 10 + 30 * 3 + 240);
  });

  it('workloads whose needs are not met are skipped with the reasons, and nothing is built for them', () => {
    const plan = planWorkloads(all, [{ name: 'gup' }, { name: 'devdax' }], {
      machine: machineFacts({ ...profile, spm: undefined }),
      kconfig: everyOption,
      programs: fakePrograms(['zdh-devdax']),
    });
    expect(plan.skipped).toEqual([
      {
        name: 'gup',
        reasons: [
          'needs device-coherent: a machine profile with an SPM range (spm:) so test_hmm creates dmirror2/3',
        ],
      },
    ]);
    expect(plan.steps.map((s) => s.name)).toEqual(['devdax']);
  });

  it('unknown workloads, doubles and bad parameters are one error listing each', () => {
    const e = configError(() =>
      planWorkloads(all, [{ name: 'nope' }, { name: 'kmem', params: { cycles: 0 } }, { name: 'kmem' }], {
        machine: machineFacts(profile),
        kconfig: everyOption,
        programs: fakePrograms(['zdh-kmem']),
      }),
    );
    expect(e.details[0]).toMatch(/^unknown workload nope \(known: dax-ext4, dax-xfs, /);
    expect(e.details).toContain('workload kmem is selected twice');
    expect(e.details).toContain('workload kmem: parameter cycles is 0, below its minimum 1');
  });
});

describe('declaration errors', () => {
  it('name the file, line and column of a schema error', () => {
    const text =
      'workloads:\n  - name: x\n    description: d\n    command: c\n    timeoutSec: 10\n    parser: tap\n    color: red\n';
    const e = configError(() => parseWorkloadFile(text, 'w.yaml'));
    expect([...e.details].sort()).toEqual([
      'w.yaml:6:13: workloads.0.parser: must be one of "ktap"',
      'w.yaml:7:5: workloads.0: unknown field "color"',
    ]);
  });

  it('extends needs an earlier workload of the same file', () => {
    const text = 'workloads:\n  - name: b\n    description: d\n    extends: a\n';
    expect(configError(() => parseWorkloadFile(text, 'w.yaml')).message).toBe(
      'w.yaml: workload b extends a, which is not declared before it in this file',
    );
  });

  it('catch undeclared placeholders, duplicate names and checks, reserved names, bad defaults', () => {
    const base = { description: 'd', parser: 'ktap' as const, file: 'f.yaml' };
    const problems = checkWorkloads([
      { ...base, name: 'a', command: 'x {{duration}}', timeoutSec: '{{duration}} + 1' },
      { ...base, name: 'a', command: 'x', timeoutSec: 1, params: { bin: { default: 'x' } } },
      {
        ...base,
        name: 'c',
        command: 'x',
        timeoutSec: 1,
        params: { n: { default: 0, minimum: 1 } },
        checks: [
          { name: 'k', command: 'y' },
          { name: 'k', command: 'z' },
        ],
        programs: [{ name: 'p', from: 'kselftest' }],
      },
    ]);
    expect(problems).toEqual([
      'f.yaml: workload a uses {{duration}} but declares no parameter duration',
      "f.yaml: workload a: timeoutSec unknown parameter(s) duration in '{{duration}} + 1'",
      'f.yaml: workload a is already declared in f.yaml',
      "f.yaml: workload a: 'bin' is reserved (the folder of the built programs)",
      'f.yaml: workload c: parameter n is 0, below its minimum 1 (its default)',
      'f.yaml: workload c: kselftest program p needs dirs (e.g. [vm, mm])',
      'f.yaml: workload c: check k listed twice',
    ]);
  });
});
