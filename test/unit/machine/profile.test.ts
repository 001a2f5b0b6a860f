import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import {
  formatIssue,
  listProfiles,
  loadProfile,
  machinesDir,
  parseProfile,
  profilePath,
} from '../../../harness/machine/profile.ts';
import { q35RamMap } from '../../../harness/machine/profile-rules.ts';
import { PROFILE_SCHEMA } from '../../../harness/machine/profile-schema.ts';

const G = 2 ** 30;
const M = 2 ** 20;
const issues = (yaml: string) => parseProfile(yaml, 'm.yaml').issues;
const one = (yaml: string) => {
  const i = issues(yaml);
  expect(i).toHaveLength(1);
  return i[0]!;
};

describe('machine profiles in configs/machines', () => {
  it('all load, and the default one has a labelled NVDIMM with room for fsdax and devdax, and SPM', () => {
    const names = listProfiles();
    expect(names).toContain('default');
    for (const n of names) expect(() => loadProfile(n)).not.toThrow();
    const p = loadProfile(undefined);
    expect(p.name).toBe('default');
    expect(p.cpus).toBe(2);
    expect(p.nvdimms.length).toBeGreaterThanOrEqual(1);
    expect(p.nvdimms[0]!.label).toBeGreaterThanOrEqual(128 * 1024);
    expect(p.nvdimms[0]!.size).toBeGreaterThanOrEqual(1536 * M);
    expect(p.spm).toMatchObject({ size: 512 * M });
    expect(p.spm!.dev1 - p.spm!.dev0).toBe(256 * M);
  });

  it('ships the JSON Schema for editors, identical to the one zdh validates with', () => {
    expect(JSON.parse(readFileSync(join(machinesDir, 'schema.json'), 'utf8'))).toEqual(PROFILE_SCHEMA);
  });

  it('names a missing profile and lists the known ones', () => {
    try {
      loadProfile('no-such-machine');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ZdhError);
      expect((e as ZdhError).hint).toMatch(/default/);
    }
    expect(profilePath('x/y.yaml')).toMatch(/x\/y\.yaml$/);
    expect(profilePath('small')).toBe(join(machinesDir, 'small.yaml'));
  });
});

