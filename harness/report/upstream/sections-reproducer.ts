/**
 * The reproducer of an upstream report: the `zdh repro` command for the quoted cell
 * narrowed to the bug's workload, the run's own command, the guest commands the step ran,
 * and for a probe's hang the probe's source and the case alone (`--only`, which every
 * probe takes: guests/probes/zdh-probe.h), in the guest and as one `zdh boot --workload`
 * command that runs it in a fresh boot of the cell's kernel and machine. Pure.
 */
import type { KernelInfo } from '../../model/result.ts';
import { DEBIAN_SOURCE_TARBALL } from '../../util/paths.ts';
import type { WorkloadDecl } from '../../workloads/types.ts';
import { GUEST_BIN } from '../../workloads/types.ts';
import { BOOT } from '../view.ts';
import { declaredParts, type GuestPart, guestCommands } from './guest-commands.ts';
import type { Block, Bug, CellFolder, SavedCell, Section } from './types.ts';

/** The program a workload's command runs, when it is one of zdh's probes. */
export interface ProbeProgram {
  name: string;
  /** guests/probes/<source>. */
  source: string;
}

/** The guest commands of one workload's step in a cell. */
export function stepParts(cell: CellFolder, workload: string, decls: readonly WorkloadDecl[]): GuestPart[] {
  const decl = decls.find((d) => d.name === workload);
  const params = cell.saved?.workloads.find((w) => w.name === workload)?.params ?? {};
  const step = cell.stepOutput(workload);
  return guestCommands(
    step === null ? null : { output: step.text, nonce: step.nonce },
    decl === undefined ? [] : declaredParts(decl, params),
  );
}

