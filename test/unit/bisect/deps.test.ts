import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planSelection, shippedSuiteLookup, stepDeps } from '../../../harness/bisect/deps.ts';
import type { Selection } from '../../../harness/bisect/model.ts';
import { planFor, type SuiteLookup } from '../../../harness/bisect/selection.ts';
import { defaultKernelSpec } from '../../../harness/build/kernel-spec.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { defaultPlanCell } from '../../../harness/run/default-plan.ts';
import type { Suite } from '../../../harness/suite/suite.ts';
import { silentProgress } from '../../helpers/progress.ts';
import { selection } from '../../helpers/selection.ts';
import { loadFixture } from '../report/helpers.ts';

const sel = (over: Partial<Selection> = {}): Selection => selection({ suite: 'default', ...over });

const memSuite = (name: string, workloads: string[]): Suite => ({
  name,
  description: '',
  file: null,
  kernels: [{ name: 'k', spec: defaultKernelSpec() }],
  machines: ['default'],
  workloads: workloads.map((w) => ({ name: w })),
  matrix: { include: null, exclude: [] },
  repeats: 1,
});

/** Suites in memory; records which lookups planFor made. */
function lookup(shipped: string[]): SuiteLookup & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    shipped: () => {
      asked.push('shipped');
      return shipped;
    },
    load: (ref) => {
      asked.push(`load ${ref}`);
      if (!shipped.includes(ref) && !ref.endsWith('.yaml'))
        throw new ZdhError('config', `suite ${ref} not found`);
      return memSuite(ref, ['from-file']);
    },
    builtInDefault: () => {
      asked.push('built-in');
      return memSuite('default', []);
    },
  };
}

describe('planFor (suites from a SuiteLookup)', () => {
  it('`default` is the built-in suite when none is shipped; it has no workloads, so --workload picks them', () => {
    const l = lookup(['nightly']);
    const p = planFor(sel({ workloads: ['hmm-stress'], patches: ['/x.patch'] }), l);
    expect(l.asked).toEqual(['shipped', 'built-in']);
    expect(p.suiteName).toBe('default');
    expect(p.workloads).toEqual([{ name: 'hmm-stress' }]);
    expect(p.spec.patches).toEqual(['/x.patch']);
    expect(() => planFor(sel(), lookup([]))).toThrow(/suite default selects no workload/);
  });

  it('a shipped `default` and any other name are loaded; other names never ask what is shipped', () => {
    const l = lookup(['default', 'nightly']);
    expect(planFor(sel(), l).workloads).toEqual([{ name: 'from-file' }]);
    expect(l.asked).toEqual(['shipped', 'load default']);
    const m = lookup(['nightly']);
    expect(planFor(sel({ suite: 'nightly' }), m).suiteName).toBe('nightly');
    expect(planFor(sel({ suite: '/abs/mine.yaml' }), m).suiteName).toBe('/abs/mine.yaml');
    expect(m.asked).toEqual(['load nightly', 'load /abs/mine.yaml']);
  });

  it('an unknown suite is the lookup’s error, before anything else', () => {
    expect(() => planFor(sel({ suite: 'nope' }), lookup(['nightly']))).toThrow(/suite nope not found/);
  });
});

describe('the shipped suites (configs/suites/)', () => {
  it('the built-in default is Debian 6.1 on the default machine, with no workloads', () => {
    const s = shippedSuiteLookup.builtInDefault();
    expect(s.name).toBe('default');
    expect(s.machines).toEqual(['default']);
    expect(s.workloads).toEqual([]);
    expect(s.kernels.map((k) => [k.name, k.spec.source.kind])).toEqual([['debian-6.1', 'tarball']]);
  });

  it('planSelection plans over them; an unknown name is a config error naming it', () => {
    const p = planSelection(sel({ workloads: ['hmm-stress'], patches: ['/x.patch'] }));
    expect(p.workloads.map((w) => w.name)).toEqual(['hmm-stress']);
    expect(p.machines.length).toBeGreaterThan(0);
    expect(p.spec.patches).toContain('/x.patch');
    expect(() => planSelection(sel({ suite: 'no-such-suite' }))).toThrow(/suite no-such-suite not found/);
  });
});

describe('stepDeps', () => {
  const work = mkdtempSync(join(tmpdir(), 'zdh-bisect-deps-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('passes the versions and progress through, plans over the shipped suites, and binds the run pipeline', () => {
    const d = stepDeps({ progress: silentProgress, toolVersion: '9.9.9', qemuVersion: null });
    expect(d.toolVersion).toBe('9.9.9');
    expect(d.qemuVersion).toBeNull();
    expect(d.progress).toBe(silentProgress);
    expect(d.planFor).toBe(planSelection);
    expect(d.planCell).toBe(defaultPlanCell);
  });

  it('gives each bisect its own expectations (read at first use, then kept)', () => {
    const a = stepDeps({ progress: silentProgress, toolVersion: 'x', qemuVersion: 'q' });
    const b = stepDeps({ progress: silentProgress, toolVersion: 'x', qemuVersion: 'q' });
    expect(a.expectations).not.toBe(b.expectations);
    const facts = { kernelRelease: '6.1.192', accel: 'tcg' };
    expect(a.expectations.files(facts)).toEqual(b.expectations.files(facts));
  });

  it('writes a step’s reports both when a run’s summary changes and at the end', () => {
    const d = stepDeps({ progress: silentProgress, toolVersion: 'x', qemuVersion: 'q' });
    const summary = loadFixture('passing');
    d.onSummary!(summary, join(work, 'on-summary'));
    d.writeReports!(summary, join(work, 'at-end'));
    for (const dir of ['on-summary', 'at-end']) {
      expect(readdirSync(join(work, dir)).sort()).toEqual([
        'junit.xml',
        'kcidb.json',
        'report.html',
        'summary.json',
      ]);
    }
  });
});
