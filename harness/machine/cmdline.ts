/**
 * The guest kernel command line, as an array of words (QEMU gets it as one -append
 * argument, no shell in between, so `memmap=512M$0x40000000` arrives literally). Pure.
 */
import type { MachineProfile } from './profile-rules.ts';
import { formatHex, formatSize } from './sizes.ts';

export function kernelCmdline(profile: MachineProfile, extra: readonly string[] = []): string[] {
  const words = [
    'console=ttyS0,115200',
    // Prints from the decompressor on ("Decompressing Linux..."), so a stuck early boot shows where.
    'earlyprintk=serial,ttyS0,115200',
    'rdinit=/init',
    // Reboot at once on panic; with QEMU's -no-reboot that ends the VM right after the report.
    'panic=-1',
    // /init writes one marker per step start and end; the default rate limit would drop some.
    'printk.devkmsg=on',
    // `<facility*8+level>` before each console line: what user space wrote to /dev/kmsg
    // shows a facility other than the kernel's 0, so a workload cannot pass off a panic,
    // an oops or a report as the kernel's (console-log.ts lineOrigin, scan/decode.ts).
    'console_msg_format=syslog',
    // The task dumps of SysRq t print at KERN_INFO; keep them on the console.
    'loglevel=7',
  ];
  if (profile.spm) words.push(`memmap=${formatSize(profile.spm.size)}$${formatHex(profile.spm.start)}`);
  for (const p of profile.legacyPmem) words.push(`memmap=${formatSize(p.size)}!${formatHex(p.start)}`);
  words.push(...profile.cmdline, ...extra);
  return words;
}

/** test_hmm options and environment that put its device-coherent devices on the SPM range. */
export function hmmModuleOptions(profile: MachineProfile): {
  modprobe: string[];
  env: Record<string, string>;
} {
  if (!profile.spm) return { modprobe: [], env: {} };
  const dev0 = formatHex(profile.spm.dev0);
  const dev1 = formatHex(profile.spm.dev1);
  return {
    modprobe: [`options test_hmm spm_addr_dev0=${dev0} spm_addr_dev1=${dev1}`],
    env: { ZDH_SPM_DEV0: dev0, ZDH_SPM_DEV1: dev1 },
  };
}
