import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseStatus, RunSummary } from '../../../harness/model/result.ts';
import { finalise } from '../../../harness/model/status.ts';
import { runCapture } from '../../../harness/process/run.ts';
import { consoleSlicer } from '../../../harness/report/console-slice.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import {
  type KcidbData,
  LOG_EXCERPT_MAX,
  patchsetHash,
  renderKcidb,
  serialiseKcidb,
  testPath,
} from '../../../harness/report/kcidb.ts';
import { mergeSummaries } from '../../helpers/merge.ts';
import {
  atRuns,
  FIXTURES,
  type FixtureName,
  fixtureDir,
  goldenDir,
  kcidbErrors,
  loadFixture,
} from './helpers.ts';

/** kcidb.json of a fixture as `zdh report` would write it at /runs/<name>. */
function kcidbOf(name: FixtureName, origin?: string): KcidbData {
  return renderKcidb(atRuns(loadFixture(name), name), {
    console: consoleSlicer(fixtureDir(name)),
    ...(origin ? { origin } : {}),
  });
}

/** The number of <testcase> elements in the fixture's junit.xml. */
function junitCases(summary: RunSummary): number {
  return renderJUnit(summary, { runDir: summary.run.dir }).match(/<testcase\b/g)?.length ?? 0;
}

const byPath = (d: KcidbData, path: string) => d.tests.filter((t) => t.path === path);

describe('renderKcidb: every golden run', () => {
  it.each(FIXTURES)('%s is valid KCIDB I/O v5.3 (the shipped schema, with ajv)', (name) => {
    expect(kcidbErrors(kcidbOf(name))).toEqual([]);
  });

  it.each(FIXTURES)('%s has as many tests as its junit.xml has test cases', (name) => {
    const summary = atRuns(loadFixture(name), name);
    expect(kcidbOf(name).tests.length).toBe(junitCases(summary));
  });

  it('so does a merged run', () => {
    const merged = mergeSummaries([loadFixture('shard-1'), loadFixture('shard-2')], { dir: '/runs/merged' });
    const d = renderKcidb(merged);
    expect(kcidbErrors(d)).toEqual([]);
    expect(d.tests.length).toBe(junitCases(merged));
  });

  it.each(['passing', 'failing'] as const)('%s matches its golden kcidb.json', async (name) => {
    await expect(serialiseKcidb(kcidbOf(name))).toMatchFileSnapshot(join(goldenDir, `${name}.kcidb.json`));
  });
});

