/**
 * A machine profile after defaults, with sizes in bytes, and the rules that catch what
 * QEMU or the kernel would refuse, before QEMU starts. Each issue names the key and the
 * fix. Pure.
 *
 * QEMU 7.2 facts behind the rules (seen):
 *   - label-size below 128K: "Property 'nvdimm.label-size' (0x10000) is required at least 0x20000"
 *   - NVDIMMs without slots: "no slots where allocated, please specify the 'slots' option";
 *     more NVDIMMs than slots: "no free slots available"
 *   - the usable sizes (file - label, rounded down to align) must fit in maxmem - memory:
 *     "not enough space, currently 0x40000000 in use of total space for memory devices 0x40000000"
 *   - q35 puts all RAM below 4G when memory < 0xb0000000, else 2G below 4G and the rest at 4G
 *     (hw/i386/pc_q35.c); memmap= ranges must be real RAM of that map.
 *   - NUMA nodes whose memdevs do not add up to -m: "total memory for NUMA nodes (0x80000000)
 *     should equal RAM size (0xc0000000)"; a vCPU in no node: "CPU(s) not present in any NUMA
 *     nodes" (a warning, "will be removed in future"); a node's cpus past -smp: "CPU index (2)
 *     should be smaller than maxcpus (2)"; node ids with a gap: "numa: Node ID
 *     missing: 2"; a DIMM on a node past the last: "'DIMM property node has value 2' which
 *     exceeds the number of numa nodes: 1". A node without CPUs and RAM (-numa node,nodeid=N)
 *     is accepted, and an NVDIMM on it gives the guest a memory-only node.
 */
import type { RawProfile } from './profile-schema.ts';
import { formatHex, formatSize, isPowerOfTwo, parseSize, roundDown, roundUp } from './sizes.ts';

const K = 1024;
const M = 1024 * K;
const G = 1024 * M;

export const LABEL_MIN = 128 * K;
/** x86_64 memory section: memremap_pages and memory hot-plug work in these. */
export const SECTION_SIZE = 128 * M;
/** test_hmm's DEVMEM_CHUNK_SIZE: each device-coherent device needs one chunk of SPM. */
export const HMM_CHUNK = 256 * M;
/** RAM left to the guest after SPM and legacy pmem are carved out. */
export const MIN_FREE_RAM = 512 * M;

export interface NvdimmSpec {
  id: string;
  /** Usable data bytes (what the guest's region shows). */
  size: number;
  label: number;
  align: number;
  /** size + label: the sparse backing file. */
  fileSize: number;
  /** NUMA node (proximity domain) it sits on; absent: QEMU's default, node 0. */
  node?: number;
}

export interface NumaNodeSpec {
  /** Node id (ACPI proximity domain): its place in `numa:`, or an NVDIMM's `node:` past those. */
  id: number;
  /** Its vCPUs are firstCpu .. firstCpu + cpus - 1; none when cpus is 0. */
  firstCpu: number;
  cpus: number;
  /** RAM bytes; 0 for a node that only NVDIMMs sit on. */
  memory: number;
}

export interface SpmSpec {
  start: number;
  size: number;
  /** test_hmm spm_addr_dev0 / spm_addr_dev1. */
  dev0: number;
  dev1: number;
}

export interface MachineProfile {
  name: string;
  /** The YAML file it came from. */
  file: string;
  description: string;
  cpus: number;
  memory: number;
  maxmem: number;
  slots: number;
  firmware: 'qboot' | 'seabios';
  nvdimms: NvdimmSpec[];
  legacyPmem: { start: number; size: number }[];
  spm: SpmSpec | undefined;
  /** Every NUMA node, the RAM nodes (ids 0..) then the NVDIMMs' own ones; undefined: no NUMA. */
  numa: NumaNodeSpec[] | undefined;
  cmdline: string[];
  guest: { hugepages: number; hungTaskTimeoutS: number };
  timeouts: {
    bannerS: number;
    kvmBannerS: number;
    initS: number;
    /** After an oops in a step, how long without output from it before the step is judged stuck. */
    oopsQuietS: number;
    /** A task of a step in D state without a context switch this long is stuck. */
    blockedS: number;
  };
}

