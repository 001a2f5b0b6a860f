/**
 * Benchmark of the kernel-log analyser through its real streaming path (scanFile).
 * Writes a synthetic console log (~200 MB of CRLF lines, like a serial console: kernel
 * chatter, workload output, user-space lines, step markers and, now and then, a kernel
 * report) to a temp file, scans it, and prints MB/s.
 *
 *   node scripts/bench-scan.ts [--mb 200] [--runs 3] [--keep]
 *
 * Not a test: timing depends on the machine. The target is at least 100 MB/s.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scanFile } from '../harness/scan/read.ts';

const HARMLESS = [
  'EXT4-fs (pmem0): mounted filesystem with ordered data mode. Quota mode: none.',
  'EXT4-fs warning (device pmem0): ext4_multi_mount_protect:319: MMP interval 42 higher than expected, please wait.',
  'ACPI: [Firmware Bug]: BIOS _OSI(Linux) query ignored',
  'ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0.S08.S00._ADR], AE_NOT_FOUND (20220331/dswload2-162)',
  'nd_pmem namespace0.0: unable to guarantee persistence of writes',
  'pmem0: p:0x100000000 size:0x80000000 (2.00 GiB)',
  'hmm-tests[412]: migrate 512 pages to device 0',
  'test_hmm: added dmirror device 0 with 256 pages',
  'random: crng reseeded on system resumption',
  'audit: type=1400 audit(1700000000.123:42): apparmor="STATUS" operation="profile_load"',
  'systemd[1]: Started Journal Service.',
  'rcu: Preemptible hierarchical RCU implementation.',
  'page_owner is disabled',
  'Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible',
  'dax-stress: iteration 1000 ok, 4096 faults, 0 errors',
  'zdh: workload output line with some numbers 12345 67890 and a path /mnt/pmem/file.0',
];
const USER = ['# BUG: foo', 'ok 3 BUG: bar', 'ok 4 hmm.private.anon_read', '# totals: pass:3 fail:0'];
const REPORT = [
  '------------[ cut here ]------------',
  'refcount_t: underflow; use-after-free.',
  'WARNING: CPU: 0 PID: 320 at lib/refcount.c:28 refcount_warn_saturate+0xba/0x110',
  'Modules linked in: test_hmm',
  'CPU: 0 PID: 320 Comm: hmm-tests Not tainted 6.1.0-zdh #1',
  'RIP: 0010:refcount_warn_saturate+0xba/0x110',
  'Call Trace:',
  ' <TASK>',
  ' dmirror_fops_release+0x7f/0x90 [test_hmm]',
  ' __fput+0x8e/0x250',
  ' task_work_run+0x59/0x90',
  ' do_syscall_64+0x48/0x90',
  ' entry_SYSCALL_64_after_hwframe+0x63/0xcd',
  ' </TASK>',
  '---[ end trace 0000000000000000 ]---',
];

async function generate(path: string, bytes: number): Promise<number> {
  const file = await open(path, 'w');
  let written = 0;
  let line = 0;
  let usec = 0;
  const parts: string[] = [];
  let pending = 0;
  const flush = async (): Promise<void> => {
    const buf = Buffer.from(parts.join(''), 'utf8');
    parts.length = 0;
    pending = 0;
    await file.write(buf);
    written += buf.length;
  };
  while (written + pending < bytes) {
    line++;
    usec += 137;
    const ts = `[${String(Math.floor(usec / 1e6)).padStart(5, ' ')}.${String(usec % 1e6).padStart(6, '0')}] `;
    let text: string;
    if (line % 20_000 === 0) {
      text = REPORT.map((r) => ts + r).join('\n');
    } else if (line % 50 === 0) {
      text = USER[line % USER.length]!;
    } else if (line % 5_000 === 0) {
      text = `${ts}zdh: step ${line % 10_000 === 0 ? 'end' : 'begin'} step-${Math.floor(line / 10_000)}${line % 10_000 === 0 ? ' status=0' : ''}`;
    } else {
      text = ts + HARMLESS[line % HARMLESS.length]!;
    }
    // Serial consoles end lines with CRLF; that is what QEMU's console.log holds.
    parts.push(text.replaceAll('\n', '\r\n'), '\r\n');
    pending += text.length + 2;
    if (pending > 4 << 20) await flush();
  }
  await flush();
  await file.close();
  return written;
}

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean' },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'zdh-bench-scan-'));
const path = join(dir, 'console.log');
try {
  process.stdout.write(`generating ${values.mb} MB synthetic log in ${path} … `);
  await generate(path, Number(values.mb) * 1e6);
  const size = statSync(path).size;
  process.stdout.write(`${(size / 1e6).toFixed(1)} MB\n`);
  const rates: number[] = [];
  for (let run = 1; run <= Number(values.runs); run++) {
    const started = performance.now();
    const findings = await scanFile(path);
    const seconds = (performance.now() - started) / 1000;
    const rate = size / 1e6 / seconds;
    rates.push(rate);
    console.log(
      `run ${run}: ${seconds.toFixed(2)} s, ${rate.toFixed(0)} MB/s, ${findings.length} finding(s), ` +
        `${findings.reduce((n, f) => n + f.count, 0)} report(s)`,
    );
  }
  rates.sort((a, b) => a - b);
  console.log(`median: ${rates[Math.floor(rates.length / 2)]!.toFixed(0)} MB/s (target ≥ 100 MB/s)`);
} finally {
  if (values.keep) console.log(`kept ${path}`);
  else rmSync(dir, { recursive: true, force: true });
}
