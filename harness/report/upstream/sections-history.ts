/**
 * What the run knows around a bug: how often it happened and where it did not, what zdh
 * already knew about it (an expectation entry, the description of a fixture patch that
 * plants it), and the bisection that found the commit. Pure.
 */
import { describeSignature } from '../../bisect/signature.ts';
import { applicableExpectations, type ExpectationFile } from '../../expectations/match.ts';
import type { CellResult } from '../../model/result.ts';
import { andList, plural, short } from './format.ts';
import { kernelGroups } from './occurrences.ts';
import type { BisectFacts, Block, Bug, CheckoutFacts, Occurrence, RunFolder, Section } from './types.ts';

export function howOftenSection(run: RunFolder, bug: Bug): Section {
  const groups = kernelGroups(run.cells, bug);
  const name = (g: { kernel: string; release: string | null; machine: string }): string =>
    `${g.kernel}${g.release === null ? '' : ` (${g.release})`} on machine ${g.machine}`;
  const blocks: Block[] = [];
  for (const g of groups.filter((x) => x.seen.length > 0)) {
    const runs = g.seen.length + g.clean.length;
    const unit = bug.kind === 'probe' ? 'case' : 'report';
    const where = g.seen.map((s) => `${s.cell.id}: ${plural(s.count, unit)} (${s.where.join(', ')})`);
    const clean = g.clean.length === 0 ? '' : ` Not in ${andList(g.clean.map((c) => c.id))}.`;
    blocks.push({
      kind: 'prose',
      text: `Seen in ${g.seen.length} of ${plural(runs, 'run')} of ${name(g)}: ${where.join('; ')}.${clean}`,
    });
  }
  const others = groups.filter((x) => x.seen.length === 0);
  for (const g of others)
    blocks.push({
      kind: 'prose',
      text: `Not seen on ${name(g)}: ${plural(g.clean.length, 'run')} (${andList(g.clean.map((c) => c.id))}).`,
    });
  if (others.length === 0)
    blocks.push({
      kind: 'prose',
      text: 'The run had no other kernel or machine that ran the same workload to compare with.',
    });
  return { heading: 'How often', blocks };
}

/** An expectation entry that documents a probe case's failure. */
export interface KnownFailure {
  /** Relative to the checkout; null when no entry of the checkout now gives the reason the run recorded. */
  file: string | null;
  reason: string;
  links: string[];
}

/**
 * The expectation an xfail case was judged by. The entries of the checkout now are matched
 * like the run matched them (kernel, accelerator, workload and case globs), and one counts
 * only when its reason is the one the run recorded in the case's message.
 */
export function expectationOf(
  o: Extract<Occurrence, { kind: 'probe' }>,
  files: readonly ExpectationFile[],
  root: string,
): KnownFailure | null {
  const cell = o.cell.cell;
  if (o.case.status !== 'xfail' || o.case.message === null) return null;
  const rules = applicableExpectations(files, {
    kernelRelease: cell.kernel.release ?? '',
    accel: cell.machine.accel === 'kvm' ? 'kvm' : 'tcg',
  });
  const hit = rules.find(
    (r) =>
      r.workload.test(o.workload) &&
      r.cases.some((c) => c.test(o.case.name)) &&
      o.case.message!.startsWith(`expected failure: ${r.e.reason.trim()}`),
  );
  if (hit === undefined) return { file: null, reason: o.case.message, links: [] };
  const file = hit.file.startsWith(`${root}/`) ? hit.file.slice(root.length + 1) : hit.file;
  return { file, reason: hit.e.reason.trim(), links: hit.e.links ?? [] };
}