export type ProfilePath = readonly (string | number)[];

export interface ProfileIssue {
  path: ProfilePath;
  message: string;
  fix: string;
}

export const DEFAULTS = {
  cpus: 2,
  memory: 2 * G,
  firmware: 'qboot' as const,
  label: 2 * M,
  align: 2 * M,
  spmSize: 2 * HMM_CHUNK,
  hugepages: 16,
  hungTaskTimeoutS: 5,
  bannerS: 60,
  kvmBannerS: 10,
  initS: 180,
  oopsQuietS: 15,
  blockedS: 60,
};

/** RAM ranges of a q35 machine with this much memory, [start, end). */
export function q35RamMap(memory: number): { start: number; end: number }[] {
  if (memory < 0xb0000000) return [{ start: 0, end: memory }];
  return [
    { start: 0, end: 0x80000000 },
    { start: 4 * G, end: 4 * G + (memory - 0x80000000) },
  ];
}

const inRam = (map: { start: number; end: number }[], start: number, size: number): boolean =>
  map.some((r) => start >= r.start && start + size <= r.end);

const overlaps = (a: { start: number; size: number }, b: { start: number; size: number }): boolean =>
  a.start < b.start + b.size && b.start < a.start + a.size;

/** The problems found so far, and sizes read with a problem for each that is not one. */
class Issues {
  readonly list: ProfileIssue[] = [];

  add(path: ProfilePath, message: string, fix: string): void {
    this.list.push({ path, message, fix });
  }

  size(path: ProfilePath, v: string | number | undefined, dflt: number): number {
    if (v === undefined) return dflt;
    const n = parseSize(v);
    if (n === undefined) {
      this.add(
        path,
        `'${v}' is not a size`,
        'write bytes, 0x hex, or a number with K, M, G or T (e.g. 512M)',
      );
      return dflt;
    }
    return n;
  }
}

function resolveMemory(raw: RawProfile, iss: Issues): number {
  const memory = iss.size(['memory'], raw.memory, DEFAULTS.memory);
  if (memory < 256 * M)
    iss.add(['memory'], `memory ${formatSize(memory)} is too small to boot`, 'memory: 2G');
  if (memory % (2 * M) !== 0) {
    iss.add(
      ['memory'],
      `memory ${formatSize(memory)} is not a multiple of 2M`,
      `memory: ${formatSize(roundUp(memory, 2 * M))}`,
    );
  }
  return memory;
}

function resolveNvdimm(d: NonNullable<RawProfile['nvdimms']>[number], i: number, iss: Issues): NvdimmSpec {
  const at = ['nvdimms', i];
  const dsize = iss.size([...at, 'size'], d.size, 0);
  const label = iss.size([...at, 'label'], d.label, DEFAULTS.label);
  const align = iss.size([...at, 'align'], d.align, DEFAULTS.align);
  if (label < LABEL_MIN) {
    iss.add(
      [...at, 'label'],
      `label ${formatSize(label)} is below QEMU's minimum of 128K ("is required at least 0x20000")`,
      `label: 128K or more (${formatSize(DEFAULTS.label)} is the default)`,
    );
  }
  if (!isPowerOfTwo(align) || align < 4 * K) {
    iss.add(
      [...at, 'align'],
      `align ${formatSize(align)} is not a power of two of at least 4K`,
      'align: 2M (or 1G for 1G devdax)',
    );
  } else {
    if (align < 2 * M) {
      iss.add(
        [...at, 'align'],
        `align ${formatSize(align)} lets the next DIMM start unaligned; the kernel then refuses fsdax/devdax there ("misaligned")`,
        'align: 2M',
      );
    }
    if (dsize === 0 || dsize % align !== 0) {
      const down = roundDown(dsize, align);
      const up = roundUp(Math.max(dsize, 1), align);
      iss.add(
        [...at, 'size'],
        `size ${formatSize(dsize)} is not a positive multiple of align ${formatSize(align)} (QEMU would silently round it down)`,
        `size: ${down > 0 ? `${formatSize(down)} or ` : ''}${formatSize(up)}`,
      );
    }
  }
  const spec: NvdimmSpec = { id: `nv${i}`, size: dsize, label, align, fileSize: dsize + label };
  if (d.node !== undefined) spec.node = d.node;
  return spec;
}

