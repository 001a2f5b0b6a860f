import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { RunSummary } from '../../harness/model/result.ts';
import { zdh } from '../helpers/zdh.ts';

// The distro flavour (configs/kconfig/extra/distro.config: NUMA, memory cgroups, SLUB) on
// the two-node machine (configs/machines/numa.yaml, the NVDIMM on node 2 of its own): a
// real build and a real guest under TCG. Not part of `npm test`: `npm run test:flavours`.
it('distro on the NUMA machine: kmem onlines the NVDIMM as node 2 through daxctl, steps run in a memory-limited cgroup, every workload passes', async () => {
  const out = mkdtempSync(join(tmpdir(), 'zdh-distro-'));
  const res = await zdh([
    'run',
    '--config',
    'distro',
    '--machine',
    'numa',
    '--workload',
    'kmem',
    '--workload',
    'hmm-tests',
    '--workload',
    'dax-ext4',
    '--out',
    out,
  ]);
  expect(res.stderr).not.toMatch(/internal error/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  const cell = summary.cells[0]!;
  const notPassed = cell.workloads.flatMap((w) =>
    w.cases
      .filter((c) => !['pass', 'xfail'].includes(c.status))
      .map((c) => `${w.name}/${c.name}: ${c.status}`),
  );
  expect({
    code: res.code,
    error: cell.error,
    notPassed,
    findings: cell.findings.map((f) => f.title),
  }).toEqual({
    code: 0,
    error: null,
    notPassed: [],
    findings: [],
  });
  expect(cell.machine).toMatchObject({ name: 'numa' });

  const cellDir = join(out, cell.artifacts.dir);
  const steps = join(cellDir, 'steps');
  const kmem = readFileSync(join(steps, readdirSync(steps).find((f) => f.endsWith('-kmem.out'))!), 'utf8');
  // Through daxctl, not the sysfs fallback a kernel without NUMA needs, and onto node 2.
  expect(kmem).toMatch(/hot-plug through \S*daxctl reconfigure-device --mode=system-ram/);
  expect(kmem).not.toMatch(/hot-plug through sysfs/);
  const node = /node (\d+) \(target_node\): MemTotal (-?\d+) -> (\d+) kB/.exec(kmem);
  expect(node, kmem.slice(0, 3000)).not.toBeNull();
  expect(Number(node![1])).toBe(2);
  expect(Number(node![3])).toBeGreaterThan(Math.max(0, Number(node![2])));

  // The guest saw three nodes, and ran the steps in the memory-limited child cgroup.
  const console = readFileSync(join(cellDir, 'console.log'), 'utf8');
  expect(console).toMatch(/zdh: cgroup v2: steps run in \/sys\/fs\/cgroup\/zdh, memory\.max=\d+/);
  expect(console).toMatch(/NUMA: Node|SRAT: PXM 1 ->/);
});
