import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUEST_ROOTFS } from '../../../harness/image/assemble.ts';
import { hmmModuleOptions, kernelCmdline } from '../../../harness/machine/cmdline.ts';
import { listProfiles, loadProfile, parseProfile } from '../../../harness/machine/profile.ts';
import { HMM_CHUNK, type MachineProfile } from '../../../harness/machine/profile-rules.ts';
import { type QemuPaths, qemuArgv, qemuEscape } from '../../../harness/machine/qemu-args.ts';
import { parseSize } from '../../../harness/machine/sizes.ts';

function profile(yaml: string): MachineProfile {
  const { profile: p, issues } = parseProfile(yaml, '/m/test.yaml');
  expect(issues).toEqual([]);
  return p!;
}

const DEFAULT = profile(
  'cpus: 2\nmemory: 2G\nnvdimms:\n  - size: 2G\n    label: 2M\nspm:\n  start: 0x40000000\n  size: 512M\n',
);
const paths: QemuPaths = {
  kernel: '/b/bzImage',
  initrd: '/run/a,b/initrd.cpio',
  resultsSocket: '/run/r.sock',
  qmpSocket: '/run/q.sock',
  nvdimmFiles: ['/run/nvdimm0.img'],
  qboot: '/usr/share/qemu/qboot.rom',
};

describe('qemuArgv', () => {
  it('builds the full command line of the default machine under TCG', () => {
    expect(qemuArgv(DEFAULT, 'tcg', paths, ['console=ttyS0', 'memmap=512M$0x40000000'], 'zdh-abc')).toEqual([
      '-name',
      'zdh-abc',
      '-machine',
      'q35,nvdimm=on',
      '-accel',
      'tcg,thread=multi',
      '-smp',
      '2',
      '-m',
      '2048M,slots=1,maxmem=4096M',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
      '-bios',
      '/usr/share/qemu/qboot.rom',
      '-kernel',
      '/b/bzImage',
      '-initrd',
      '/run/a,b/initrd.cpio',
      '-append',
      'console=ttyS0 memmap=512M$0x40000000',
      '-chardev',
      'stdio,id=con0,signal=off',
      '-serial',
      'chardev:con0',
      '-chardev',
      'socket,id=res0,path=/run/r.sock',
      '-serial',
      'chardev:res0',
      '-chardev',
      'socket,id=qmp0,path=/run/q.sock',
      '-mon',
      'chardev=qmp0,mode=control',
      '-object',
      `memory-backend-file,id=nv0,share=on,mem-path=/run/nvdimm0.img,size=${2 ** 31 + 2 ** 21},align=2097152`,
      '-device',
      'nvdimm,id=nvdimm0,memdev=nv0,label-size=2097152',
    ]);
  });

  it('uses KVM, SeaBIOS, no NVDIMM options and escapes commas in option values', () => {
    const plain = profile('cpus: 1\nmemory: 512M\nfirmware: seabios\n');
    const argv = qemuArgv(plain, 'kvm', { ...paths, nvdimmFiles: [], resultsSocket: '/r,x.sock' }, [], 'n');
    expect(argv).toContain('kvm');
    expect(argv).not.toContain('-bios');
    expect(argv[argv.indexOf('-machine') + 1]).toBe('q35');
    expect(argv[argv.indexOf('-m') + 1]).toBe('512M');
    expect(argv).toContain('socket,id=res0,path=/r,,x.sock');
    expect(argv.some((a) => a.startsWith('memory-backend-file'))).toBe(false);
    expect(qemuEscape('a,b,,c')).toBe('a,,b,,,,c');
  });

  it('refuses a backing file list that does not match the NVDIMMs', () => {
    expect(() => qemuArgv(DEFAULT, 'tcg', { ...paths, nvdimmFiles: [] }, [], 'n')).toThrow(/backing files/);
  });
});

