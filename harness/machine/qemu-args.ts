/**
 * The QEMU command line for a run. Pure: paths come in, an argument array goes out
 * (never a shell string).
 *
 * Devices: q35 (nvdimm=on when there are NVDIMMs), no default devices, no display.
 *   ttyS0 = the kernel console on QEMU's stdio (zdh reads stdout, writes stdin for SysRq)
 *   ttyS1 = the results channel, a unix socket zdh listens on (QEMU connects)
 *   QMP   = a unix socket zdh listens on
 * Each NVDIMM is a sparse file of the run, shared so the guest's writes reach it.
 * NUMA: each RAM node is a memory-backend-ram of its size (QEMU wants them to add up to -m,
 * which stays the machine's memory) with its vCPUs; a node only NVDIMMs sit on is a bare
 * `-numa node,nodeid=N`, and the NVDIMM names it with node=N.
 */
import type { MachineProfile } from './profile-rules.ts';

export type Accel = 'kvm' | 'tcg';

export const QEMU_BINARY = 'qemu-system-x86_64';
export const QBOOT_ROM = '/usr/share/qemu/qboot.rom';

export interface QemuPaths {
  kernel: string;
  initrd: string;
  /** The results channel's socket (zdh is the server). */
  resultsSocket: string;
  /** The QMP socket (zdh is the server). */
  qmpSocket: string;
  /** One backing file per NVDIMM, in profile order. */
  nvdimmFiles: readonly string[];
  /** qboot's ROM when it is installed, else undefined (SeaBIOS is used). */
  qboot: string | undefined;
}

/** QEMU option values are comma-separated: a literal comma is written twice. */
export const qemuEscape = (v: string): string => v.replace(/,/g, ',,');

export function qemuArgv(
  profile: MachineProfile,
  accel: Accel,
  paths: QemuPaths,
  cmdline: readonly string[],
  name: string,
): string[] {
  if (paths.nvdimmFiles.length !== profile.nvdimms.length) {
    throw new Error(`${profile.nvdimms.length} NVDIMMs but ${paths.nvdimmFiles.length} backing files`);
  }
  const mem = [`${profile.memory / 1024 / 1024}M`];
  if (profile.slots > 0) mem.push(`slots=${profile.slots}`, `maxmem=${profile.maxmem / 1024 / 1024}M`);
  const argv = [
    '-name',
    qemuEscape(name),
    '-machine',
    profile.nvdimms.length > 0 ? 'q35,nvdimm=on' : 'q35',
    '-accel',
    accel === 'kvm' ? 'kvm' : 'tcg,thread=multi',
    '-smp',
    smp(profile),
    '-m',
    mem.join(','),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
  ];
  argv.push(...numaArgs(profile));
  if (profile.firmware === 'qboot' && paths.qboot !== undefined) argv.push('-bios', paths.qboot);
  argv.push(
    '-kernel',
    paths.kernel,
    '-initrd',
    paths.initrd,
    '-append',
    cmdline.join(' '),
    '-chardev',
    'stdio,id=con0,signal=off',
    '-serial',
    'chardev:con0',
    '-chardev',
    `socket,id=res0,path=${qemuEscape(paths.resultsSocket)}`,
    '-serial',
    'chardev:res0',
    '-chardev',
    `socket,id=qmp0,path=${qemuEscape(paths.qmpSocket)}`,
    '-mon',
    'chardev=qmp0,mode=control',
  );
  for (const [i, d] of profile.nvdimms.entries()) {
    argv.push(
      '-object',
      `memory-backend-file,id=${d.id},share=on,mem-path=${qemuEscape(paths.nvdimmFiles[i]!)},size=${d.fileSize},align=${d.align}`,
      '-device',
      `nvdimm,id=nvdimm${i},memdev=${d.id},label-size=${d.label}${d.node === undefined ? '' : `,node=${d.node}`}`,
    );
  }
  return argv;
}

/**
 * -smp: the vCPU count; with NUMA nodes, one socket per vCPU. QEMU 7.2's default puts all
 * vCPUs in one socket, so CPUs of different nodes would share a last-level cache and 6.1
 * warns at boot ("sched: CPU #1's llc-sibling CPU #0 is not on the same node!",
 * a WARNING in topology_sane, seen).
 */
function smp(profile: MachineProfile): string {
  if (!(profile.numa ?? []).some((n) => n.cpus > 0)) return String(profile.cpus);
  return `${profile.cpus},sockets=${profile.cpus},cores=1,threads=1`;
}

/** The NUMA nodes' options: nothing for a profile without `numa:` (or saved before it existed). */
function numaArgs(profile: MachineProfile): string[] {
  const argv: string[] = [];
  for (const n of profile.numa ?? []) {
    const node = [`node`, `nodeid=${n.id}`];
    if (n.cpus > 0) {
      const last = n.firstCpu + n.cpus - 1;
      node.push(`cpus=${n.firstCpu}${last > n.firstCpu ? `-${last}` : ''}`);
    }
    if (n.memory > 0) {
      argv.push('-object', `memory-backend-ram,id=ram-node${n.id},size=${n.memory}`);
      node.push(`memdev=ram-node${n.id}`);
    }
    argv.push('-numa', node.join(','));
  }
  return argv;
}