/**
 * The NUMA nodes: one per `numa:` entry (id = its index), whose vCPUs and RAM add up to the
 * machine's, then one without CPUs or RAM for each NVDIMM node id past those.
 */
function resolveNuma(
  raw: RawProfile,
  cpus: number,
  memory: number,
  nvdimms: readonly NvdimmSpec[],
  iss: Issues,
): NumaNodeSpec[] | undefined {
  if (raw.numa === undefined) {
    for (const [i, d] of nvdimms.entries()) {
      if (d.node === undefined) continue;
      iss.add(
        ['nvdimms', i, 'node'],
        `NVDIMM node ${d.node} needs NUMA nodes, and the profile has no numa: (QEMU: "'DIMM property node has value ${d.node}' which exceeds the number of numa nodes")`,
        'add numa: with the RAM nodes (see configs/machines/numa.yaml), or leave node out',
      );
    }
    return undefined;
  }
  const nodes: NumaNodeSpec[] = [];
  let cpuSum = 0;
  let memSum = 0;
  for (const [i, n] of raw.numa.entries()) {
    const mem = iss.size(['numa', i, 'memory'], n.memory, 0);
    if (mem === 0 || mem % SECTION_SIZE !== 0) {
      iss.add(
        ['numa', i, 'memory'],
        `node ${i} memory ${formatSize(mem)} is not a positive multiple of the 128M memory section (a section, and the memory block it is in, belongs to one node)`,
        `memory: ${formatSize(roundUp(Math.max(mem, 1), SECTION_SIZE))}`,
      );
    }
    nodes.push({ id: i, firstCpu: cpuSum, cpus: n.cpus, memory: mem });
    cpuSum += n.cpus;
    memSum += mem;
  }
  if (cpuSum !== cpus) {
    iss.add(
      ['numa'],
      `the NUMA nodes have ${cpuSum} vCPU(s) in all but the machine has ${cpus} (cpus:) (QEMU: ${cpuSum < cpus ? '"CPU(s) not present in any NUMA nodes"' : `"CPU index (${cpus}) should be smaller than maxcpus (${cpus})"`})`,
      `make the nodes' cpus add up to ${cpus}${cpuSum > 0 ? `, or set cpus: ${cpuSum}` : ''}`,
    );
  }
  if (memSum !== memory) {
    iss.add(
      ['numa'],
      `the NUMA nodes have ${formatSize(memSum)} of RAM in all but memory: is ${formatSize(memory)} (QEMU: "total memory for NUMA nodes (${formatHex(memSum)}) should equal RAM size (${formatHex(memory)})")`,
      `make the nodes' memory add up to ${formatSize(memory)}${memSum > 0 ? `, or set memory: ${formatSize(memSum)}` : ''}`,
    );
  }
  // NVDIMM nodes past the RAM nodes: memory-only nodes. QEMU wants the ids without gaps.
  const ramNodes = nodes.length;
  const own = [...new Set(nvdimms.map((d) => d.node ?? 0).filter((id) => id >= ramNodes))];
  own.sort((a, b) => a - b);
  const ids = new Set([...nodes.map((n) => n.id), ...own]);
  let missing = nodes.length;
  while (ids.has(missing)) missing++;
  for (const [i, d] of nvdimms.entries()) {
    if (d.node !== undefined && d.node > missing) {
      iss.add(
        ['nvdimms', i, 'node'],
        `NVDIMM node ${d.node} leaves node ${missing} out: node ids run 0, 1, 2, ... without a gap (QEMU: "numa: Node ID missing: ${missing}")`,
        `node: ${missing}`,
      );
    }
  }
  for (const id of own) nodes.push({ id, firstCpu: cpuSum, cpus: 0, memory: 0 });
  return nodes;
}

