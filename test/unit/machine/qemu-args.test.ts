import { describe, expect, it } from 'vitest';
import { hmmModuleOptions, kernelCmdline } from '../../../harness/machine/cmdline.ts';
import { parseProfile } from '../../../harness/machine/profile.ts';
import type { MachineProfile } from '../../../harness/machine/profile-rules.ts';
import { type QemuPaths, qemuArgv, qemuEscape } from '../../../harness/machine/qemu-args.ts';

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

describe('kernel command line', () => {
  it('has the console (with syslog prefixes), panic handling, the devkmsg markers and the memmap ranges, $ and ! literal', () => {
    const legacy = profile(
      'memory: 6G\nlegacyPmem:\n  - start: 4G\n    size: 1G\nspm:\n  start: 0x40000000\ncmdline: [page_owner=on]\n',
    );
    expect(kernelCmdline(legacy, ['quiet'])).toEqual([
      'console=ttyS0,115200',
      'earlyprintk=serial,ttyS0,115200',
      'rdinit=/init',
      'panic=-1',
      'printk.devkmsg=on',
      'console_msg_format=syslog',
      'loglevel=7',
      'memmap=512M$0x40000000',
      'memmap=1G!0x100000000',
      'page_owner=on',
      'quiet',
    ]);
  });

  it('points test_hmm at the SPM range: dev0 at the start, dev1 256M above', () => {
    expect(hmmModuleOptions(DEFAULT)).toEqual({
      modprobe: ['options test_hmm spm_addr_dev0=0x40000000 spm_addr_dev1=0x50000000'],
      env: { ZDH_SPM_DEV0: '0x40000000', ZDH_SPM_DEV1: '0x50000000' },
    });
    expect(hmmModuleOptions(profile('cpus: 1\n'))).toEqual({ modprobe: [], env: {} });
  });
});