describe('qemuArgv on a NUMA machine', () => {
  /** The comma-separated key=value pairs after an option value's first word. */
  const keys = (v: string): Record<string, string> =>
    Object.fromEntries(
      v
        .split(',')
        .slice(1)
        .map((w) => [w.split('=')[0]!, w.slice(w.indexOf('=') + 1)]),
    );
  const valuesOf = (argv: readonly string[], flag: string): string[] =>
    argv.flatMap((a, i) => (argv[i - 1] === flag ? [a] : []));
  /** `cpus=0-2` or `cpus=3`: the vCPU indexes. */
  const cpuList = (v: string | undefined): number[] => {
    if (v === undefined) return [];
    const [a, b = a] = v.split('-').map(Number);
    return Array.from({ length: b! - a! + 1 }, (_, k) => a! + k);
  };
  function numaOf(p: MachineProfile) {
    const argv = qemuArgv(p, 'tcg', { ...paths, nvdimmFiles: p.nvdimms.map((_, i) => `/n${i}`) }, [], 'n');
    const backends = new Map(
      valuesOf(argv, '-object')
        .filter((o) => o.startsWith('memory-backend-ram,'))
        .map((o) => [keys(o)['id']!, Number(keys(o)['size'])]),
    );
    const nodes = valuesOf(argv, '-numa').map((v) => {
      expect(v.split(',')[0]).toBe('node');
      const k = keys(v);
      return { id: Number(k['nodeid']), cpus: cpuList(k['cpus']), memdev: k['memdev'] };
    });
    const nvdimmNodes = valuesOf(argv, '-device')
      .filter((d) => d.startsWith('nvdimm,'))
      .map((d) => keys(d)['node']);
    const smpArg = argv[argv.indexOf('-smp') + 1]!;
    const smp = Number(smpArg.split(',')[0]);
    const topology = smpArg.includes(',') ? keys(smpArg) : {};
    const mem = parseSize(argv[argv.indexOf('-m') + 1]!.split(',')[0]!)!;
    return { backends, nodes, nvdimmNodes, smp, topology, mem };
  }

  it('numa.yaml: RAM nodes 0 and 1 with a vCPU each, their memdevs adding up to -m, the NVDIMM on a node of its own', () => {
    const { backends, nodes, nvdimmNodes, smp, mem } = numaOf(loadProfile('numa'));
    expect(nodes.map((n) => n.id)).toEqual([0, 1, 2]);
    // Each memdev is a RAM backend defined on the command line; together they are -m (QEMU refuses otherwise).
    const ram = nodes.filter((n) => n.memdev !== undefined);
    expect(ram.map((n) => n.id)).toEqual([0, 1]);
    for (const n of ram) expect(backends.has(n.memdev!)).toBe(true);
    expect(ram.map((n) => backends.get(n.memdev!))).toEqual([2 ** 30, 2 ** 30]);
    expect([...backends.values()].reduce((a, b) => a + b, 0)).toBe(mem);
    // Every vCPU in exactly one node, one per RAM node.
    expect(nodes.flatMap((n) => n.cpus).sort((a, b) => a - b)).toEqual(
      Array.from({ length: smp }, (_, i) => i),
    );
    expect(ram.map((n) => n.cpus.length)).toEqual([1, 1]);
    // One socket per vCPU, so vCPUs of different nodes share no cache (QEMU's default puts
    // them in one socket, and the guest warns that its llc-sibling is on another node).
    const { topology } = numaOf(loadProfile('numa'));
    expect(
      Number(topology['sockets']) * Number(topology['cores'] ?? 1) * Number(topology['threads'] ?? 1),
    ).toBe(smp);
    expect(Number(topology['sockets'])).toBe(smp);
    // The NVDIMM's node is declared, and has neither CPUs nor RAM: a memory-only node.
    expect(nvdimmNodes).toEqual(['2']);
    expect(nodes.find((n) => n.id === 2)).toEqual({ id: 2, cpus: [], memdev: undefined });
  });

  it('a node with several vCPUs gets a range, one without any gets none; no NUMA profile, no NUMA options', () => {
    const p = profile(
      'cpus: 3\nmemory: 3G\nnuma:\n  - cpus: 0\n    memory: 1G\n  - cpus: 3\n    memory: 2G\nnvdimms:\n  - size: 1G\n    node: 0\n',
    );
    const { backends, nodes, nvdimmNodes, mem } = numaOf(p);
    expect(nodes.map((n) => [n.id, n.cpus])).toEqual([
      [0, []],
      [1, [0, 1, 2]],
    ]);
    expect([...backends.values()].reduce((a, b) => a + b, 0)).toBe(mem);
    expect(nvdimmNodes).toEqual(['0']);
    const plain = numaOf(DEFAULT);
    expect([plain.nodes, plain.backends.size, plain.nvdimmNodes, plain.topology]).toEqual([
      [],
      0,
      [undefined],
      {},
    ]);
  });
});

