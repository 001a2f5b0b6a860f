/**
 * What counts as one bug, and so one upstream report. Pure over the run folder's data.
 *
 * - A kernel finding is one bug per title, across cells, repeats and kernels: the
 *   scanner's titles are already normalised for that (docs/scan.md, "Titles").
 * - A probe case that failed (or failed as expected, xfail) and printed a `HANG:` or
 *   `DIAGNOSIS:` line is titled from its diagnosis and the sleeping task's function
 *   (probe.ts): `HANG: missing wake-up in ext4_break_layouts`. Cases with the same title
 *   are one bug, whatever their names: 6.1's O_DIRECT truncate and punch hole on ext4
 *   sleep in the same function for the same reason (and one expectation entry covers
 *   both), so they make one report quoting both; on xfs they sleep in
 *   xfs_break_dax_layouts, another report.
 * - A probe case in a workload whose step has a kernel finding in that cell makes no
 *   report of its own: the finding is the kernel's account of what the case saw.
 *
 * Kernel findings come first (refcount problems first, as report.html lists them), then
 * the probes' hangs, each group in the order of appearance.
 */
import { tapCases } from '../../tap/cases.ts';
import { parseTap } from '../../tap/parse.ts';
import { splitSections } from '../../workloads/results.ts';
import { stepNonce } from './guest-commands.ts';
import { probeHang, probeTitle } from './probe.ts';
import type { Bug, CellFolder, Occurrence, RunFolder, StepFile } from './types.ts';

export function findBugs(run: RunFolder): Bug[] {
  const byTitle = new Map<string, Occurrence[]>();
  const add = (title: string, o: Occurrence): void => {
    const list = byTitle.get(title);
    if (list === undefined) byTitle.set(title, [o]);
    else list.push(o);
  };
  for (const cell of run.cells) {
    for (const finding of cell.cell.findings)
      add(finding.title, { kind: 'finding', cell, workload: finding.workload, finding });
  }
  for (const cell of run.cells) for (const o of probeOccurrences(cell)) add(o.title, o.occurrence);

  const bugs = [...byTitle].map(([title, occurrences]): Bug => {
    const first = occurrences[0]!;
    return { title, kind: first.kind, occurrences, shown: shownCell(run, occurrences) };
  });
  const refcount = (b: Bug): boolean => b.occurrences.some((o) => o.kind === 'finding' && o.finding.refcount);
  return [
    ...bugs.filter((b) => b.kind === 'finding' && refcount(b)),
    ...bugs.filter((b) => b.kind === 'finding' && !refcount(b)),
    ...bugs.filter((b) => b.kind === 'probe'),
  ];
}

/** The failed and xfail cases of a cell that printed a hang, with their titles. */
function probeOccurrences(cell: CellFolder): { title: string; occurrence: Occurrence }[] {
  const out: { title: string; occurrence: Occurrence }[] = [];
  for (const w of cell.cell.workloads) {
    if (cell.cell.findings.some((f) => f.workload === w.name)) continue;
    const candidates = w.cases.filter((c) => c.status === 'fail' || c.status === 'xfail');
    if (candidates.length === 0) continue;
    const step = cell.stepOutput(w.name);
    if (step === null) continue;
    const logs = caseLogs(step);
    for (const c of candidates) {
      const hang = probeHang(logs.get(c.name) ?? []);
      if (hang === null) continue;
      out.push({
        title: probeTitle(hang, { workload: w.name, caseName: c.name }),
        occurrence: { kind: 'probe', cell, workload: w.name, case: c, hang },
      });
    }
  }
  return out;
}

/** Each case's output lines in the step's command part, by case name. */
export function caseLogs(step: StepFile): Map<string, string[]> {
  const nonce = step.nonce ?? stepNonce(step.text);
  if (nonce === null) return new Map();
  const main = splitSections(step.text, nonce).find((s) => s.part === 'command');
  if (main === undefined) return new Map();
  return new Map(tapCases(parseTap(main.lines.join('\n'))).map((c) => [c.name, c.log]));
}

/**
 * The cell a report quotes: in a bisect's run folder, the first bad commit's (the commit a
 * maintainer is asked about), else the first cell the bug was seen in.
 */
function shownCell(run: RunFolder, occurrences: readonly Occurrence[]): CellFolder {
  const outcome = run.bisect?.record.outcome;
  if (outcome?.kind === 'found') {
    const atCommit = occurrences.find((o) => o.cell.cell.kernel.source.commit === outcome.commit);
    if (atCommit !== undefined) return atCommit.cell;
  }
  return occurrences[0]!.cell;
}
