import { join } from 'node:path';
import { Scanner } from '../../../harness/scan/scanner.ts';
import type { Finding, ScanOptions } from '../../../harness/scan/types.ts';
import { projectRoot } from '../../../harness/util/paths.ts';

export const fixturesDir = join(projectRoot, 'test', 'fixtures', 'logs');

/** Scans lines given as an array (newlines added). */
export function scan(lines: readonly string[], options: ScanOptions = {}): Finding[] {
  const scanner = new Scanner(options);
  scanner.push(`${lines.join('\n')}\n`);
  return scanner.finish();
}

/** Prefixes each line with a printk timestamp (and a caller id when given). */
export function kmsg(lines: readonly string[], caller?: string, start = 10): string[] {
  return lines.map((l, i) => {
    const t = (start + i / 1000).toFixed(6).padStart(12, ' ');
    return `[${t}]${caller === undefined ? '' : `[${caller.padStart(6, ' ')}]`} ${l}`;
  });
}

/** A minimal 6.1 WARNING report (cut here … end trace). */
export function warning(
  site: string,
  fn: string,
  callers: readonly string[] = ['do_syscall_64+0x3b/0x90'],
): string[] {
  return [
    '------------[ cut here ]------------',
    `WARNING: CPU: 1 PID: 77 at ${site} ${fn}+0x4f/0xb0`,
    'Modules linked in: test_hmm',
    'CPU: 1 PID: 77 Comm: t Not tainted 6.1.0 #1',
    `RIP: 0010:${fn}+0x4f/0xb0`,
    'Call Trace:',
    ' <TASK>',
    ...callers.map((c) => ` ${c}`),
    ' </TASK>',
    '---[ end trace 0000000000000000 ]---',
  ];
}