describe('renderKcidb: ids', () => {
  it('are <origin>:<local>, unique per object type, and the same when rendered again', () => {
    for (const name of FIXTURES) {
      const d = kcidbOf(name);
      for (const list of [d.checkouts, d.builds, d.tests, d.issues, d.incidents]) {
        const ids = list.map((o) => o.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) expect(id.startsWith('zdh:')).toBe(true);
      }
      expect(kcidbOf(name)).toEqual(d);
    }
  });

  it('start with the origin given, on every object and link', () => {
    const d = kcidbOf('failing', 'my_lab');
    expect(kcidbErrors(d)).toEqual([]);
    const text = JSON.stringify(d);
    expect(text).not.toMatch(/"zdh:/);
    for (const t of d.tests) {
      expect(t.origin).toBe('my_lab');
      expect(t.id.startsWith('my_lab:')).toBe(true);
      expect(t.build_id.startsWith('my_lab:')).toBe(true);
    }
    expect(d.incidents.every((i) => i.issue_id.startsWith('my_lab:'))).toBe(true);
  });

  it('refuses an origin KCIDB would reject', () => {
    expect(() => renderKcidb(loadFixture('passing'), { origin: 'My-Lab' })).toThrow(/origin/);
  });

  it('name the run and the cell, so two runs of one suite do not collide', () => {
    const a = kcidbOf('shard-1');
    const b = kcidbOf('shard-2');
    const ids = new Set(a.tests.map((t) => t.id));
    expect(b.tests.some((t) => ids.has(t.id))).toBe(false);
    expect(a.tests[0]?.id).toContain('20251125T204740-shard1');
    expect(a.tests[0]?.id).toContain('6.1@q35-pmem#1');
  });
});

describe('renderKcidb: checkouts and builds', () => {
  it('hash the patch series as KCIDB defines it (sha256sum *.patch | cut -c-64 | sha256sum)', async () => {
    const shas = [
      'a87cd9d249d4000774008494bab2aa45ec8eacfca60626de2a30b603c5492d3e',
      'ea432794ec6e862f0619d9be4d9a1672e329d736a5e68a70f711e0e4dc9005c9',
    ];
    const shell = await runCapture('sh', ['-c', `printf '%s\\n' ${shas.join(' ')} | sha256sum | cut -c-64`]);
    expect(patchsetHash(shas)).toBe(shell.trim());
    expect(patchsetHash([])).toBe('');
  });

  it('leave the patchset hash out when a patch is known by name only (its build never ran)', () => {
    const s = loadFixture('errored');
    const unbuilt = finalise({
      ...s,
      cells: s.cells.map((c) => ({
        ...c,
        kernel: { ...c.kernel, patches: c.kernel.patches.map((p) => ({ ...p, sha256: '' })) },
      })),
    });
    const d = renderKcidb(unbuilt);
    expect(kcidbErrors(d)).toEqual([]);
    expect(d.checkouts.map((c) => c.patchset_hash)).toEqual([undefined, undefined]);
    expect(d.checkouts[0]?.misc['patches']).toEqual([
      { name: '0001-mm-memremap-hold-pgmap-ref-across-zap.patch', sha256: '' },
    ]);
  });

  it('say where a git source came from, with its commit; a tarball has no git fields', () => {
    const d = kcidbOf('shard-1');
    const next = d.checkouts.find((c) => c.misc['kernel'] === 'next');
    expect(next?.git_repository_url).toBe(
      'https://git.kernel.org/pub/scm/linux/kernel/git/next/linux-next.git',
    );
    expect(next?.git_commit_hash).toBe('b3fd7e5352d63b794e9c6a66e8619ee3b47633ca');
    expect(next?.patchset_hash).toBe(
      patchsetHash([
        'a87cd9d249d4000774008494bab2aa45ec8eacfca60626de2a30b603c5492d3e',
        'ea432794ec6e862f0619d9be4d9a1672e329d736a5e68a70f711e0e4dc9005c9',
      ]),
    );
    const tarball = d.checkouts.find((c) => c.misc['kernel'] === '6.1');
    expect(tarball?.git_commit_hash).toBeUndefined();
    expect(tarball?.misc['source_location']).toBe('/usr/src/linux-source-6.1.tar.xz');
  });

  it('one build per kernel, shared by its cells, with the compiler and the config', () => {
    const d = kcidbOf('failing');
    expect(d.builds).toHaveLength(1);
    const b = d.builds[0];
    expect(b?.architecture).toBe('x86_64');
    expect(b?.compiler).toBe('gcc (Debian 12.2.0-14+deb12u1) 12.2.0');
    expect(b?.config_name).toBe('tinyconfig+zdh-base+zone-device+debug-vm');
    expect(b?.misc['config_sha256']).toBe('7acdd5854c31de5f0cec204c28e88c8dabcc724e0cbae34c9bef8ca9a6ccd62d');
    expect(b?.status).toBe('PASS');
    expect(b?.log_url).toBe('file:///runs/failing/cells/6.1@q35-pmem%231/build.log');
    expect(new Set(d.tests.map((t) => t.build_id))).toEqual(new Set([b?.id]));
  });

  it('a build’s duration is its build call’s, unless the cache had it; its config is the copy in the cell folder', () => {
    const s = loadFixture('passing');
    const withTime = (cached: boolean): RunSummary => ({
      ...s,
      cells: s.cells.map((c) => ({ ...c, kernel: { ...c.kernel, buildTime: { seconds: 512.5, cached } } })),
    });
    const built = renderKcidb(atRuns(withTime(false), 'passing')).builds[0];
    expect(built?.duration).toBe(512.5);
    expect(built?.config_url).toBe('file:///runs/passing/cells/6.1@q35-pmem%231/config');
    const hit = renderKcidb(withTime(true)).builds[0];
    expect(hit?.duration).toBeUndefined();
    expect(hit?.misc['build_cached']).toBe(true);
    expect(kcidbErrors(renderKcidb(withTime(false)))).toEqual([]);
    // Not built: no config to point at.
    expect(kcidbOf('errored').builds.find((b) => b.misc['kernel'] === 'next')?.config_url).toBeUndefined();
  });

  it('a build that failed is FAIL with its error, and its cell’s boot test is ERROR', () => {
    const d = kcidbOf('errored');
    const next = d.builds.find((b) => b.misc['kernel'] === 'next');
    expect(next?.status).toBe('FAIL');
    expect(next?.log_excerpt).toContain("implicit declaration of function 'folio_put_zone_device'");
    const boot = d.tests.find((t) => t.build_id === next?.id && t.path === 'boot');
    expect(boot?.status).toBe('ERROR');
    // The steps that could not run because the build failed: not run, for a reason not theirs.
    expect(d.tests.filter((t) => t.build_id === next?.id && t.path !== 'boot').map((t) => t.status)).toEqual([
      'MISS',
      'MISS',
    ]);
  });
});

describe('renderKcidb: tests', () => {
  it('one per case, at <workload>.<case path>, with duration, machine and accelerator', () => {
    const d = kcidbOf('passing');
    const [anon] = byPath(d, 'hmm.hmm.anon_read');
    expect(anon?.status).toBe('PASS');
    expect(anon?.misc['machine']).toBe('q35-pmem');
    expect(anon?.misc['accel']).toBe('kvm');
    expect(anon?.environment.comment).toBe('q35-pmem (kvm)');
    expect(byPath(d, 'pmem-fsdax.mount_dax')[0]?.duration).toBe(0.12);
    expect(testPath('dax-ext4', 'truncate_vs_odirect')).toBe('dax-ext4.truncate_vs_odirect');
    expect(testPath('kselftest', 'mm: gup test (2)')).toBe('kselftest.mm__gup_test__2_');
  });

  it('maps every case status by the documented table, keeping zdh’s label in misc', () => {
    const want: Record<CaseStatus, string> = {
      pass: 'PASS',
      fail: 'FAIL',
      skip: 'SKIP',
      missing: 'MISS',
      xfail: 'FAIL',
      xpass: 'PASS',
    };
    const label: Record<CaseStatus, string> = {
      pass: 'passed',
      fail: 'failed',
      skip: 'skipped',
      missing: 'missing',
      xfail: 'xfail',
      xpass: 'xpass',
    };
    const summary = loadFixture('failing');
    const seen = new Set<CaseStatus>();
    const d = kcidbOf('failing');
    for (const cell of summary.cells) {
      for (const w of cell.workloads) {
        for (const c of w.cases) {
          const t = d.tests.find(
            (x) => x.misc['cell'] === cell.id && x.misc['workload'] === w.name && x.misc['case'] === c.name,
          );
          expect(t?.status, `${cell.id} ${w.name} ${c.name}`).toBe(want[c.status]);
          expect(t?.misc['status']).toBe(label[c.status]);
          seen.add(c.status);
        }
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(want).sort());
  });

  it('an expected failure says so in its comment; a failing case quotes the end of its step', () => {
    const d = kcidbOf('passing');
    const xfail = byPath(d, 'hmm.hmm.exclusive_mprotect')[0];
    expect(xfail?.status).toBe('FAIL');
    expect(xfail?.comment).toMatch(/^expected failure/);
    const failing = kcidbOf('failing');
    const fail = byPath(failing, 'hmm.hmm.migrate_dirty')[0];
    expect(fail?.log_excerpt).toContain('zdh: step begin hmm');
  });

  it('a step that timed out is a FAIL at the workload’s own path; in an interrupted run what did not run is MISS', () => {
    const d = kcidbOf('failing');
    expect(byPath(d, 'devdax-stress').map((t) => [t.status, t.misc['workload_status']])).toEqual([
      ['FAIL', 'timeout'],
    ]);
    const i = kcidbOf('interrupted');
    const stopped = i.tests.filter((t) => t.misc['cell'] === '6.1@q35-pmem#2');
    expect(
      stopped.find((t) => t.misc['case'] === 'anon_read' || t.path === 'hmm.hmm.anon_read')?.status,
    ).toBe('MISS');
    expect(stopped.find((t) => t.path === 'devdax-stress')?.status).toBe('MISS');
  });

  it('excerpts stay within the schema’s limit and carry no NUL, whatever the guest printed', () => {
    const s = loadFixture('failing');
    const cell = s.cells[0];
    const f = cell?.findings[0];
    if (!cell || !f) throw new Error('fixture has a finding');
    const huge: RunSummary = finalise({
      ...s,
      cells: [
        {
          ...cell,
          findings: [{ ...f, excerpt: `BUG: header\u0000\n${'x'.repeat(40000)}` }],
          workloads: cell.workloads.map((w) => ({
            ...w,
            cases: w.cases.map((c) => ({ ...c, message: '\u0000💥'.repeat(20000) })),
          })),
        },
      ],
    });
    const d = renderKcidb(huge);
    expect(kcidbErrors(d)).toEqual([]);
    for (const t of d.tests) {
      expect([...(t.log_excerpt ?? '')].length).toBeLessThanOrEqual(LOG_EXCERPT_MAX);
      expect(t.log_excerpt ?? '').not.toContain('\u0000');
    }
    expect(d.tests.find((t) => t.misc['entry'] === 'finding')?.log_excerpt?.startsWith('BUG: header')).toBe(
      true,
    );
  });
});

describe('renderKcidb: kernel findings', () => {
  const d = kcidbOf('failing');
  const title = 'BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages';

  it('each is a failing test in its workload, with the report as its excerpt', () => {
    const tests = byPath(d, 'pmem-fsdax.kernel.bad-page-state');
    expect(tests.map((t) => t.misc['cell'])).toEqual(['6.1@q35-pmem#1', '6.1@q35-pmem#2']);
    for (const t of tests) {
      expect(t.status).toBe('FAIL');
      expect(t.comment).toContain(title);
      expect(t.log_excerpt).toContain('BUG: Bad page state');
    }
    expect(byPath(d, 'boot.kernel.warning')[0]?.comment).toBe('kernel: WARNING in memremap_pages');
  });

  const findingIssues = (x: KcidbData) => x.issues.filter((i) => i.id.startsWith('zdh:finding-'));

  it('each title is one issue (the kernel is the culprit), linked to every test that saw it by an incident', () => {
    expect(findingIssues(d).map((i) => i.report_subject)).toEqual([
      'WARNING in memremap_pages',
      title,
      'INFO: task hung in memunmap_pages',
    ]);
    const issue = d.issues.find((i) => i.report_subject === title);
    expect(issue?.culprit).toEqual({ code: true, tool: false, harness: false });
    expect(issue?.categories).toEqual(['runtime.bad-page-state']);
    const incidents = d.incidents.filter((i) => i.issue_id === issue?.id);
    expect(incidents.map((i) => i.test_id).sort()).toEqual(
      byPath(d, 'pmem-fsdax.kernel.bad-page-state')
        .map((t) => t.id)
        .sort(),
    );
    expect(incidents.every((i) => i.present && i.issue_version === issue?.version)).toBe(true);
  });

  it('the issue id is keyed by the title: another run with the same finding names the same issue', () => {
    const other = renderKcidb({
      ...loadFixture('failing'),
      run: { ...loadFixture('failing').run, id: 'other' },
    });
    expect(findingIssues(other).map((i) => i.id)).toEqual(findingIssues(d).map((i) => i.id));
    expect(other.incidents.map((i) => i.id)).not.toEqual(d.incidents.map((i) => i.id));
  });

  it('a passing run has none', () => {
    const p = kcidbOf('passing');
    expect(findingIssues(p)).toEqual([]);
    expect(p.tests.every((t) => t.misc['entry'] !== 'finding')).toBe(true);
  });
});

describe('renderKcidb: expected failures are known issues', () => {
  it('an xfail is an incident of its expectation’s issue, present; an xpass one that is absent', () => {
    const d = kcidbOf('failing');
    const reason = 'known broken before 6.2 (exclusive entries)';
    const issues = d.issues.filter((i) => i.report_subject === reason);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.id.startsWith('zdh:expected-')).toBe(true);
    const incidents = d.incidents.filter((i) => i.issue_id === issues[0]?.id);
    const statusOf = (testId: string) => d.tests.find((t) => t.id === testId)?.misc['status'];
    expect(incidents.map((i) => [statusOf(i.test_id), i.present])).toEqual([
      ['xpass', false],
      ['xfail', true],
    ]);
  });

  it('a run without xfail or xpass has no such issue', () => {
    const s = loadFixture('passing');
    const plain = finalise({
      ...s,
      cells: s.cells.map((c) => ({
        ...c,
        workloads: c.workloads.map((w) => ({ ...w, cases: w.cases.filter((k) => k.status === 'pass') })),
      })),
    });
    expect(renderKcidb(plain).issues).toEqual([]);
    expect(renderKcidb(plain).incidents).toEqual([]);
  });
});
