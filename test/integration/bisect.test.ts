import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBisectOutput } from '../../harness/bisect/git-output.ts';
import type { BisectReport } from '../../harness/bisect/model.ts';
import { buildBound } from '../../harness/bisect/model.ts';
import { stepCommand } from '../../harness/bisect/render.ts';
import { projectRoot } from '../../harness/util/paths.ts';
import { bisectHistory, type History, pristineSource } from '../helpers/git-history.ts';
import { zdh } from '../helpers/zdh.ts';

// Bisects a real kernel history (test/helpers/git-history.ts: Debian 6.1 + 13 commits, one
// that does not build and one that breaks device-private page refcounting) with real
// builds and boots, twice: `zdh bisect`, then plain `git bisect run npx zdh bisect-step`.
// One workload keeps each step a short boot, and the smoke suite's settings keep it short
// (hmm-stress for 3 s per memory kind: the broken commit's warning comes 0.2 s in). The
// first run compiles ~5 kernels incrementally (minutes each on 2 cores); later runs hit
// the build cache.
const WORKLOAD = process.env['ZDH_BISECT_WORKLOAD'] ?? 'hmm-stress';
const SUITE = 'smoke';

async function git(repo: string, args: readonly string[]): Promise<string> {
  return (await execa('git', ['-C', repo, ...args], { stdin: 'ignore' })).stdout;
}

/** What a user's checkout is: HEAD, index bytes, refs (bisect refs included), bisect log. */
async function userState(repo: string): Promise<Record<string, string>> {
  const file = (p: string): string =>
    existsSync(join(repo, '.git', p))
      ? createHash('sha256')
          .update(readFileSync(join(repo, '.git', p)))
          .digest('hex')
      : '-';
  return {
    head: await git(repo, ['rev-parse', 'HEAD']),
    index: file('index'),
    refs: await git(repo, ['for-each-ref', '--format=%(refname) %(objectname)']),
    bisectLog: file('BISECT_LOG'),
    status: await git(repo, ['status', '--porcelain', '--untracked-files=no']),
  };
}

describe('zdh bisect on a real kernel history', () => {
  let h: History;
  let report: BisectReport | undefined;

  beforeAll(async () => {
    try {
      pristineSource();
    } catch {
      const build = await zdh(['build']);
      expect(build.code).toBe(0);
    }
    h = await bisectHistory();
    await zdh(['bisect', '--reset', '--git', h.repo]);
  });

  it('names the commit that breaks refcounting within ⌈log2 N⌉ + 2 builds, skipping the one that does not build', async () => {
    // A bisect of the user's own is in progress: zdh must leave it (and HEAD, the index) alone.
    await git(h.repo, ['bisect', 'start', 'main', h.base]);
    const before = await userState(h.repo);
    const out = mkdtempSync(join(tmpdir(), 'zdh-bisect-'));
    const res = await zdh([
      'bisect',
      '--git',
      h.repo,
      '--good',
      h.base,
      '--bad',
      'main',
      '--suite',
      SUITE,
      '--workload',
      WORKLOAD,
      '--json',
      '--out',
      out,
    ]);
    const after = await userState(h.repo);
    await git(h.repo, ['bisect', 'reset']);
    expect(res.stderr).not.toMatch(/internal error/);
    expect(after).toEqual(before);

    expect(res.code, res.stderr.slice(-3000)).toBe(0);
    report = JSON.parse(res.stdout) as BisectReport;
    const r = report;
    expect(r.outcome).toMatchObject({
      kind: 'found',
      commit: h.bad,
      subject: 'lib/test_hmm: expect the mirror reference on allocated device pages',
    });
    if (r.outcome?.kind !== 'found') return;
    // The finding that marks it, with the log excerpt: DEBUG_VM's page dump and warning.
    expect(r.outcome.evidence?.kind).toBe('finding');
    expect(r.outcome.evidence?.excerpt).toMatch(/page_ref_count\(dpage\) != 2|dmirror_devmem_alloc_page/);
    expect(r.signature?.origin).toBe('inferred');

    // Builds counted from the BuildRecords' cached flags.
    expect(r.rangeSize).toBe(13);
    expect(r.counts.buildBound).toBe(buildBound(13));
    expect(r.counts.builds).toBeLessThanOrEqual(Math.ceil(Math.log2(13)) + 2);
    const unbuildable = r.steps.find((s) => s.commit === h.unbuildable);
    expect(unbuildable).toMatchObject({ verdict: 'skip', build: { outcome: 'failed' } });
    expect(unbuildable?.reason).toMatch(/^build failed/);
    expect(r.steps.slice(0, 2).map((s) => [s.role, s.verdict])).toEqual([
      ['bad', 'bad'],
      ['good', 'good'],
    ]);

    // The run folder holds the whole story.
    for (const f of ['bisect.json', 'bisect.log', 'summary.json', 'junit.xml', 'report.html'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      cells: { id: string }[];
    };
    expect(summary.cells.length).toBeGreaterThanOrEqual(r.counts.steps);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/<testsuites/);
    expect(res.stderr).toMatch(new RegExp(`first bad commit: ${h.bad}`));
  });

  it('plain `git bisect run npx zdh bisect-step` reaches the same answer', async () => {
    // The command zdh bisect recommends (its selection, signature and tolerated failures).
    const words = report
      ? stepCommand(report)
      : [
          'npx',
          'zdh',
          'bisect-step',
          '--suite',
          SUITE,
          '--workload',
          WORKLOAD,
          '--match',
          '/dmirror_devmem_alloc_page/',
        ];
    expect(words.slice(0, 3)).toEqual(['npx', 'zdh', 'bisect-step']);
    // npx finds zdh in this checkout of the project (as it would in a project that installed it).
    const argv = ['npx', '--prefix', projectRoot, ...words.slice(1)];
    // The range from the commit before the one that does not build to the one after the
    // breaking commit: what the first test already built and booted, in two or three steps
    // instead of five (the same verdicts through git's exit-code protocol: 0, 1 and 125).
    const at = (c: string) => h.commits.findIndex((x) => x.commit === c);
    const good = h.commits[at(h.unbuildable) - 1]!.commit;
    const bad = h.commits[at(h.bad) + 1]!.commit;
    await git(h.repo, ['bisect', 'start', bad, good]);
    try {
      const run = await execa('git', ['bisect', 'run', ...argv], {
        cwd: h.repo,
        reject: false,
        all: true,
        stdin: 'ignore',
      });
      const outcome = parseBisectOutput(run.all ?? '');
      expect(outcome, (run.all ?? '').slice(-3000)).toMatchObject({ kind: 'found', commit: h.bad });
      // The commit that does not build was skipped (exit 125), not marked bad.
      const log = await git(h.repo, ['bisect', 'log']);
      if (log.includes(h.unbuildable)) expect(log).toMatch(new RegExp(`git bisect skip ${h.unbuildable}`));
      // zdh judged at least one step itself (the range's ends come from `bisect start`).
      expect(log).toMatch(/^git bisect (?:good|bad) [0-9a-f]{40}$/m);
    } finally {
      await git(h.repo, ['bisect', 'reset']);
    }
  });
});