export function knownSection(bug: Bug, facts: CheckoutFacts): Section | null {
  const blocks: Block[] = [];
  const seen = new Set<string>();
  for (const o of bug.occurrences) {
    if (o.kind !== 'probe') continue;
    const k = expectationOf(o, facts.expectations, facts.root);
    if (k === null || seen.has(`${k.file}\u0000${k.reason}`)) continue;
    seen.add(`${k.file}\u0000${k.reason}`);
    const cases = bug.occurrences
      .filter(
        (x) => x.kind === 'probe' && expectationOf(x, facts.expectations, facts.root)?.reason === k.reason,
      )
      .map((x) => (x.kind === 'probe' ? `${x.workload} ${x.case.name}` : ''));
    blocks.push({
      kind: 'prose',
      text:
        k.file === null
          ? `zdh judged ${andList([...new Set(cases)])} an expected failure (the entry is no longer in configs/expectations/): ${k.reason}`
          : `zdh expects this failure (${k.file}, the entry for ${andList([...new Set(cases)])}):`,
    });
    if (k.file !== null) blocks.push({ kind: 'prose', text: k.reason });
    for (const link of k.links) blocks.push({ kind: 'prose', text: `Link: ${link}` });
  }
  for (const p of facts.patches) {
    if (!p.fixture || p.description === null) continue;
    blocks.push({
      kind: 'prose',
      text: `The kernel had zdh's fixture patch ${p.file} applied${p.same ? '' : ' (as it reads now; it has changed since the run)'}, which says:`,
    });
    for (const para of p.description.split(/\n\s*\n/))
      blocks.push({ kind: 'prose', text: para.replace(/\s*\n\s*/g, ' ') });
  }
  return blocks.length === 0 ? null : { heading: 'Known to zdh', blocks };
}

export function bisectSection(bisect: BisectFacts, bug: Bug, cells: readonly CellResult[]): Section {
  const r = bisect.record;
  const o = r.outcome;
  const blocks: Block[] = [];
  const range =
    `between good ${r.good.ref} (${short(r.good.commit)}, "${r.good.subject}") and ` +
    `bad ${r.bad.ref} (${short(r.bad.commit)}, "${r.bad.subject}") of ${r.repo}`;
  const signature =
    r.signature === null
      ? ''
      : ` The signature it bisected on: ${describeSignature(r.signature)}${r.signature.origin === 'inferred' ? ' (inferred from the bad commit)' : ''}.`;
  switch (o?.kind) {
    case 'found': {
      const ours = o.evidence?.title === bug.title;
      blocks.push({
        kind: 'prose',
        text:
          `zdh bisect searched ${plural(r.rangeSize, 'commit')} ${range} in ${plural(r.counts.steps, 'step')}.${signature} ` +
          (ours
            ? 'It is this report.'
            : 'That is not this report; its cells show where this one was seen and where not (How often).'),
      });
      blocks.push({ kind: 'fields', rows: [['First bad commit', `${o.commit} ("${o.subject}")`]] });
      break;
    }
    case 'inconclusive':
      blocks.push({
        kind: 'prose',
        text: `zdh bisect ${range} was inconclusive: only skipped commits were left (${andList(o.candidates.map((c) => `${short(c.commit)} "${c.subject}"`))}).${signature}`,
      });
      break;
    case 'not-confirmed':
      blocks.push({ kind: 'prose', text: `zdh bisect ${range} did not start: ${o.reason}.${signature}` });
      break;
    case 'error':
      blocks.push({ kind: 'prose', text: `zdh bisect ${range} failed: ${o.message}.${signature}` });
      break;
    default:
      blocks.push({ kind: 'prose', text: `zdh bisect ${range} did not finish.${signature}` });
  }
  const steps = r.steps.map((s) => {
    const cell = cells.find((c) => c.kernel.source.commit === s.commit);
    return `${s.index}. ${short(s.commit)} ${s.verdict}${cell === undefined ? '' : ` (cell ${cell.id})`}: ${s.reason}`;
  });
  if (steps.length > 0) blocks.push({ kind: 'quote', lines: steps });
  if (bisect.log !== null) {
    blocks.push({ kind: 'prose', text: 'git bisect log:' });
    blocks.push({ kind: 'quote', lines: bisect.log.trimEnd().split('\n') });
  }
  return { heading: 'Bisection', blocks };
}
