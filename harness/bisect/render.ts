import { capLines, cleanLine, cleanText, formatDuration } from '../report/text.ts';
import { STEP_EXIT } from './exit.ts';
import { keyAsMatch } from './failures.ts';
import { type BisectRecord, counts, type StepRecord } from './model.ts';
import { describeSignature, formatMatcher } from './signature.ts';
import type { Evidence } from './verdict.ts';

/**
 * The terminal report of a bisect: the answer first (first bad commit, what marks it, the
 * log excerpt), then the counts and a table of every step. Pure: text from the record.
 */
export const EXCERPT_LINES = 40;

export function renderBisect(r: BisectRecord): string {
  const out: string[] = [];
  const o = r.outcome;
  if (o?.kind === 'found') {
    out.push(`first bad commit: ${o.commit} ${cleanLine(o.subject)}`);
    if (o.evidence) out.push(...renderEvidence(o.evidence, o.step, r));
  } else if (o?.kind === 'inconclusive') {
    out.push('inconclusive: only skipped commits are left; the first bad commit is one of:');
    for (const c of o.candidates) out.push(`  ${c.commit} ${cleanLine(c.subject)}`);
  } else if (o?.kind === 'not-confirmed') {
    const ref = o.which === 'good' ? r.good : r.bad;
    out.push(
      `not bisected: --${o.which} ${ref.ref} (${ref.commit.slice(0, 12)}) is not ${o.which}: ${o.reason}`,
    );
  } else if (o?.kind === 'error') {
    out.push(`bisect stopped: ${o.message}`);
    out.push('  fix the cause and `zdh bisect --resume` continues, or `zdh bisect --reset` discards it');
  } else if (o?.kind === 'interrupted') {
    out.push(
      'interrupted: `zdh bisect --resume` continues where this stopped; `zdh bisect --reset` discards it',
    );
  } else {
    out.push(`bisecting (${r.phase})`);
  }
  if (r.signature) {
    out.push(
      `signature: ${describeSignature(r.signature)}${r.signature.origin === 'inferred' ? ' (inferred from --bad)' : ''}`,
    );
  }
  if (r.baseline.length > 0) out.push(`tolerated (also on --good): ${r.baseline.join('; ')}`);
  out.push('');
  out.push(renderCounts(r));
  out.push('');
  out.push(...renderStepTable(r.steps));
  out.push('');
  if (r.signature)
    out.push(`the same steps under git bisect run: git bisect run ${shellWords(stepCommand(r)).join(' ')}`);
  out.push(`run folder: ${r.runDir}`);
  return out.join('\n');
}

/**
 * `npx zdh bisect-step …` with this bisect's selection, signature and tolerated failures:
 * what to give `git bisect run` for the same verdicts without zdh driving.
 */
export function stepCommand(r: BisectRecord): string[] {
  const s = r.selection;
  const ignore = [...s.ignore, ...r.baseline.map(keyAsMatch).filter((m): m is string => m !== null)];
  return [
    'npx',
    'zdh',
    'bisect-step',
    ...(s.suite === 'default' ? [] : ['--suite', s.suite]),
    ...(s.workloads ?? []).flatMap((w) => ['--workload', w]),
    ...(s.machines ?? []).flatMap((m) => ['--machine', m]),
    ...s.patches.flatMap((p) => ['--patches', p]),
    ...s.config.flatMap((c) => ['--config', c]),
    ...(s.base ? ['--base', s.base] : []),
    ...(s.defaultFragments ? [] : ['--no-default-fragments']),
    ...(s.repeat > 1 ? ['--repeat', String(s.repeat)] : []),
    ...(s.accel === 'auto' ? [] : ['--accel', s.accel]),
    ...(r.signature?.matchers ?? []).flatMap((m) => ['--match', formatMatcher(m)]),
    ...[...new Set(ignore)].flatMap((m) => ['--ignore', m]),
  ];
}

