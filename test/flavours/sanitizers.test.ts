import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../harness/model/result.ts';
import type { Category } from '../../harness/scan/types.ts';
import { zdh } from '../helpers/zdh.ts';

// The sanitizer flavours (configs/kconfig/extra/{kasan,lockdep,pagealloc,kfence}.config),
// each against a kernel patch that only it can see (test/fixtures/kernel-patches/test-hmm-*):
// the default build with the patch passes, the flavour without it passes, and the flavour
// with it fails with a report of the flavour's own kind. Real builds (the first run of a
// flavour is a cold build of 10-20 min on 2 cores; later ones are cached) and real guests
// under TCG. Not part of `npm test`: `npm run test:flavours` (docs/ci.md, "Flavours").
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'kernel-patches');

interface Flavour {
  flavour: string;
  patch: string;
  /** The workload whose run reaches the patched code. */
  workload: string;
  category: Category | Category[];
  title: RegExp;
}

const FLAVOURS: Flavour[] = [
  {
    flavour: 'kasan',
    patch: 'test-hmm-chunk-use-after-free.patch',
    workload: 'hmm-tests',
    category: 'kasan',
    title: /^KASAN: (?:slab-)?use-after-free Read in dmirror_device_remove_chunks$/,
  },
  {
    flavour: 'lockdep',
    patch: 'test-hmm-lock-inversion.patch',
    workload: 'hmm-tests',
    category: 'lockdep',
    // Named after the path that takes the second order: the device fault, or the migration
    // (dmirror_migrate_finalize_and_map() is inlined into dmirror_migrate_to_device()).
    title: /^possible deadlock in dmirror_(?:devmem_fault\w*|migrate_\w+)$/,
  },
  {
    flavour: 'pagealloc',
    patch: 'test-hmm-freed-page-write.patch',
    workload: 'hmm-tests',
    // DEBUG_PAGEALLOC unmaps the freed page, so the write faults in the driver.
    category: 'page-fault',
    title: /^BUG: unable to handle page fault in dmirror_devmem_free$/,
  },
  {
    flavour: 'kfence',
    patch: 'test-hmm-mirror-use-after-free.patch',
    // KFENCE samples: it sees a freed mirror only when that mirror came from its pool.
    // hmm-tests frees about a hundred mirrors and was seen to miss it; hmm-stress's
    // release_churn frees hundreds in 10 s.
    workload: 'hmm-stress',
    category: 'kfence',
    title: /^KFENCE: use-after-free (?:read|write) in /,
  },
];

interface Outcome {
  code: number;
  findings: { category: Category; title: string; workload: string }[];
  cases: { workload: string; name: string; status: string }[];
}

async function run(args: readonly string[]): Promise<Outcome> {
  const out = mkdtempSync(join(tmpdir(), 'zdh-flavour-'));
  const res = await zdh(['run', ...args, '--out', out]);
  expect(res.stderr).not.toMatch(/internal error/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  const cell = summary.cells[0]!;
  expect(cell.error, res.stderr.slice(-2000)).toBeNull();
  return {
    code: res.code,
    findings: cell.findings.map((f) => ({ category: f.category, title: f.title, workload: f.workload })),
    cases: cell.workloads.flatMap((w) =>
      w.cases.map((c) => ({ workload: w.name, name: c.name, status: c.status })),
    ),
  };
}

const notPassed = (o: Outcome) =>
  o.cases
    .filter((c) => !['pass', 'xfail'].includes(c.status))
    .map((c) => `${c.workload}/${c.name}: ${c.status}`);

describe.each(FLAVOURS)('the $flavour flavour', ({ flavour, patch, workload, category, title }) => {
  it(`passes ${workload} on the unpatched kernel: nothing of its own to report`, async () => {
    const o = await run(['--config', flavour, '--workload', workload]);
    expect({ code: o.code, notPassed: notPassed(o), findings: o.findings }).toEqual({
      code: 0,
      notPassed: [],
      findings: [],
    });
  });

  it(`misses ${patch} without the flavour: the default build passes`, async () => {
    const o = await run(['--patches', join(fixtures, patch), '--workload', workload]);
    expect({ code: o.code, notPassed: notPassed(o), findings: o.findings }).toEqual({
      code: 0,
      notPassed: [],
      findings: [],
    });
  });

  it(`catches ${patch}: exit 1 with a ${[category].flat().join('/')} finding in ${workload}`, async () => {
    const o = await run(['--config', flavour, '--patches', join(fixtures, patch), '--workload', workload]);
    expect(o.code).toBe(1);
    const f = o.findings.find((x) => title.test(x.title));
    expect(f, JSON.stringify(o.findings)).toBeDefined();
    expect([category].flat()).toContain(f!.category);
    expect(f!.workload).toBe(workload);
  });
});
