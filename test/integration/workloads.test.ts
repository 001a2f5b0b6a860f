import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultKernelSpec } from '../../harness/build/kernel-spec.ts';
import { resolveBuild } from '../../harness/build/resolve.ts';
import type { BuildRecord } from '../../harness/build/types.ts';
import { loadProfile } from '../../harness/machine/profile.ts';
import type { CaseResult, CellResult } from '../../harness/model/result.ts';
import { defaultExpectations, defaultPlanCell } from '../../harness/run/default-plan.ts';
import { executeCell } from '../../harness/run/execute-cell.ts';
import type { WorkloadRef } from '../../harness/suite/suite.ts';
import { zdh } from '../helpers/zdh.ts';

// Real guests: the default build (Debian's 6.1, built by `zdh build` if not cached) on the
// default machine under TCG, each test one VM, through what `zdh run` does for a cell
// (run/execute-cell.ts with the default workload plan and expectations), so the cases and
// their messages are the ones a run reports.
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'kernel-patches');

interface Run {
  cell: CellResult;
  judged: (CaseResult & { workload: string })[];
  findings: { workload: string; title: string }[];
  wallS: number;
}

async function runWorkloads(build: BuildRecord, workloads: WorkloadRef[]): Promise<Run> {
  const started = performance.now();
  const cell = await executeCell({
    cell: {
      id: 'default@default#1',
      // The report's kernel facts come from the build record; the spec only names the base.
      kernel: { name: 'default', spec: defaultKernelSpec() },
      machine: 'default',
      repeat: 1,
      workloads,
    },
    runDir: mkdtempSync(join(tmpdir(), 'zdh-workloads-')),
    build,
    buildError: undefined,
    profile: loadProfile('default'),
    accel: 'tcg',
    planCell: defaultPlanCell,
    expectations: defaultExpectations(),
    qemuVersion: null,
    signal: new AbortController().signal,
    onProgress: () => {},
  });
  const wallS = (performance.now() - started) / 1000;
  // No set-up or infrastructure error, and every workload ran here (none left out for its needs).
  expect(cell.error).toBeNull();
  expect(cell.workloads.filter((w) => w.cases.some((c) => c.name === 'needs')).map((w) => w.name)).toEqual(
    [],
  );
  const judged = cell.workloads.flatMap((w) => w.cases.map((c) => ({ ...c, workload: w.name })));
  const findings = cell.findings.map((f) => ({ workload: f.workload, title: f.title }));
  console.log(
    `${workloads.map((r) => r.name).join(', ')}: ${wallS.toFixed(1)} s wall under TCG; ${judged.length} cases; ` +
      `findings: ${findings.map((f) => `${f.workload}: ${f.title}`).join('; ') || 'none'}`,
  );
  return { cell, judged, findings, wallS };
}

const byName = (r: Run, workload: string, name: string): Run['judged'][number] | undefined =>
  r.judged.find((c) => c.workload === workload && c.name === name);

/** Builds the default kernel with one fixture patch through the CLI (as a user would). */
async function patchedBuild(patch: string): Promise<BuildRecord> {
  const res = await zdh(['build', '--patches', join(fixtures, patch), '--json']);
  expect(res.stderr).not.toMatch(/internal error/);
  expect(res.code).toBe(0);
  const record = JSON.parse(res.stdout) as { dir: string };
  return resolveBuild(record.dir);
}

describe('workloads on the default build under TCG', () => {
  // Every workload on the clean default kernel, with its case counts and expectations, is
  // run through the CLI in run.test.ts (the README's main job); this file boots only what
  // that run does not cover.

  it('hmm-tests with THP=always: the exclusive* cases fail with -EBUSY, as documented for 6.1', async () => {
    const build = await resolveBuild(undefined);
    const r = await runWorkloads(build, [{ name: 'hmm-tests-thp' }]);
    expect(r.findings).toEqual([]);
    const xfail = r.judged.filter((c) => c.status === 'xfail').map((c) => c.name);
    expect(xfail.sort()).toEqual(
      [
        'hmm.hmm_device_coherent.exclusive',
        'hmm.hmm_device_coherent.exclusive_cow',
        'hmm.hmm_device_coherent.exclusive_mprotect',
        'hmm.hmm_device_private.exclusive',
        'hmm.hmm_device_private.exclusive_cow',
        'hmm.hmm_device_private.exclusive_mprotect',
      ].sort(),
    );
    expect(r.judged.filter((c) => !['pass', 'xfail'].includes(c.status))).toEqual([]);
  });
});