/** Memory slots and maxmem: room for every NVDIMM. */
function resolveSlots(
  raw: RawProfile,
  memory: number,
  nvdimms: readonly NvdimmSpec[],
  iss: Issues,
): { slots: number; maxmem: number } {
  const slots = raw.slots ?? nvdimms.length;
  if (nvdimms.length > 0 && slots < nvdimms.length) {
    iss.add(
      ['slots'],
      slots === 0
        ? `${nvdimms.length} NVDIMM(s) but no memory slots (QEMU: "no slots where allocated")`
        : `${nvdimms.length} NVDIMMs but only ${slots} slot(s) (QEMU: "no free slots available")`,
      `slots: ${nvdimms.length} (or leave slots out to get one per NVDIMM)`,
    );
  }
  const deviceBytes = nvdimms.reduce((s, d) => s + d.size, 0);
  const neededMaxmem = memory + deviceBytes;
  const maxmem = raw.maxmem === undefined ? neededMaxmem : iss.size(['maxmem'], raw.maxmem, neededMaxmem);
  if (maxmem < neededMaxmem) {
    iss.add(
      ['maxmem'],
      `maxmem ${formatSize(maxmem)} leaves ${formatSize(Math.max(0, maxmem - memory))} for memory devices but the NVDIMMs need ${formatSize(deviceBytes)} (QEMU: "not enough space")`,
      `maxmem: ${formatSize(roundUp(neededMaxmem, G))} or more (memory + the NVDIMM sizes), or leave it out`,
    );
  }
  if (slots > 0 && maxmem <= memory) {
    iss.add(
      ['maxmem'],
      `slots need maxmem above memory (${formatSize(memory)})`,
      `maxmem: ${formatSize(memory + G)}`,
    );
  }
  return { slots, maxmem };
}

/** The RAM the SPM and legacy pmem are carved from, and what has been carved so far. */
interface Carving {
  memory: number;
  ram: { start: number; end: number }[];
  ramText: string;
  reserved: { start: number; size: number; path: ProfilePath }[];
}

function resolveSpm(rawSpm: NonNullable<RawProfile['spm']>, c: Carving, iss: Issues): SpmSpec {
  const start = iss.size(['spm', 'start'], rawSpm.start, 0);
  const ssize = iss.size(['spm', 'size'], rawSpm.size, DEFAULTS.spmSize);
  if (start % SECTION_SIZE !== 0 || start === 0) {
    iss.add(
      ['spm', 'start'],
      `SPM start ${formatHex(start)} is not a non-zero multiple of the 128M memory section`,
      `start: ${formatHex(roundUp(Math.max(start, SECTION_SIZE), SECTION_SIZE))}`,
    );
  }
  if (ssize < 2 * HMM_CHUNK || ssize % HMM_CHUNK !== 0) {
    iss.add(
      ['spm', 'size'],
      `SPM size ${formatSize(ssize)} must be a multiple of 256M and at least 512M: test_hmm puts one 256M chunk of each device-coherent device (dmirror2, dmirror3) there`,
      'size: 512M',
    );
  }
  if (!inRam(c.ram, start, ssize)) {
    iss.add(
      ['spm'],
      `SPM ${formatHex(start)}+${formatSize(ssize)} is not inside the guest's RAM (${c.ramText} with memory ${formatSize(c.memory)}); memmap=...$... only reserves real RAM`,
      `put it inside RAM, e.g. start: 0x40000000 with memory: 2G`,
    );
  }
  c.reserved.push({ start, size: ssize, path: ['spm'] });
  return { start, size: ssize, dev0: start, dev1: start + HMM_CHUNK };
}