/** The probe the step's main command starts, from the workload's declared programs. */
export function probeProgram(
  workload: string,
  parts: readonly GuestPart[],
  decls: readonly WorkloadDecl[],
): ProbeProgram | null {
  const main = parts.find((p) => p.part === 'command');
  const first = main?.command.trim().split(/\s+/)[0]?.replace(/^.*\//, '');
  const decl = decls.find((d) => d.name === workload);
  const program = decl?.programs?.find((p) => p.name === first && p.from === 'probe');
  if (program === undefined) return null;
  return { name: program.name, source: `guests/probes/${program.source ?? `${program.name}.c`}` };
}

export function reproducerSection(
  runDir: string,
  runCommand: readonly string[],
  bug: Bug,
  decls: readonly WorkloadDecl[],
): Section {
  const shown = bug.occurrences.filter((o) => o.cell === bug.shown);
  const workloads = [...new Set(shown.map((o) => o.workload))].filter((w) => w !== BOOT);
  const cell = bug.shown.cell;
  const blocks: Block[] = [
    {
      kind: 'prose',
      text:
        workloads.length === 0
          ? 'With zdh (from its checkout), the same kernel, machine and workloads again; it was seen during boot:'
          : `With zdh (from its checkout), the same kernel and machine again, running only the ${workloads.join(', ')} workload:`,
    },
    {
      kind: 'argv',
      words: ['zdh', 'repro', runDir, '--cell', cell.id, ...workloads.flatMap((w) => ['--workload', w])],
    },
  ];
  if (runCommand.length > 0) {
    blocks.push({ kind: 'prose', text: 'The run that found it was:' });
    blocks.push({ kind: 'argv', words: ['zdh', ...runCommand] });
  }
  for (const w of workloads) {
    const parts = stepParts(bug.shown, w, decls);
    if (parts.length === 0) continue;
    blocks.push({ kind: 'prose', text: guestIntro(w, parts) });
    blocks.push({ kind: 'shell', lines: partLines(parts) });
    const program = probeProgram(w, parts, decls);
    const cases = shown.filter((o) => o.kind === 'probe' && o.workload === w);
    const main = parts.find((p) => p.part === 'command');
    if (program === null || cases.length === 0 || main === undefined || main.cut) continue;
    blocks.push({
      kind: 'prose',
      text:
        `The probe is ${program.source} in zdh (a static C program; --list names its cases). ` +
        `To run ${cases.length === 1 ? 'the case' : 'each case'} alone, after the set-up commands above:`,
    });
    const alone = cases.map((o) => `${main.command} --only ${o.kind === 'probe' ? o.case.name : ''}`);
    blocks.push({ kind: 'shell', lines: alone });
    const boot = bootWords(bug.shown, w);
    const setup = parts.filter((p) => p.part === 'setup');
    if (
      boot === null ||
      setup.some((p) => p.cut) ||
      [...setup.map((p) => p.command), main.command].some(multiLine)
    )
      continue;
    blocks.push({
      kind: 'prose',
      text:
        `Or ${cases.length === 1 ? 'the case' : 'each case'} in a fresh boot, with zdh (from its checkout): ` +
        `the same kernel and machine, the ${w} workload's programs in the guest, its set-up commands, ` +
        `then the case; zdh exits with the case's status, 1 if the kernel crashes or hangs for good:`,
    });
    for (const command of alone)
      blocks.push({
        kind: 'argv',
        words: boot,
        script: [...setup.map((p) => groupedCommand(p.command)), command],
      });
  }
  return { heading: 'Reproducer', blocks };
}

const multiLine = (command: string): boolean => command.includes('\n');

/**
 * A command as one operand of `&&`: in braces when it has operators of its own, so that
 * `a || { echo x; exit 1; }` joined to the others still means what it meant alone.
 */
export function groupedCommand(command: string): string {
  return /[;&|]/.test(command) ? `{ ${command.trim()}; }` : command.trim();
}

/**
 * `zdh boot --workload W [kernel flags] [--machine M] [--accel A] -- sh -c`, for the cell,
 * the script to come after it; null when cell.json does not say what kernel it was.
 */
export function bootWords(cell: CellFolder, workload: string): string[] | null {
  const saved = cell.saved;
  const kernel = saved === null ? null : bootKernelFlags(saved, cell.cell.kernel);
  if (saved === null || kernel === null) return null;
  const machine = saved.machine ?? cell.cell.machine.name;
  return [
    'zdh',
    'boot',
    '--workload',
    workload,
    ...kernel,
    ...(machine === 'default' ? [] : ['--machine', machine]),
    ...(saved.accel === 'kvm' || saved.accel === 'tcg' ? ['--accel', saved.accel] : []),
    '--',
    'sh',
    '-c',
  ];
}

/**
 * The flags of `zdh boot` (cli/kernel-flags.ts) that build the cell's kernel as cell.json
 * records its spec; what is the default (Debian's 6.1 tarball, tinyconfig, zdh's own
 * fragments) is left out. A git source takes the commit the build recorded, which a branch
 * name may since have left. Null without a spec whose source is known.
 */
export function bootKernelFlags(saved: SavedCell, info: KernelInfo): string[] | null {
  const k = saved.kernel;
  if (k === null || k.source === null) return null;
  const source =
    k.source.kind === 'git'
      ? [
          '--git',
          k.source.repo,
          '--ref',
          info.source.kind === 'git' ? (info.source.commit ?? k.source.ref) : k.source.ref,
        ]
      : k.source.kind === 'tree'
        ? ['--tree', k.source.path]
        : k.source.path === DEBIAN_SOURCE_TARBALL
          ? []
          : ['--tarball', k.source.path];
  return [
    ...source,
    ...(k.base === null || k.base === 'tinyconfig' ? [] : ['--base', k.base]),
    ...k.patches.flatMap((p) => ['--patches', p]),
    ...k.fragments.flatMap((f) => ['--config', f]),
    ...(k.defaultFragments ? [] : ['--no-default-fragments']),
  ];
}

function guestIntro(workload: string, parts: readonly GuestPart[]): string {
  const ran = parts.filter((p) => p.from === 'run').length;
  const source =
    ran === 0
      ? `The ${workload} workload's declaration gives these guest commands (the run kept no output of its step)`
      : `In the guest, the ${workload} step ran these commands` +
        (ran < parts.length ? ' (those marked "planned" it never got to)' : '');
  const cut = parts.some((p) => p.cut)
    ? ' A command ending in "..." was cut in the step output, and its workload declaration has changed since.'
    : '';
  return (
    `${source}, in order, each in busybox sh as root with ${GUEST_BIN} first in PATH ` +
    `(zdh-pmem and zdh-hmm are zdh's guests/probes/*.sh helpers).${cut}`
  );
}

function partLines(parts: readonly GuestPart[]): string[] {
  const out: string[] = [];
  const mixed = parts.some((p) => p.from === 'run') && parts.some((p) => p.from === 'declaration');
  let last = '';
  for (const p of parts) {
    const name = p.part === 'check' ? `check ${p.label}` : p.part;
    const heading = `# ${name}${mixed && p.from === 'declaration' ? ' (planned)' : ''}`;
    if (heading !== last) out.push(heading);
    last = heading;
    out.push(p.command);
  }
  return out;
}