// Each probe shown able to fail: the default kernel plus one small patch that breaks the
// path the probe covers, then only the workload it targets. A probe that still passes (and
// a log without the BUG or the hang) fails the test.
describe('able-to-fail: each probe fails on a kernel broken on its path', () => {
  const hangInLog = (r: Run): boolean =>
    r.findings.some((f) => /blocked for more than|hung|soft lockup|BUG|WARNING/i.test(f.title));

  it('zdh-dax: an extra fsdax page reference (fs/dax.c) makes the truncates wait forever', async () => {
    const r = await runWorkloads(await patchedBuild('dax-extra-page-ref.patch'), [{ name: 'dax-ext4' }]);
    for (const name of ['truncate_vs_vmsplice', 'punch_hole_vs_vmsplice']) {
      const c = byName(r, 'dax-ext4', name);
      expect(c?.status, name).toMatch(/^(fail|missing)$/);
    }
    expect(byName(r, 'dax-ext4', 'truncate_vs_vmsplice')?.message).toMatch(
      /leaked page reference|TIMEOUT|never reported/,
    );
  });

  it('zdh-dax: no wake-up when an fsdax page becomes idle (mm/memremap.c) hangs the truncate after vmsplice', async () => {
    const r = await runWorkloads(await patchedBuild('dax-no-devmap-wakeup.patch'), [{ name: 'dax-ext4' }]);
    const c = byName(r, 'dax-ext4', 'truncate_vs_vmsplice');
    expect(c?.status).toBe('fail');
    expect(c?.message).toMatch(/did not finish|DIAGNOSIS/);
  });

  it('zdh-dax: the 6.1 O_DIRECT wake-up fix (block/bio.c) turns the expected failures into flagged passes', async () => {
    const r = await runWorkloads(await patchedBuild('fix-6.1-bio-release-devmap-wakeup.patch'), [
      { name: 'dax-ext4' },
    ]);
    expect(byName(r, 'dax-ext4', 'truncate_vs_odirect')?.status).toBe('xpass');
    expect(byName(r, 'dax-ext4', 'punch_hole_vs_odirect')?.status).toBe('xpass');
  });

  it('zdh-devdax: device-dax splits allowed anywhere (drivers/dax/device.c)', async () => {
    const r = await runWorkloads(await patchedBuild('devdax-allow-unaligned-split.patch'), [
      { name: 'devdax' },
    ]);
    expect(byName(r, 'devdax', 'unaligned_split_einval')?.status).toBe('fail');
  });

  it('zdh-gup: FOLL_LONGTERM pins of fsdax no longer refused (mm/gup.c)', async () => {
    const r = await runWorkloads(await patchedBuild('gup-fsdax-longterm-allowed.patch'), [{ name: 'gup' }]);
    expect(byName(r, 'gup', 'fsdax_pin_longterm_refused')?.status).toBe('fail');
  });

  // mm/migrate_device.c's missing put (migrate-device-missing-put.patch) is caught through
  // the CLI in run.test.ts ("fails with exit 1 on a patch that breaks device-private
  // refcounting"): the same kernel and workload, so it is not booted a second time here.

  it('hmm-tests: a leaked device page reference in test_hmm (lib/test_hmm.c) hangs the unload', async () => {
    const r = await runWorkloads(await patchedBuild('test-hmm-leaked-ref.patch'), [{ name: 'hmm-tests' }]);
    const c = byName(r, 'hmm-tests', 'check.unload-test_hmm');
    expect(c?.status === 'fail' || c?.status === 'missing' || hangInLog(r)).toBe(true);
    expect(r.judged.some((x) => x.status === 'fail' || x.status === 'missing')).toBe(true);
  });

  // Issue 17's case: a leaked device-private pgmap reference hangs the unload in D state
  // with no oops before it. The run stops on the hung-task detector's second report of the
  // same task, with that finding, and the workload after it says it was blocked by the hang.
  it('hmm-tests: a freed device-private page that keeps its pgmap reference (mm/memremap.c) hangs memunmap_pages', async () => {
    const r = await runWorkloads(await patchedBuild('pgmap-ref-leak.patch'), [
      { name: 'hmm-tests' },
      { name: 'hmm-stress' },
    ]);
    expect(r.cell.exit?.reason).toMatchObject({ kind: 'hang', step: 'hmm-tests' });
    const reason = r.cell.exit?.reason as { hungTask?: unknown; blockedTask?: unknown };
    expect(reason.hungTask ?? reason.blockedTask).toBeDefined();
    expect(r.findings).toContainEqual({ workload: 'hmm-tests', title: 'INFO: task hung in memunmap_pages' });
    expect(r.judged.some((c) => c.workload === 'hmm-tests' && c.status === 'pass')).toBe(true);
    const stress = r.judged.filter((c) => c.workload === 'hmm-stress');
    expect(stress.length).toBeGreaterThan(0);
    for (const c of stress) {
      expect(c.status).toBe('missing');
      expect(c.message).toMatch(/^not run: hang: in step 'hmm-tests' the kernel reported task/);
    }
  });

  it('zdh-kmem: hot-added memory never removed (drivers/dax/kmem.c)', async () => {
    const r = await runWorkloads(await patchedBuild('kmem-hotremove-skipped.patch'), [{ name: 'kmem' }]);
    expect(byName(r, 'kmem', 'offline')?.status).toBe('fail');
  });
});
