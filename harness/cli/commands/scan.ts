import { statSync } from 'node:fs';
import { configError, formatError, usageError, ZdhError } from '../../errors.ts';
import { type Finding, Symboliser, scanFile } from '../../scan/index.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import type { RegisterCommand } from './index.ts';

interface ScanFlags {
  json?: boolean;
  vmlinux?: string;
  modules?: string;
  zoneDevice?: string;
}

interface LogResult {
  file: string;
  findings: Finding[];
}

/**
 * `zdh scan [--json] [--vmlinux FILE] [--modules DIR] LOG...`: the kernel-log analyser on
 * saved console logs. Exit 1 when any log has a finding, 0 when none has, 2 when a log (or
 * the vmlinux/modules given) cannot be read; the logs that could be read are still reported.
 */
export const registerScan: RegisterCommand = (program, result) =>
  program
    .command('scan')
    .description('find kernel BUGs, WARNINGs, oopses, hangs and panics in console logs')
    .argument('<log...>', 'console log files (QEMU serial output, dmesg)')
    .option('--json', 'print one JSON object per log, one per line: {file, findings}')
    .option('--vmlinux <file>', "the build's vmlinux: symbolise stack frames to file:line")
    .option('--modules <dir>', "the build's modules folder: symbolise module frames too")
    .option('--zone-device <n>', 'ZONE_DEVICE index in dump_page flags (zone=N); default 4 (x86_64)')
    .action(async (logs: string[], flags: ScanFlags) => {
      result.code = await scan(logs, flags);
    });

async function scan(logs: readonly string[], flags: ScanFlags): Promise<number> {
  const zoneDevice = flags.zoneDevice === undefined ? undefined : Number(flags.zoneDevice);
  if (zoneDevice !== undefined && !(Number.isInteger(zoneDevice) && zoneDevice >= 0)) {
    throw usageError(`--zone-device must be a zone index, not ${flags.zoneDevice}`);
  }
  if (flags.vmlinux !== undefined) mustRead(flags.vmlinux, 'vmlinux', 'file');
  if (flags.modules !== undefined) mustRead(flags.modules, 'modules folder', 'dir');

  const results: LogResult[] = [];
  const errors: unknown[] = [];
  for (const file of logs) {
    try {
      results.push({ file, findings: await scanFile(file, zoneDevice === undefined ? {} : { zoneDevice }) });
    } catch (error) {
      errors.push(error);
    }
  }
  if (flags.vmlinux !== undefined || flags.modules !== undefined) {
    const symboliser = new Symboliser({
      ...(flags.vmlinux === undefined ? {} : { vmlinux: flags.vmlinux }),
      ...(flags.modules === undefined ? {} : { modulesDir: flags.modules }),
    });
    await symboliser.symbolise(results.flatMap((r) => r.findings));
  }
  // `zdh scan … | head` closes stdout early: stop writing instead of dying on EPIPE.
  let stdoutClosed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stdoutClosed = true;
  });
  for (const r of results) {
    if (stdoutClosed) break;
    process.stdout.write(flags.json ? `${JSON.stringify(r)}\n` : humanSummary(r));
  }
  for (const error of errors) process.stderr.write(`${formatError(error)}\n`);
  if (errors.length > 0) {
    const kind = errors[0] instanceof ZdhError ? errors[0].kind : 'infrastructure';
    return exitCodeFor({ kind: 'error', error: kind });
  }
  return results.some((r) => r.findings.length > 0) ? EXIT.fail : EXIT.pass;
}

function mustRead(path: string, what: string, type: 'file' | 'dir'): void {
  let ok = false;
  try {
    const st = statSync(path);
    ok = type === 'file' ? st.isFile() : st.isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw configError(`cannot read ${what} ${path}`);
}

/** A few lines per log: one per finding, the most useful facts first. */
export function humanSummary(r: LogResult): string {
  if (r.findings.length === 0) return `${r.file}: no findings\n`;
  const lines = [`${r.file}: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`];
  for (const f of r.findings) {
    const tags = [
      f.category,
      f.refcount ? 'refcount' : '',
      f.pageKind ?? '',
      f.corrupted ? 'corrupted' : '',
      f.count > 1 ? `×${f.count}` : '',
    ].filter((t) => t !== '');
    lines.push(`  ${f.title}`);
    lines.push(`    [${tags.join(', ')}] workload ${f.workload}, lines ${f.firstLine}-${f.lastLine}`);
    const where = f.frames.find((fr) => fr.source !== null);
    if (where !== undefined) lines.push(`    at ${where.function} (${where.source})`);
  }
  return `${lines.join('\n')}\n`;
}