function resolveLegacyPmem(
  p: NonNullable<RawProfile['legacyPmem']>[number],
  i: number,
  c: Carving,
  iss: Issues,
): { start: number; size: number } {
  const at = ['legacyPmem', i];
  const start = iss.size([...at, 'start'], p.start, 0);
  const psize = iss.size([...at, 'size'], p.size, 0);
  if (start % SECTION_SIZE !== 0 || psize % SECTION_SIZE !== 0 || psize === 0) {
    iss.add(
      at,
      `legacy pmem ${formatHex(start)}+${formatSize(psize)} is not aligned to the 128M memory section`,
      `start: ${formatSize(roundUp(start, SECTION_SIZE))}, size: ${formatSize(roundUp(Math.max(psize, 1), SECTION_SIZE))}`,
    );
  }
  if (!inRam(c.ram, start, psize)) {
    iss.add(
      at,
      `legacy pmem ${formatHex(start)}+${formatSize(psize)} is not inside the guest's RAM (${c.ramText}); memmap=...!... turns RAM into pmem`,
      c.memory >= 0xb0000000
        ? `start: 4G with a size up to ${formatSize(c.memory - 2 * G)}`
        : 'raise memory to 6G and use start: 4G, size: 1G',
    );
  }
  for (const r of c.reserved) {
    if (overlaps(r, { start, size: psize }))
      iss.add(at, `legacy pmem overlaps ${r.path.join('.')}`, 'move one of them');
  }
  c.reserved.push({ start, size: psize, path: at });
  return { start, size: psize };
}

/** Resolves defaults and checks every rule; the profile is returned only when there are no issues. */
export function resolveProfile(
  raw: RawProfile,
  where: { name: string; file: string },
): { profile: MachineProfile | undefined; issues: ProfileIssue[] } {
  const iss = new Issues();
  const issues = iss.list;
  const cpus = raw.cpus ?? DEFAULTS.cpus;
  const memory = resolveMemory(raw, iss);
  const nvdimms = (raw.nvdimms ?? []).map((d, i) => resolveNvdimm(d, i, iss));
  const { slots, maxmem } = resolveSlots(raw, memory, nvdimms, iss);
  const numa = resolveNuma(raw, cpus, memory, nvdimms, iss);

  const ram = q35RamMap(memory);
  const c: Carving = {
    memory,
    ram,
    ramText: ram.map((r) => `${formatHex(r.start)}-${formatHex(r.end)}`).join(' and '),
    reserved: [],
  };
  const spm = raw.spm === undefined ? undefined : resolveSpm(raw.spm, c, iss);
  const legacyPmem = (raw.legacyPmem ?? []).map((p, i) => resolveLegacyPmem(p, i, c, iss));
  const carved = c.reserved.reduce((s, r) => s + r.size, 0);
  if (c.reserved.length > 0 && memory - carved < MIN_FREE_RAM) {
    iss.add(
      ['memory'],
      `SPM and legacy pmem take ${formatSize(carved)} of ${formatSize(memory)}, leaving less than ${formatSize(MIN_FREE_RAM)} of RAM`,
      `memory: ${formatSize(roundUp(carved + MIN_FREE_RAM + 512 * M, G))}`,
    );
  }

  const profile: MachineProfile = {
    name: raw.name ?? where.name,
    file: where.file,
    description: raw.description ?? '',
    cpus,
    memory,
    maxmem,
    slots,
    firmware: raw.firmware ?? DEFAULTS.firmware,
    nvdimms,
    legacyPmem,
    spm,
    numa,
    cmdline: raw.cmdline ?? [],
    guest: {
      hugepages: raw.guest?.hugepages ?? DEFAULTS.hugepages,
      hungTaskTimeoutS: raw.guest?.hungTaskTimeoutS ?? DEFAULTS.hungTaskTimeoutS,
    },
    timeouts: {
      bannerS: raw.timeouts?.bannerS ?? DEFAULTS.bannerS,
      kvmBannerS: raw.timeouts?.kvmBannerS ?? DEFAULTS.kvmBannerS,
      initS: raw.timeouts?.initS ?? DEFAULTS.initS,
      oopsQuietS: raw.timeouts?.oopsQuietS ?? DEFAULTS.oopsQuietS,
      blockedS: raw.timeouts?.blockedS ?? DEFAULTS.blockedS,
    },
  };
  return { profile: issues.length === 0 ? profile : undefined, issues };
}
