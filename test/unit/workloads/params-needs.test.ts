import { describe, expect, it } from 'vitest';
import { enabledOptions, machineFacts, unmetNeeds } from '../../../harness/workloads/needs.ts';
import { evalSeconds, placeholders, resolveParams, substitute } from '../../../harness/workloads/params.ts';
import type { WorkloadDecl } from '../../../harness/workloads/types.ts';

const decl: WorkloadDecl = {
  name: 'stress',
  description: 'd',
  params: {
    duration: { default: 10, minimum: 1, maximum: 100 },
    mode: { default: 'madvise', pattern: 'always|madvise|never' },
    dir: { default: '/mnt/x' },
  },
  command: 'run --duration {{duration}} --mode {{mode}} {{dir}}',
  timeoutSec: '{{duration}} + 60',
  parser: 'ktap',
};

describe('workload parameters', () => {
  it('take their defaults, or the values given (strings of digits count as integers)', () => {
    expect(resolveParams(decl)).toEqual({
      values: { duration: 10, mode: 'madvise', dir: '/mnt/x' },
      errors: [],
    });
    expect(resolveParams(decl, { duration: '30', mode: 'never' }).values).toEqual({
      duration: 30,
      mode: 'never',
      dir: '/mnt/x',
    });
  });

  it('report every problem at once: unknown names, bounds, types, patterns, shell syntax', () => {
    const r = resolveParams(decl, { durration: 5, duration: 1000, mode: 'sometimes', dir: '/mnt/$(reboot)' });
    expect(r.errors).toEqual([
      "workload stress: unknown parameter 'durration' (it takes: duration, mode, dir)",
      'workload stress: parameter duration is 1000, above its maximum 100',
      'workload stress: parameter mode: "sometimes" does not match ^(?:always|madvise|never)$',
      'workload stress: parameter dir: "/mnt/$(reboot)" does not match ^[A-Za-z0-9_.,:/=+@-]*$',
    ]);
    expect(resolveParams(decl, { duration: 2.5 }).errors).toEqual([
      'workload stress: parameter duration must be an integer, not 2.5',
    ]);
    expect(resolveParams({ name: 'x' }, { a: 1 }).errors).toEqual([
      "workload x: unknown parameter 'a' (it takes none)",
    ]);
  });

  it('are substituted into commands; an unknown placeholder is reported, not left for the guest', () => {
    expect(substitute('a {{ duration }} b {{mode}}', { duration: 3, mode: 'm' })).toEqual({
      text: 'a 3 b m',
      unknown: [],
    });
    expect(substitute('{{nope}}', {})).toEqual({ text: '{{nope}}', unknown: ['nope'] });
    expect(placeholders(decl)).toEqual(['dir', 'duration', 'mode']);
  });

  it('timeouts are numbers or sums of numbers and parameters', () => {
    expect(evalSeconds(600, {})).toEqual({ seconds: 600 });
    expect(evalSeconds('{{duration}} + {{duration}} + 60', { duration: 10 })).toEqual({ seconds: 80 });
    expect(evalSeconds('{{duration}} * 2', { duration: 10 }).error).toMatch(/not a sum of whole seconds/);
    expect(evalSeconds('{{missing}} + 1', {}).error).toMatch(/unknown parameter\(s\) missing/);
  });
});

describe('needs', () => {
  const profile = {
    nvdimms: [{ id: 'nv0', size: 2 * 1024 ** 3, label: 2 << 20, align: 2 << 20, fileSize: 0 }],
    spm: { start: 0x40000000, size: 512 << 20, dev0: 0x40000000, dev1: 0x50000000 },
    guest: { hugepages: 16, hungTaskTimeoutS: 5 },
    legacyPmem: [],
  };

  it('machine features come from the profile', () => {
    const f = machineFacts(profile);
    expect([...f.features].sort()).toEqual(['device-coherent', 'hugepages', 'nvdimm']);
    expect(f.nvdimmBytes).toBe(2 * 1024 ** 3);
    expect([
      ...machineFacts({
        ...profile,
        nvdimms: [],
        spm: undefined,
        guest: { hugepages: 0, hungTaskTimeoutS: 5 },
      }).features,
    ]).toEqual([]);
  });

  it('kernel options count when y or m', () => {
    const o = enabledOptions(
      'CONFIG_TEST_HMM=m\nCONFIG_GUP_TEST=y\n# CONFIG_NUMA is not set\nCONFIG_X="y"\n',
    );
    expect([...o].sort()).toEqual(['GUP_TEST', 'TEST_HMM']);
  });

  it('say what is missing and how to get it', () => {
    const facts = machineFacts({ ...profile, spm: undefined });
    const reasons = unmetNeeds(
      {
        needs: {
          machine: ['nvdimm', 'device-coherent'],
          kconfig: ['TEST_HMM', 'NUMA'],
          nvdimmBytes: 4 * 1024 ** 3,
        },
      },
      facts,
      enabledOptions('CONFIG_TEST_HMM=m\n'),
    );
    expect(reasons).toEqual([
      'needs device-coherent: a machine profile with an SPM range (spm:) so test_hmm creates dmirror2/3',
      "needs an NVDIMM of at least 4294967296 bytes (the machine's first has 2147483648)",
      "needs CONFIG_NUMA=y or m in the kernel's .config",
    ]);
    expect(unmetNeeds({}, facts, new Set())).toEqual([]);
  });
});
