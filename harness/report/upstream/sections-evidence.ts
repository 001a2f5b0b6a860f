/**
 * The "what was seen" sections of an upstream report: the opening paragraph, and the
 * report itself, quoted from the console (a kernel finding) or from the probe's output (a
 * probe's hang), stack frames symbolised to file:line where the build's vmlinux allowed,
 * the way scripts/decode_stacktrace.sh annotates them. Pure.
 */
import { optionValue, parseDotConfig } from '../../kconfig/dotconfig.ts';
import type { CellResult } from '../../model/result.ts';
import type { Finding, PageInfo } from '../../scan/types.ts';
import { BOOT } from '../view.ts';
import { andList, hex, plural, short } from './format.ts';
import { frameKey, type QuotedLine, quotedOccurrence } from './quote.ts';
import type { Block, Bug, Occurrence, Section, Symbols } from './types.ts';

type FindingOccurrence = Extract<Occurrence, { kind: 'finding' }>;
type ProbeOccurrence = Extract<Occurrence, { kind: 'probe' }>;

/** Where the kernel ran: `Linux 6.1.192 under QEMU (TCG)`. */
export function kernelPlace(cell: CellResult): string {
  const accel = cell.machine.accel === null ? '' : ` with ${cell.machine.accel.toUpperCase()}`;
  return `Linux ${cell.kernel.release ?? cell.kernel.name} under QEMU${accel}`;
}

const article = (word: string): string => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);

const shownOccurrences = (bug: Bug): Occurrence[] => bug.occurrences.filter((o) => o.cell === bug.shown);

/** The opening paragraphs: what happened, where, and how often in the cell quoted. */
export function openingSection(bug: Bug, program: string | null): Section {
  const shown = shownOccurrences(bug);
  const cell = bug.shown.cell;
  const blocks: Block[] =
    bug.kind === 'finding'
      ? findingOpening(
          shown.filter((o): o is FindingOccurrence => o.kind === 'finding'),
          cell,
        )
      : probeOpening(
          shown.filter((o): o is ProbeOccurrence => o.kind === 'probe'),
          cell,
          program,
        );
  if (cell.exit !== null && cell.exit.reason.kind !== 'done' && cell.exit.reason.kind !== 'interrupted')
    blocks.push({ kind: 'prose', text: `zdh then stopped the machine: ${cell.exit.message}.` });
  return { heading: null, blocks };
}

function findingOpening(shown: readonly FindingOccurrence[], cell: CellResult): Block[] {
  const f = shown[0]!.finding;
  const during =
    f.workload === BOOT
      ? 'while it booted'
      : `while zdh's ${andList(shown.map((o) => o.workload))} workload ran`;
  const count = shown.reduce((n, o) => n + o.finding.count, 0);
  const times =
    count === 1 ? 'once' : `${count} times in one boot (the first complete report is quoted below)`;
  const kind = [
    f.category,
    f.refcount ? 'a page refcount problem' : '',
    f.pageKind === null ? '' : `about ${article(f.pageKind)} page`,
    f.corrupted ? 'the report is truncated (no usable stack)' : '',
  ].filter((x) => x !== '');
  const blocks: Block[] = [
    {
      kind: 'prose',
      text:
        `The kernel reported this ${during} on ${kernelPlace(cell)}, in zdh cell ${cell.id}: ${times}. ` +
        `zdh's log scanner files it as ${kind.join('; ')}.`,
    },
  ];
  if (f.page !== null) blocks.push({ kind: 'prose', text: `The page: ${pageText(f.page)}.` });
  return blocks;
}

function pageText(p: PageInfo): string {
  const parts = [
    p.pfn === null ? null : `pfn ${hex(p.pfn)}`,
    p.refcount === null ? null : `refcount ${p.refcount}`,
    p.mapcount === null ? null : `mapcount ${p.mapcount}`,
    p.mapping === null ? 'no mapping' : `mapping ${p.mapping}${p.aops ? ` (${p.aops})` : ''}`,
    p.flags.length > 0 ? `flags ${p.flags.join('|')}` : null,
    p.zone === null ? null : `zone ${p.zone}`,
    p.reason === null ? null : `"${p.reason}"`,
  ];
  return parts.filter((x) => x !== null).join(', ');
}

function probeOpening(shown: readonly ProbeOccurrence[], cell: CellResult, program: string | null): Block[] {
  const cases = andList(shown.map((o) => o.case.name));
  const workloads = andList([...new Set(shown.map((o) => o.workload))]);
  const probe = program === null ? "zdh's probe" : `zdh's probe ${program}`;
  const which = shown.length === 1 ? `The case ${cases} of ${probe}` : `The cases ${cases} of ${probe}`;
  const sleepers = [...new Set(shown.map((o) => o.hang.sleeper).filter((s) => s !== null))];
  const where =
    sleepers.length === 0
      ? ''
      : ` The stuck ${shown.length === 1 ? 'task sleeps' : 'tasks sleep'} in ${andList(sleepers)}.`;
  const blocks: Block[] = [
    {
      kind: 'prose',
      text: `${which} (workload ${workloads}) hung on ${kernelPlace(cell)}, in zdh cell ${cell.id}.${where}`,
    },
  ];
  for (const o of shown) {
    const what = o.hang.hang === null ? '' : ` ${sentence(o.hang.hang)}`;
    const diagnosis =
      o.hang.diagnosis === null
        ? ''
        : ` The probe's diagnosis, ${o.hang.diagnosis.verdict}: ${sentence(o.hang.diagnosis.text)}`;
    blocks.push({ kind: 'prose', text: `${o.case.name}:${what}${diagnosis}` });
  }
  return blocks;
}

