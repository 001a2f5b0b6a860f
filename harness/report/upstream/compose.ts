/**
 * One upstream report from a bug, the run, the checkout's facts and the symbols found:
 * its sections in the order a maintainer reads them (what happened, on what, the report
 * itself, how to get it again, how often, what was known, the bisection, and the
 * configuration last, being the longest). Pure.
 */
import { sha256 } from '../../util/hash.ts';
import { logSection, openingSection } from './sections-evidence.ts';
import { bisectSection, howOftenSection, knownSection } from './sections-history.ts';
import { configSection, kernelSection, machineSection } from './sections-identity.ts';
import { probeProgram, reproducerSection, stepParts } from './sections-reproducer.ts';
import type { Bug, CheckoutFacts, RunFolder, Section, Symbols, UpstreamReport } from './types.ts';

/**
 * The report's file name (without extension) from its title alone, so the same bug gets
 * the same file in every run: the title's words in lower case, then 8 hex digits of its
 * sha256, which keeps titles that differ only in punctuation apart.
 */
export function reportName(title: string): string {
  const words = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return `${words || 'report'}-${sha256(title).slice(0, 8)}`;
}

export function composeReport(
  run: RunFolder,
  bug: Bug,
  facts: CheckoutFacts,
  symbols: Symbols,
): UpstreamReport {
  const name = reportName(bug.title);
  const cell = bug.shown;
  const configName = cell.configFile === null ? null : `${name}.config`;
  const finalConfig = cell.config();
  const firstProbe = bug.occurrences.find((o) => o.cell === cell && o.kind === 'probe');
  const program =
    firstProbe === undefined
      ? null
      : probeProgram(
          firstProbe.workload,
          stepParts(cell, firstProbe.workload, facts.workloads),
          facts.workloads,
        );
  const known = knownSection(bug, facts);
  const sections: Section[] = [
    openingSection(bug, program?.name ?? null),
    kernelSection(cell.cell.kernel, facts, configName),
    machineSection(cell.cell.machine, cell.machine),
    logSection(bug, symbols, finalConfig),
    reproducerSection(run.dir, run.summary.run.command, bug, facts.workloads),
    howOftenSection(run, bug),
    ...(known === null ? [] : [known]),
    ...(run.bisect === null ? [] : [bisectSection(run.bisect, bug, run.summary.cells)]),
    configSection(cell.cell.kernel, facts, finalConfig, configName),
  ];
  return { title: bug.title, name, sections };
}