/** Quotes words for a POSIX shell where needed. */
export function shellWords(words: readonly string[]): string[] {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`));
}

function renderEvidence(e: Evidence, step: number | null, r: BisectRecord): string[] {
  const s = step === null ? undefined : r.steps.find((x) => x.index === step);
  const where = [
    e.workload ? `workload ${e.workload}` : null,
    step !== null ? `step ${step}` : null,
    s && s.ran > 1 ? `${s.matchedIn} of ${s.ran} runs` : null,
  ].filter((x): x is string => x !== null);
  const lines = [`  marked by: ${cleanLine(e.summary)}${where.length ? ` (${where.join(', ')})` : ''}`];
  const file = e.console && s ? `${s.dir}/${e.console}` : e.console;
  const at = file ? ` (${file}${e.lines ? `:${e.lines[0]}-${e.lines[1]}` : ''})` : '';
  lines.push(`  log excerpt${at}:`);
  const text = cleanText(e.excerpt).split('\n');
  for (const l of capLines(text, EXCERPT_LINES, EXCERPT_LINES - 5, (n) => `… ${n} lines …`)) {
    lines.push(`    ${l}`);
  }
  return lines;
}

export function renderCounts(r: BisectRecord): string {
  const c = counts(r);
  const verdicts = [`${c.good} good`, `${c.bad} bad`, `${c.skip} skip`].join(', ');
  const builds = [
    `${c.builds} build${c.builds === 1 ? '' : 's'}`,
    `${c.cachedBuilds} cached`,
    `${c.failedBuilds} failed`,
  ].join(', ');
  return `${c.steps} steps (${c.confirmations} confirmations + ${c.bisection} bisection; ${verdicts}); ${builds}; ${r.rangeSize} commits in range (bound ⌈log2 ${r.rangeSize}⌉+2 = ${c.buildBound} builds); ${formatDuration(c.seconds)}`;
}

const ROLE: Record<StepRecord['role'], string> = { bad: '--bad', good: '--good', bisect: '' };

export function renderStepTable(steps: readonly StepRecord[]): string[] {
  const rows = steps.map((s) => [
    String(s.index),
    ROLE[s.role],
    s.commit.slice(0, 12),
    s.verdict,
    s.build.outcome,
    formatDuration(s.seconds),
    truncate(cleanLine(s.subject), 40),
    cleanLine(s.reason),
  ]);
  const header = ['#', 'role', 'commit', 'verdict', 'build', 'time', 'subject', 'reason'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** bisect-step's closing lines: the verdict and exit code, why, and for bad the evidence. */
export function renderStep(s: StepRecord, runDir: string): string {
  const code = s.verdict === 'interrupted' ? STEP_EXIT.interrupted : STEP_EXIT[s.verdict];
  const lines = [
    `zdh bisect-step: ${s.commit.slice(0, 12)} ${cleanLine(s.subject)}: ${s.verdict} (exit ${code})`,
    `  ${s.verdict === 'bad' ? 'marked by' : 'reason'}: ${cleanLine(s.reason)}`,
  ];
  const build =
    s.build.outcome === 'failed'
      ? 'failed'
      : `${s.build.kernelRelease ?? ''} (${s.build.outcome === 'cached' ? 'cached' : `built in ${formatDuration(s.build.seconds)}`})`;
  lines.push(`  kernel: ${build}; ${s.ran} run(s); ${formatDuration(s.seconds)}`);
  if (s.evidence) {
    const e = s.evidence;
    lines.push(
      `  log excerpt${e.console ? ` (${e.console}${e.lines ? `:${e.lines[0]}-${e.lines[1]}` : ''})` : ''}:`,
    );
    for (const l of capLines(cleanText(e.excerpt).split('\n'), 20, 15, (n) => `… ${n} lines …`))
      lines.push(`    ${l}`);
  }
  for (const u of s.unrelated) lines.push(`  other failure: ${cleanLine(u)}`);
  for (const t of s.tolerated) lines.push(`  tolerated: ${cleanLine(t)}`);
  lines.push(`  run folder: ${runDir}`);
  return lines.join('\n');
}