const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);

/** The report itself: the console lines of the finding, or the probe's lines, annotated. */
export function logSection(bug: Bug, symbols: Symbols, finalConfig: string | null): Section {
  const shown = shownOccurrences(bug);
  const blocks: Block[] = [];
  const quoted: QuotedLine[][] = [];
  for (const o of shown) {
    const q = quotedOccurrence(o);
    if (q === null) {
      if (o.kind !== 'finding') continue;
      blocks.push({
        kind: 'prose',
        text: `The console log of ${bug.shown.cell.id} is not in the run folder; the scanner's excerpt:`,
      });
      blocks.push({ kind: 'quote', lines: o.finding.excerpt.split('\n') });
      continue;
    }
    quoted.push(q);
    blocks.push({
      kind: 'prose',
      text:
        o.kind === 'finding'
          ? findingSource(o.finding, bug.shown.cell, q.length)
          : `The output of case ${o.case.name} (workload ${o.workload}, cell ${bug.shown.cell.id}), as the probe printed it; the kernel stacks are from /proc/<tid>/stack:`,
    });
    blocks.push({ kind: 'quote', lines: annotate(q, symbols) });
  }
  const frames = quoted.flat().filter((l) => l.frame !== null);
  if (frames.length > 0) blocks.push({ kind: 'prose', text: symbolNote(frames, symbols, finalConfig) });
  return { heading: 'Report', blocks };
}

function findingSource(f: Finding, cell: CellResult, kept: number): string {
  const span = f.lastLine - f.firstLine + 1;
  const left = span - kept;
  return (
    `From the serial console of cell ${cell.id}, console.log lines ${f.firstLine}-${f.lastLine}, ` +
    `printk timestamps and caller ids kept` +
    (left > 0 ? ` (${plural(left, 'line')} of other tasks, CPUs or user space left out):` : ':')
  );
}

/** Each frame line with ` (file:line)` after it, when symbolisation found one. */
function annotate(lines: readonly QuotedLine[], symbols: Symbols): string[] {
  return lines.map((l) => {
    if (l.frame === null) return l.text;
    const source = l.frame.source === null ? symbols.sources.get(frameKey(l.frame)) : undefined;
    return source === undefined ? l.text : `${l.text} (${source})`;
  });
}

function symbolNote(frames: readonly QuotedLine[], symbols: Symbols, finalConfig: string | null): string {
  if (symbols.build.kind === 'unavailable')
    return `Stack frames are as the kernel printed them: ${symbols.build.reason}.`;
  const decoded = frames.filter((l) => l.frame!.source !== null).length;
  const found = frames.filter(
    (l) => l.frame!.source === null && symbols.sources.has(frameKey(l.frame!)),
  ).length;
  const binaries = `vmlinux${symbols.build.modulesDir === null ? '' : ' and modules'}`;
  const rebuilt = symbols.build.rebuilt;
  if (rebuilt !== undefined) {
    const twin =
      `the ${binaries} of the same kernel built again with debug info (the cell's source, ` +
      `patches and fragments plus zdh's debug-info fragment; zdh cache key ${short(rebuilt.cacheKey)})`;
    return found > 0
      ? `${plural(found, 'stack frame')} of ${frames.length - decoded} symbolised to file:line with ${twin}, ` +
          'each only where its function has the size the kernel printed (addr2line, as ' +
          'scripts/faddr2line does).'
      : `Stack frames are as the kernel printed them: no function of theirs has the printed size in ${twin}.`;
  }
  if (found > 0)
    return (
      `${plural(found, 'stack frame')} of ${frames.length - decoded} symbolised to file:line with the ` +
      `build's ${binaries} (addr2line, as scripts/decode_stacktrace.sh does).`
    );
  const noDebugInfo =
    finalConfig !== null && optionValue(parseDotConfig(finalConfig), 'DEBUG_INFO_NONE') === 'y';
  return noDebugInfo
    ? 'Stack frames are as the kernel printed them: the build has no debug info ' +
        '(CONFIG_DEBUG_INFO_NONE=y), so addr2line cannot place them; `zdh report --upstream ' +
        '--debug-info` builds the same kernel again with debug info and places them with that.'
    : "Stack frames are as the kernel printed them: addr2line found no line for them in the build's vmlinux.";
}