describe('profile validation (before QEMU starts)', () => {
  it('resolves defaults, sizes and derived slots/maxmem', () => {
    const { profile, issues: i } = parseProfile(
      'memory: 4G\nnvdimms:\n  - size: 1G\n  - size: 0x40000000\n    label: 128K\n',
      '/x/two.yaml',
    );
    expect(i).toEqual([]);
    expect(profile).toMatchObject({
      name: 'two',
      memory: 4 * G,
      slots: 2,
      maxmem: 6 * G,
      nvdimms: [
        { id: 'nv0', size: G, label: 2 * M, align: 2 * M, fileSize: G + 2 * M },
        { id: 'nv1', size: G, label: 128 * 1024, align: 2 * M, fileSize: G + 128 * 1024 },
      ],
      guest: { hugepages: 16, hungTaskTimeoutS: 5 },
    });
  });

  it('label below 128K, at the label key, naming the fix', () => {
    const i = one('nvdimms:\n  - size: 1G\n    label: 64K\n');
    expect(i).toMatchObject({ line: 3, col: 5 });
    expect(i.message).toMatch(/64K is below QEMU's minimum of 128K/);
    expect(i.fix).toMatch(/label: 128K/);
  });

  it('a size that is not a multiple of align, suggesting both neighbours', () => {
    const i = one('nvdimms:\n  - size: 1025M\n');
    expect(i).toMatchObject({ line: 2, col: 5 });
    expect(i.message).toMatch(/not a positive multiple of align 2M/);
    expect(i.fix).toBe('size: 1G or 1026M');
  });

  it('maxmem too small for the NVDIMMs', () => {
    const i = one('memory: 2G\nmaxmem: 3G\nslots: 2\nnvdimms:\n  - size: 1G\n  - size: 1G\n');
    expect(i).toMatchObject({ line: 2, col: 1 });
    expect(i.message).toMatch(/leaves 1G for memory devices but the NVDIMMs need 2G .*not enough space/);
    expect(i.fix).toMatch(/^maxmem: 4G or more/);
  });

  it('slots missing or too few', () => {
    expect(one('slots: 0\nnvdimms:\n  - size: 1G\n')).toMatchObject({
      line: 1,
      col: 1,
      message: expect.stringMatching(/no memory slots/),
    });
    expect(one('slots: 1\nnvdimms:\n  - size: 1G\n  - size: 1G\n').fix).toMatch(/slots: 2/);
  });

  it('an align below 2M, and one that is not a power of two', () => {
    expect(one('nvdimms:\n  - size: 1G\n    align: 4K\n').message).toMatch(/misaligned/);
    expect(issues('nvdimms:\n  - size: 1G\n    align: 3M\n')[0]!.message).toMatch(/power of two/);
  });

  it('SPM outside RAM, unaligned, or too small for two test_hmm chunks', () => {
    expect(one('memory: 1G\nspm:\n  start: 0x40000000\n').message).toMatch(/not inside the guest's RAM/);
    expect(one('spm:\n  start: 0x41000000\n').fix).toBe('start: 0x48000000');
    expect(one('spm:\n  start: 0x40000000\n  size: 256M\n')).toMatchObject({
      line: 3,
      col: 3,
      message: expect.stringMatching(/at least 512M/),
    });
  });

  it('legacy pmem must be RAM of the q35 layout and not overlap SPM', () => {
    expect(issues('memory: 6G\nlegacyPmem:\n  - start: 4G\n    size: 1G\n')).toEqual([]);
    expect(one('memory: 2G\nlegacyPmem:\n  - start: 4G\n    size: 1G\n').fix).toMatch(/memory to 6G/);
    expect(
      one('memory: 2G\nspm:\n  start: 0x40000000\nlegacyPmem:\n  - start: 0x40000000\n    size: 128M\n')
        .message,
    ).toMatch(/overlaps spm/);
  });

  it('unknown keys with a suggestion, wrong types, bad enums, and YAML syntax errors, all positioned', () => {
    const u = one('cpus: 2\nnvdimm:\n  - size: 1G\n');
    expect(u).toMatchObject({
      line: 2,
      col: 1,
      message: "unknown key 'nvdimm' in the profile",
      fix: "did you mean 'nvdimms'?",
    });
    expect(one('nvdimms:\n  - size: 1G\n    lable: 2M\n')).toMatchObject({
      line: 3,
      col: 5,
      fix: "did you mean 'label'?",
    });
    expect(one('cpus: two\n')).toMatchObject({ line: 1, col: 1, message: 'cpus must be integer' });
    expect(one('memory: 2 gigs\n')).toMatchObject({ message: 'memory is not a size' });
    expect(one('firmware: ovmf\n').message).toBe('firmware must be one of qboot, seabios');
    expect(one('cpus: 2\nnvdimms:\n  - size: 1G\n   label: 2M\n')).toMatchObject({
      line: 4,
      col: 1,
      message: expect.stringMatching(/^YAML: /),
    });
    expect(one('cpus: 2\ncpus: 3\n')).toMatchObject({
      line: 2,
      col: 1,
      message: 'YAML: Map keys must be unique',
    });
  });

  it('reports every problem at once', () => {
    expect(issues('slots: 1\nnvdimms:\n  - size: 1G\n    label: 4K\n  - size: 3M\n').length).toBe(3);
  });
});

describe('NUMA nodes', () => {
  const TWO_NODES = 'cpus: 2\nmemory: 2G\nnuma:\n  - cpus: 1\n    memory: 1G\n  - cpus: 1\n    memory: 1G\n';
  const withNvdimm = (node: number) => `${TWO_NODES}nvdimms:\n  - size: 1G\n    node: ${node}\n`;

  it('ships numa.yaml: two RAM nodes splitting the vCPUs and RAM, the NVDIMM on a memory-only node, SPM as default', () => {
    const p = loadProfile('numa');
    const ram = p.numa!.filter((n) => n.memory > 0);
    expect(ram.map((n) => [n.cpus, n.memory])).toEqual([
      [1, G],
      [1, G],
    ]);
    expect(ram.reduce((s, n) => s + n.cpus, 0)).toBe(p.cpus);
    expect(ram.reduce((s, n) => s + n.memory, 0)).toBe(p.memory);
    const node = p.nvdimms[0]!.node;
    expect(ram.map((n) => n.id)).not.toContain(node);
    expect(p.numa!.find((n) => n.id === node)).toMatchObject({ cpus: 0, memory: 0 });
    expect(p.nvdimms[0]!.size).toBe(loadProfile('default').nvdimms[0]!.size);
    expect(p.spm).toEqual(loadProfile('default').spm);
  });

  it('numbers the RAM nodes in order with consecutive vCPUs, then adds a node per NVDIMM node past them', () => {
    const { profile, issues: i } = parseProfile(
      'cpus: 3\nmemory: 3G\nnuma:\n  - cpus: 2\n    memory: 2G\n  - cpus: 1\n    memory: 1G\nslots: 2\nmaxmem: 8G\n' +
        'nvdimms:\n  - size: 1G\n    node: 2\n  - size: 1G\n    node: 1\n',
      'n.yaml',
    );
    expect(i).toEqual([]);
    expect(profile!.numa).toEqual([
      { id: 0, firstCpu: 0, cpus: 2, memory: 2 * G },
      { id: 1, firstCpu: 2, cpus: 1, memory: G },
      { id: 2, firstCpu: 3, cpus: 0, memory: 0 },
    ]);
    expect(profile!.nvdimms.map((d) => d.node)).toEqual([2, 1]);
    // Without numa: and node:, nothing NUMA at all.
    const plain = parseProfile('nvdimms:\n  - size: 1G\n', 'p.yaml').profile!;
    expect(plain.numa).toBeUndefined();
    expect(plain.nvdimms[0]!.node).toBeUndefined();
  });

  it("vCPUs that do not add up to cpus:, at the numa key, naming the file and QEMU's complaint", () => {
    const { issues: i } = parseProfile(
      'cpus: 2\nmemory: 2G\nnuma:\n  - cpus: 1\n    memory: 1G\n  - cpus: 2\n    memory: 1G\n',
      '/cfg/numa-bad.yaml',
    );
    expect(i).toHaveLength(1);
    expect(formatIssue(i[0]!)).toMatch(
      /^\/cfg\/numa-bad\.yaml:3:1: the NUMA nodes have 3 vCPU\(s\) .* has 2 /,
    );
    expect(i[0]!.message).toMatch(/CPU index/);
    expect(one('cpus: 4\nmemory: 2G\nnuma:\n  - cpus: 3\n    memory: 2G\n').message).toMatch(
      /not present in any NUMA nodes/,
    );
  });

  it('RAM that does not add up to memory:, at the numa key, with both fixes', () => {
    const i = one('memory: 3G\nnuma:\n  - cpus: 1\n    memory: 1G\n  - cpus: 1\n    memory: 1G\n');
    expect(i).toMatchObject({ line: 2, col: 1 });
    expect(i.message).toMatch(/2G of RAM in all but memory: is 3G .*should equal RAM size/);
    expect(i.fix).toMatch(/add up to 3G, or set memory: 2G/);
  });

  it("a node's memory that is not a whole number of 128M sections, at that node's memory key", () => {
    const i = issues('memory: 2G\nnuma:\n  - cpus: 1\n    memory: 1000M\n  - cpus: 1\n    memory: 1048M\n');
    const at = i.map((x) => [x.line, x.col]);
    expect(at).toEqual([
      [4, 5],
      [6, 5],
    ]);
    expect(i[0]!.message).toMatch(
      /node 0 memory 1000M is not a positive multiple of the 128M memory section/,
    );
    expect(i[0]!.fix).toBe('memory: 1G');
  });

  it('an NVDIMM node on a RAM node or right after them is fine; one that leaves a gap is not', () => {
    expect(issues(withNvdimm(0))).toEqual([]);
    expect(issues(withNvdimm(1))).toEqual([]);
    expect(issues(withNvdimm(2))).toEqual([]);
    const gap = parseProfile(withNvdimm(3), '/m/gap.yaml').issues;
    expect(gap).toHaveLength(1);
    expect(formatIssue(gap[0]!)).toMatch(/^\/m\/gap\.yaml:10:5: NVDIMM node 3 leaves node 2 out/);
    expect(gap[0]!.message).toMatch(/Node ID missing: 2/);
    expect(gap[0]!.fix).toBe('node: 2');
  });

  it('an NVDIMM node without numa: is refused at its node key', () => {
    const i = one('nvdimms:\n  - size: 1G\n    node: 1\n');
    expect(i).toMatchObject({ line: 3, col: 5 });
    expect(i.message).toMatch(/no numa:/);
    expect(i.fix).toMatch(/add numa:/);
  });

  it('schema: unknown or missing node keys, a negative node id, an empty list, all positioned', () => {
    expect(one('numa:\n  - cpus: 2\n    memory: 2G\n    mem: 1G\n')).toMatchObject({
      line: 4,
      col: 5,
      message: "unknown key 'mem' in numa.0",
    });
    expect(one('numa:\n  - cpus: 2\n')).toMatchObject({ line: 2, col: 5, message: "numa.0 needs 'memory'" });
    expect(one('numa:\n  - cpus: 2\n    memory: lots\n')).toMatchObject({
      line: 3,
      message: 'numa.0.memory is not a size',
    });
    expect(one('nvdimms:\n  - size: 1G\n    node: -1\n')).toMatchObject({ line: 3, col: 5 });
    expect(one('numa: []\n').fix).toMatch(/leave numa out/);
  });
});

describe('q35RamMap', () => {
  it('keeps RAM below 4G under 0xb0000000 and splits at 2G above', () => {
    expect(q35RamMap(2 * G)).toEqual([{ start: 0, end: 2 * G }]);
    expect(q35RamMap(6 * G)).toEqual([
      { start: 0, end: 2 * G },
      { start: 4 * G, end: 8 * G },
    ]);
  });
});