// What the command line is for, checked against what reads it: the serial ports qemuArgv
// wires up, the image's /init, the machine profile, and the console parser.
const PROFILES: MachineProfile[] = [
  ...listProfiles().map((name) => loadProfile(name)),
  profile('cpus: 1\nmemory: 1G\n'),
  profile('memory: 6G\nlegacyPmem:\n  - start: 4G\n    size: 1G\n  - start: 5G\n    size: 256M\n'),
  profile('memory: 6G\nspm:\n  start: 0x40000000\n  size: 1G\ncmdline: [page_owner=on]\n'),
];

const key = (word: string): string => word.split('=')[0]!;
const values = (words: readonly string[], k: string): string[] =>
  words.filter((w) => key(w) === k).map((w) => w.slice(k.length + 1));
/** The kernel takes the last of a repeated parameter. */
const last = (words: readonly string[], k: string): string | undefined => values(words, k).at(-1);
/** `ttyS1` for each `-serial` of an argv, in order, with the chardev it is wired to. */
function serialPorts(argv: readonly string[]): { tty: string; chardev: string }[] {
  const chardevs = new Map(
    argv.flatMap((a, i) => (argv[i - 1] === '-chardev' ? [[/id=([^,]+)/.exec(a)![1]!, a] as const] : [])),
  );
  return argv
    .flatMap((a, i) => (argv[i - 1] === '-serial' ? [a.replace(/^chardev:/, '')] : []))
    .map((id, n) => ({ tty: `ttyS${n}`, chardev: chardevs.get(id) ?? '' }));
}

