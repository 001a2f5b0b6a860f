/**
 * The "what ran" sections of an upstream report: the kernel (release, source, patches by
 * subject, configuration), the machine (QEMU, accelerator, NVDIMM / SPM layout, command
 * line), and the configuration as a fragment over its base. Pure.
 */
import type { KernelInfo, MachineInfo } from '../../model/result.ts';
import { type ConfigFragment, configFragment, configLine } from './config-fragment.ts';
import { bytes, fragmentLabel, hex, plural, short } from './format.ts';
import type { CheckoutFacts, SavedMachine, Section } from './types.ts';

/** How the run names its kernel's source: tarball hash, git commit, or tree fingerprint. */
export function sourceText(source: KernelInfo['source']): string {
  switch (source.kind) {
    case 'tarball':
      return `tarball ${source.location}${source.id ? `, sha256 ${source.id}` : ''}`;
    case 'git': {
      const commit = source.commit ?? source.ref ?? 'unknown commit';
      const ref = source.ref !== undefined && source.ref !== source.commit ? ` (${source.ref})` : '';
      const tree = source.id?.startsWith('git-tree:') ? `, tree ${source.id.slice('git-tree:'.length)}` : '';
      return `git commit ${commit}${ref} of ${source.location}${tree}`;
    }
    case 'tree':
      return `source tree ${source.location}${source.id ? `, fingerprint ${source.id}` : ''} (paths, sizes and mtimes)`;
    default:
      return `${source.kind} ${source.location}${source.id ? ` (${source.id})` : ''}`;
  }
}

export function kernelSection(kernel: KernelInfo, facts: CheckoutFacts, configName: string | null): Section {
  const rows: [string, string][] = [
    ['Release', kernel.release ?? 'unknown (the kernel was not built)'],
    ['Source', sourceText(kernel.source)],
  ];
  if (facts.patches.length === 0) rows.push(['Patches', 'none']);
  facts.patches.forEach((p, i) => {
    const text =
      p.file === null
        ? `${p.name} [patch file not found: subject unknown]`
        : `${p.name}: ${p.subject ?? '(no description)'}` +
          (p.same ? '' : ` [${p.file} has changed since the run; its subject as it reads now]`);
    rows.push([i === 0 ? 'Patches' : '', text]);
  });
  const fragments = kernel.fragments.map((f) => fragmentLabel(f.name));
  const config = [
    kernel.base,
    ...(fragments.length > 0
      ? [`${plural(fragments.length, 'zdh fragment')} (${fragments.join(', ')})`]
      : []),
  ].join(' + ');
  const attached = configName === null ? 'the run kept no .config' : `full .config attached as ${configName}`;
  rows.push([
    'Config',
    `${config}: the options set are at the end; ${attached}${kernel.configSha256 ? ` (sha256 ${short(kernel.configSha256)})` : ''}`,
  ]);
  for (const note of kernel.configNotes ?? []) rows.push(['Config note', note]);
  if (kernel.toolchain) rows.push(['Toolchain', kernel.toolchain]);
  return { heading: 'Kernel', blocks: [{ kind: 'fields', rows }] };
}

export function machineSection(machine: MachineInfo, saved: SavedMachine | null): Section {
  const rows: [string, string][] = [
    ['QEMU', machine.qemuVersion ?? 'unknown'],
    ['Accelerator', `${machine.accel ?? 'unknown'}${machine.accelReason ? ` (${machine.accelReason})` : ''}`],
  ];
  if (saved === null) {
    rows.push(['Machine', `profile ${machine.name} (its layout was not saved with the run)`]);
  } else {
    const cpus = saved.cpus === null ? '' : `${plural(saved.cpus, 'vCPU')}, `;
    const mem = saved.memory === null ? 'memory unknown' : `${bytes(saved.memory)} RAM`;
    const max =
      saved.maxmem === null || saved.maxmem === saved.memory
        ? ''
        : ` (up to ${bytes(saved.maxmem)}${saved.slots ? `, ${plural(saved.slots, 'hot-plug slot')}` : ''})`;
    rows.push(['Machine', `profile ${saved.name}: ${cpus}${mem}${max}`]);
    for (const [i, n] of saved.nvdimms.entries()) {
      const node = n.node === null ? '' : `, NUMA node ${n.node}`;
      rows.push([
        i === 0 ? 'NVDIMM' : '',
        `${n.id}: ${bytes(n.size)} with a ${bytes(n.label)} label area, ${bytes(n.align)} aligned${node}`,
      ]);
    }
    if (saved.nvdimms.length === 0) rows.push(['NVDIMM', 'none']);
    for (const [i, p] of saved.legacyPmem.entries())
      rows.push([i === 0 ? 'Legacy pmem' : '', `${bytes(p.size)} at ${hex(p.start)} (memmap=size!start)`]);
    rows.push([
      'SPM',
      saved.spm === null
        ? 'none'
        : `${bytes(saved.spm.size)} at ${hex(saved.spm.start)} (EFI specific-purpose memory; ` +
          `test_hmm spm_addr_dev0=${hex(saved.spm.dev0)}, spm_addr_dev1=${hex(saved.spm.dev1)})`,
    ]);
    if (saved.numa !== null)
      rows.push([
        'NUMA',
        saved.numa.map((n) => `node ${n.id}: ${plural(n.cpus, 'CPU')}, ${bytes(n.memory)}`).join('; '),
      ]);
  }
  rows.push(['Command line', machine.cmdline.length > 0 ? machine.cmdline.join(' ') : 'unknown']);
  return { heading: 'Machine', blocks: [{ kind: 'fields', rows }] };
}

/** The configuration as a fragment over its base, values from the run's .config. */
export function configSection(
  kernel: KernelInfo,
  facts: CheckoutFacts,
  finalConfig: string | null,
  configName: string | null,
): Section {
  const fragment = configFragment(kernel.base, facts.fragments, finalConfig);
  const base = /^[a-z0-9_]+config$/.test(fragment.base)
    ? `make ${fragment.base}`
    : `the .config ${fragment.base}`;
  const values = fragment.finalKnown
    ? 'Each value is the one the built kernel has'
    : 'The run kept no .config: the values are the ones requested';
  const full = configName === null ? '' : `; the full .config is attached as ${configName}`;
  return {
    heading: 'Kernel configuration',
    blocks: [
      {
        kind: 'prose',
        text:
          `${base}, then the options of the zdh fragments below merged in ` +
          `(scripts/kconfig/merge_config.sh), then make olddefconfig. ${values}${full}.`,
      },
      { kind: 'quote', lines: fragmentLines(fragment) },
    ],
  };
}

function fragmentLines(f: ConfigFragment): string[] {
  const out: string[] = [];
  for (const part of f.parts) {
    if (out.length > 0) out.push('');
    out.push(`# ${part.name}`);
    if (part.state === 'missing')
      out.push(
        `# not in this checkout (sha256 ${short(part.recorded)} at the build): see the attached .config`,
      );
    if (part.state === 'changed')
      out.push(
        `# changed since the build (sha256 ${short(part.recorded)} then, ${short(part.now ?? '')} now):`,
        '# the options it sets now, with the values the built kernel has',
      );
    for (const o of part.options) {
      out.push(configLine(o.name, o.value));
      if (o.requested !== null)
        out.push(`#   (requested: ${configLine(o.name, o.requested).replace(/^# /, '')})`);
    }
  }
  return out;
}
