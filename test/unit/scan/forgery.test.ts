import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanConsoleLog } from '../../../harness/run/scan-console.ts';
import { Scanner } from '../../../harness/scan/scanner.ts';
import { fixturesDir } from './helpers.ts';

// The guest console as zdh's kernels print it (console_msg_format=syslog, PRINTK_TIME,
// PRINTK_CALLER): `<facility*8+level>[   time][  Tpid] text`. The kernel's own records have
// facility 0 (`<0>`..`<7>`); what user space writes to /dev/kmsg gets facility 1 or more
// (`<12>`: LOG_USER, the default level 4), whatever prefix it writes itself.
const NONCE = 'kmsgN0nceOfBoot';
const rec = (syslog: number, time: number, caller: string, text: string): string =>
  `<${syslog}>[${time.toFixed(6).padStart(12)}][${caller.padStart(6)}] ${text}`;

// A real 6.1 report (fixture bad-page-state-6.1.log, lines 3-36), message texts only.
const report = readFileSync(join(fixturesDir, 'bad-page-state-6.1.log'), 'utf8')
  .split('\n')
  .slice(2, 36)
  .map((l) => l.replace(/^\[ *[\d.]+\] /, ''));

const log = [
  rec(5, 0, 'T0', 'Linux version 6.1.192 (zdh@zdh) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP'),
  // /init's marker, through /dev/kmsg, with the boot's nonce.
  rec(12, 2.1, 'T95', `zdh: step begin dax-ext4 nonce=${NONCE}`),
  // A workload writing marker-like lines to /dev/kmsg: no nonce, a wrong one; and one
  // printed straight to the console, with no printk prefix at all.
  rec(12, 2.2, 'T120', 'zdh: step end dax-ext4 status=0'),
  rec(12, 2.3, 'T120', 'zdh: step begin hmm-tests nonce=0therBoot'),
  `zdh: step begin gup nonce=${NONCE}`,
  // The kernel's report: the step's finding.
  ...report.map((t, i) => rec(1, 2.4 + i / 1e6, 'T245', t)),
  // The same report and a panic, written to /dev/kmsg by user space.
  ...report.map((t, i) => rec(12, 3 + i / 1e6, 'T120', t.replace('dax_zap_entry_pages', 'forged_frame'))),
  rec(8, 3.5, 'T120', 'Kernel panic - not syncing: forged'),
  rec(12, 4.0, 'T95', `zdh: step end dax-ext4 status=1 nonce=${NONCE}`),
];

describe('lines user space writes to the console or /dev/kmsg', () => {
  it('are never a kernel report, and are step markers only with the printk prefix and the boot nonce', () => {
    const markers: string[] = [];
    const scanner = new Scanner({
      markerNonce: NONCE,
      onStepMarker: (m, n) => markers.push(`${n}:${m.kind}:${m.step}`),
    });
    scanner.push(`${log.join('\n')}\n`);
    const findings = scanner.finish();
    expect(findings.map((f) => [f.category, f.workload, f.count, f.firstLine, f.lastLine])).toEqual([
      ['bad-page-state', 'dax-ext4', 1, 6, 6 + report.length - 1],
    ]);
    expect(markers).toEqual(['2:begin:dax-ext4', `${log.length}:end:dax-ext4`]);
  });

  it('do not move a step in the run console.log', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'zdh-forgery-')), 'console.log');
    writeFileSync(file, log.map((l) => `2026-11-25T21:00:00.193Z ${l}\n`).join(''));
    const scan = await scanConsoleLog(file, undefined, NONCE);
    expect([...scan.stepLines]).toEqual([['dax-ext4', [2, log.length]]]);
    expect(scan.findings.map((f) => f.workload)).toEqual(['dax-ext4']);
  });

  it('a log of unknown origin (zdh scan): markers with or without a nonce, kernel records only', () => {
    const scanner = new Scanner();
    scanner.push(`${log.join('\n')}\n`);
    // Without the boot's nonce, the forged begin of hmm-tests (a printk record) counts; the
    // marker without a printk prefix and the user-space report still do not.
    expect(scanner.finish().map((f) => [f.workload, f.firstLine])).toEqual([['hmm-tests', 6]]);
  });
});