describe('kernel command line', () => {
  const initText = readFileSync(join(GUEST_ROOTFS, 'init'), 'utf8');

  it("puts the console (and the decompressor's messages) on the port zdh reads, never on the results channel", () => {
    for (const p of PROFILES) {
      const words = kernelCmdline(p);
      const ports = serialPorts(
        qemuArgv(p, 'tcg', { ...paths, nvdimmFiles: p.nvdimms.map(() => '/n') }, words, 'n'),
      );
      const stdio = ports.find((s) => s.chardev.startsWith('stdio,'));
      // /init writes its frames to this port (RES=/dev/ttySN).
      const results = ports.find((s) => s.tty === /^RES=\/dev\/(ttyS\d+)$/m.exec(initText)?.[1]);
      expect(stdio, p.name).toBeDefined();
      expect(results?.chardev, p.name).toMatch(/^socket,id=[^,]+,path=\/run\/r\.sock$/);
      // The last console= is /dev/console: where panics, oopses and /init's own messages go.
      const consoles = values(words, 'console').map((c) => c.split(',')[0]);
      expect(consoles.at(-1), p.name).toBe(stdio!.tty);
      expect(consoles, p.name).not.toContain(results!.tty);
      expect(last(words, 'earlyprintk')?.split(',').slice(0, 2), p.name).toEqual(['serial', stdio!.tty]);
    }
  });

  it("starts the image's /init", () => {
    // guests/rootfs/<path> is <path> in the guest (image/layout.ts).
    const rdinit = last(kernelCmdline(DEFAULT), 'rdinit');
    expect(rdinit).toMatch(/^\//);
    expect(statSync(join(GUEST_ROOTFS, rdinit!)).mode & 0o111).not.toBe(0);
  });

  it('ends the VM at once on a panic: an immediate reboot, which -no-reboot turns into an exit', () => {
    for (const p of PROFILES) {
      const words = kernelCmdline(p);
      // panic=N: 0 waits forever, N > 0 waits N seconds, N < 0 reboots at once.
      expect(Number(last(words, 'panic')), p.name).toBeLessThan(0);
      expect(qemuArgv(p, 'tcg', { ...paths, nvdimmFiles: p.nvdimms.map(() => '/n') }, words, 'n')).toContain(
        '-no-reboot',
      );
    }
  });

  it('keeps what the console parser and the step markers need: syslog prefixes, no rate limit, KERN_INFO shown', () => {
    const words = kernelCmdline(DEFAULT);
    // console-log.ts lineOrigin() tells user space's /dev/kmsg writes from the kernel's by
    // the `<facility*8+level>` prefix, which the console shows in this format only.
    expect(last(words, 'console_msg_format')).toBe('syslog');
    // /init writes two markers per step to /dev/kmsg; only `on` never drops one.
    expect(initText).toMatch(/> \/dev\/kmsg/);
    expect(last(words, 'printk.devkmsg')).toBe('on');
    // SysRq t's task dumps print at KERN_INFO (6): shown when the console level is above it.
    expect(Number(last(words, 'loglevel'))).toBeGreaterThan(6);
  });

  it("turns the profile's SPM and legacy pmem into one memmap= each ($ reserved, ! pmem), and nothing else", () => {
    const range = (w: string): { op: string; start: number; size: number } => {
      const m = /^([^$!]+)([$!])(.+)$/.exec(w)!;
      return { op: m[2]!, size: parseSize(m[1]!)!, start: parseSize(m[3]!)! };
    };
    for (const p of PROFILES) {
      const want = [
        ...(p.spm ? [{ op: '$', start: p.spm.start, size: p.spm.size }] : []),
        ...p.legacyPmem.map((r) => ({ op: '!', start: r.start, size: r.size })),
      ];
      expect(values(kernelCmdline(p), 'memmap').map(range), p.name).toEqual(want);
    }
    expect(PROFILES.some((p) => p.spm) && PROFILES.some((p) => p.legacyPmem.length > 1)).toBe(true);
  });

  it('test_hmm gets one 256M chunk of the reserved SPM range per device', () => {
    for (const p of PROFILES.filter((x) => x.spm)) {
      const { modprobe, env } = hmmModuleOptions(p);
      const addr = (k: string) =>
        Number(/=(0x[0-9a-f]+)/.exec(modprobe[0]!.split(' ').find((o) => o.startsWith(k))!)![1]);
      const [dev0, dev1] = [addr('spm_addr_dev0='), addr('spm_addr_dev1=')];
      expect(modprobe[0]).toMatch(/^options test_hmm /);
      expect([Number(env['ZDH_SPM_DEV0']), Number(env['ZDH_SPM_DEV1'])]).toEqual([dev0, dev1]);
      const reserved = values(kernelCmdline(p), 'memmap').filter((w) => w.includes('$'));
      const [size, start] = reserved[0]!.split('$').map((x) => parseSize(x)!);
      // Each device's chunk inside the reserved range, and the two apart.
      for (const d of [dev0, dev1]) {
        expect(d).toBeGreaterThanOrEqual(start!);
        expect(d + HMM_CHUNK).toBeLessThanOrEqual(start! + size!);
      }
      expect(Math.abs(dev1 - dev0)).toBeGreaterThanOrEqual(HMM_CHUNK);
    }
    expect(hmmModuleOptions(profile('cpus: 1\n'))).toEqual({ modprobe: [], env: {} });
  });

  it("sets each of its own parameters once, and the profile's words then the caller's come last, so they override", () => {
    for (const p of PROFILES) {
      const own = kernelCmdline({ ...p, cmdline: [] });
      // memmap= repeats, one per range; anything else twice is a mistake (the first is dead).
      const keys = own.map(key).filter((k) => k !== 'memmap');
      expect(new Set(keys).size, p.name).toBe(keys.length);
      const words = kernelCmdline({ ...p, cmdline: ['loglevel=5', 'page_owner=on'] }, [
        'loglevel=3',
        'quiet',
      ]);
      expect(words.slice(0, own.length), p.name).toEqual(own);
      expect(words.slice(own.length), p.name).toEqual(['loglevel=5', 'page_owner=on', 'loglevel=3', 'quiet']);
      expect(last(words, 'loglevel')).toBe('3');
    }
  });

  it('reaches the kernel as one -append argument, word for word: no shell quoting, no QEMU comma doubling', () => {
    for (const p of PROFILES) {
      const words = kernelCmdline(p);
      const argv = qemuArgv(p, 'kvm', { ...paths, nvdimmFiles: p.nvdimms.map(() => '/n,x') }, words, 'n');
      expect(argv.filter((a) => a === '-append')).toHaveLength(1);
      const append = argv[argv.indexOf('-append') + 1]!;
      expect(append.split(' '), p.name).toEqual(words);
      expect(append).not.toMatch(/,,|\\/);
    }
  });
});
