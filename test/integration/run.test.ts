import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../harness/model/result.ts';
import { systemNode, zdh } from '../helpers/zdh.ts';

// `zdh run` for real: the default kernel (cached by the build tests), real QEMU guests,
// real workloads: the default suite (the README's main job), then the CLI's failure and
// interruption paths.
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const xsd = join(fixtures, 'junit', 'junit.xsd');
const readSummary = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;

/** Starts `zdh run` on hmm-stress with `node`, and interrupts it once the guest runs the workload. */
async function interruptMidRun(
  node: string,
  interrupt: (child: ResultPromise) => void,
  opts: { detached?: boolean } = {},
) {
  const out = mkdtempSync(join(tmpdir(), 'zdh-run-int-'));
  const zdhJs = join(import.meta.dirname, '..', '..', 'bin', 'zdh.js');
  const child = execa(node, [zdhJs, 'run', '--suite', 'smoke', '--workload', 'hmm-stress', '--out', out], {
    reject: false,
    stdin: 'ignore',
    ...opts,
  });
  await new Promise<void>((resolve) => {
    child.stderr?.on('data', (d: Buffer) => {
      if (/guest ready|step hmm-stress|booting/.test(d.toString())) resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 4000));
  interrupt(child);
  return { out, res: await child };
}

const qemuUnder = async (out: string): Promise<string> =>
  (await execa('pgrep', ['-f', `qemu-system.*${out}`], { reject: false })).stdout.trim();

async function xmllint(file: string): Promise<string> {
  const res = await execa('xmllint', ['--noout', '--schema', xsd, file], { reject: false });
  return `${res.exitCode}:${res.stderr.trim().split('\n').pop()}`;
}

/** The default-suite run's folder, which the tests after it read (set once `zdh run` has written it). */
let defaultRun: string | undefined;

/**
 * The words after `zdh` of the `zdh boot … -- sh -c '…'` command an upstream report prints
 * for a case: its ` \` line wraps undone, then split into words by sh itself, as the user's
 * shell splits what they paste (`zdh` a function there that prints its arguments).
 */
async function reportedBootCommand(report: string, caseName: string): Promise<string[]> {
  const lines = report.replace(/ \\\n\s+/g, ' ').split('\n');
  const line = lines.find((l) => l.startsWith('  zdh boot ') && l.endsWith(` --only ${caseName}'`));
  if (line === undefined) throw new Error(`no zdh boot command for ${caseName} in the report:\n${report}`);
  const words = await execa('sh', ['-c', `zdh() { printf '%s\\0' "$@"; }\n${line.trim()}`]);
  return words.stdout.split('\0').slice(0, -1);
}

describe('zdh run (real guests)', () => {
  it('runs the default suite (the main job) on the clean default kernel: exit 0, every workload with its cases, only documented expectations, every artifact', async () => {
    const out = mkdtempSync(join(tmpdir(), 'zdh-run-default-'));
    const res = await zdh(['run', '--out', out]);
    const summary = readSummary(out);
    defaultRun = out;
    const failures = summary.cells.flatMap((c) =>
      c.workloads.flatMap((w) =>
        w.cases
          .filter((k) => ['fail', 'missing', 'xpass'].includes(k.status))
          .map((k) => `${w.name}: ${k.name}: ${k.message}`),
      ),
    );
    expect({
      code: res.code,
      failures,
      findings: summary.cells.flatMap((c) => c.findings.map((f) => f.title)),
    }).toEqual({ code: 0, failures: [], findings: [] });
    expect(summary.run.status).toBe('passed');
    const cell = summary.cells[0]!;
    const workload = (name: string) => cell.workloads.find((w) => w.name === name)!;
    const stepOutput = (name: string) => readFileSync(join(out, workload(name).output!), 'utf8');
    // Every workload ran and reported cases.
    expect(cell.workloads.map((w) => w.name)).toEqual([
      'hmm-tests',
      'hmm-stress',
      'gup',
      'dax-ext4',
      'dax-xfs',
      'devdax',
      'kmem',
    ]);
    for (const w of cell.workloads) expect(w.cases.length, w.name).toBeGreaterThan(0);
    // hmm-tests: all 58 kselftest cases, by name, and the device-coherent devices really there.
    const hmm = workload('hmm-tests');
    expect(hmm.cases.filter((c) => c.name.startsWith('hmm'))).toHaveLength(58);
    expect(hmm.cases.filter((c) => c.name.includes('device_coherent'))).toHaveLength(29);
    expect(stepOutput('hmm-tests')).toMatch(/device-coherent dmirror2\/3/);
    // DAX really on: the set-up checked the mount, and the probe checks every file.
    expect(stepOutput('dax-xfs')).toMatch(/\/mnt\/dax: xfs on \/dev\/pmem\d+, dax=always/);
    // The only non-passes are 6.1's documented O_DIRECT wake-up failures, named with their file.
    expect(
      cell.workloads.flatMap((w) =>
        w.cases.filter((k) => k.status === 'xfail').map((k) => `${w.name}/${k.name}`),
      ),
    ).toEqual([
      'dax-ext4/truncate_vs_odirect',
      'dax-ext4/punch_hole_vs_odirect',
      'dax-xfs/truncate_vs_odirect',
      'dax-xfs/punch_hole_vs_odirect',
    ]);
    expect(cell.expectations?.map((e) => e.file)).toEqual(['configs/expectations/linux-6.1-tcg.yaml']);
    for (const name of [
      'junit.xml',
      'summary.json',
      'report.html',
      'manifest.json',
      'kcidb.json',
      'zdh.log',
      'console.log',
    ]) {
      expect(existsSync(join(out, name)), name).toBe(true);
    }
    expect(existsSync(join(out, cell.artifacts.buildLog!))).toBe(true);
    expect(readFileSync(join(out, 'console.log'), 'utf8')).toMatch(/zdh: step begin hmm-tests/);
    expect(await xmllint(join(out, 'junit.xml'))).toMatch(/^0:/);
    expect(cell.machine.accel).toMatch(/^(kvm|tcg)$/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      builds: { cacheKey: string }[];
    };
    expect(manifest.builds[0]!.cacheKey).toBe(cell.kernel.cacheKey);
    expect(res.stderr).toContain(realpathSync(out));
  });

  it("zdh boot --workload dax-ext4 puts the workload's programs in the guest and reuses the run's cached kernel", async () => {
    expect(defaultRun, 'the default-suite run above').toBeDefined();
    const cell = readSummary(defaultRun!).cells[0]!;
    const out = mkdtempSync(join(tmpdir(), 'zdh-boot-workload-'));
    const res = await zdh(['boot', '--workload', 'dax-ext4', '--out', out, '--', 'true']);
    expect(res.code, res.stderr).toBe(0);
    // The run's build, found in the cache: nothing configured or compiled for the image.
    const machine = JSON.parse(readFileSync(join(out, 'machine.json'), 'utf8')) as {
      kernel: { cacheKey: string; cached: boolean };
    };
    expect(machine.kernel).toMatchObject({ cacheKey: cell.kernel.cacheKey, cached: true });
    expect(res.stderr).not.toMatch(/configuring \(|building bzImage/);
  });

  it('reproduces the ext4 O_DIRECT hang in a fresh boot with the one zdh boot command its upstream report prints', async () => {
    expect(defaultRun, 'the default-suite run above').toBeDefined();
    const reports = await zdh(['report', defaultRun!, '--upstream']);
    expect(reports.code, reports.stderr).toBe(0);
    const file = reports.stdout
      .split('\n')
      .find((l) => /\/hang-missing-wake-up-in-ext4-break-layouts-[0-9a-f]{8}\.txt$/.test(l));
    expect(file, reports.stdout).toBeDefined();
    const report = readFileSync(file!, 'utf8');
    expect(report.split('\n')[0]).toBe('HANG: missing wake-up in ext4_break_layouts');
    // Only truncate_vs_odirect: one boot, its set-up and the one case (about 30-40 s under TCG).
    const words = await reportedBootCommand(report, 'truncate_vs_odirect');
    expect(words.slice(0, 3)).toEqual(['boot', '--workload', 'dax-ext4']);
    expect(words.slice(-3, -1)).toEqual(['sh', '-c']);
    expect(words.at(-1)).toMatch(/^zdh-pmem reset && .* --only truncate_vs_odirect$/);
    // The report's command as printed, with a run folder of the test's own (default: .zdh/runs in the checkout).
    const out = mkdtempSync(join(tmpdir(), 'zdh-boot-repro-'));
    const res = await zdh(['boot', '--out', out, ...words.slice(1)]);
    // 1: the case failed (the probe's status); 2 would be zdh's own failure.
    expect(res.code, res.stderr).toBe(1);
    // Judged at --stall: asleep in the layout-break wait and never woken, not at --hang-timeout.
    expect(res.stdout).toMatch(/HANG: truncate asleep in ext4_break_layouts \(state S\) and not woken for/);
    expect(res.stdout).toMatch(/DIAGNOSIS: missing wake-up/);
    const machine = JSON.parse(readFileSync(join(out, 'machine.json'), 'utf8')) as {
      kernel: { cacheKey: string; cached: boolean };
    };
    expect(machine.kernel).toMatchObject({
      cacheKey: readSummary(defaultRun!).cells[0]!.kernel.cacheKey,
      cached: true,
    });
  });

  it('fails with exit 1 on a patch that breaks device-private refcounting, naming the workload in all outputs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'zdh-run-broken-'));
    const patch = join(fixtures, 'kernel-patches', 'migrate-device-missing-put.patch');
    const res = await zdh([
      'run',
      '--suite',
      'smoke',
      '--workload',
      'hmm-stress',
      '--patches',
      patch,
      '--out',
      out,
    ]);
    expect(res.code).toBe(1);
    const summary = readSummary(out);
    const cell = summary.cells[0]!;
    expect(cell.kernel.patches.map((p) => p.name)).toEqual(['migrate-device-missing-put.patch']);
    expect(cell.status).toBe('failed');
    // The page whose reference leaks outlives its device: depending on timing the kernel
    // hangs unloading test_hmm (memunmap_pages), faults on the freed device page (seen:
    // "BUG: unable to handle page fault in rmap_walk"), or freezes both vCPUs right after
    // the load with nothing on the console (seen once: no report, no heartbeat). Either a
    // finding in hmm-stress, or the machine stopped in hmm-stress.
    const finding = cell.findings.find((f) => f.workload === 'hmm-stress');
    const reason = cell.exit?.reason;
    const stoppedIn = reason !== undefined && 'step' in reason ? reason.step : undefined;
    expect(
      finding !== undefined || stoppedIn === 'hmm-stress',
      JSON.stringify({ findings: cell.findings.map((f) => [f.title, f.workload]), exit: cell.exit }),
    ).toBe(true);
    expect(
      cell.workloads
        .find((w) => w.name === 'hmm-stress')!
        .cases.some((k) => k.status === 'fail' || k.status === 'missing'),
    ).toBe(true);
    // What stopped it is named in every output: the kernel's report, or the machine's stop.
    const named = finding ? finding.title : cell.exit!.message;
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    const xmlText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(junit).toContain(finding ? `kernel: ${xmlText(named)}` : xmlText(named.slice(0, 40)));
    expect(junit).toMatch(/testsuite name="[^"]*\/hmm-stress"/);
    expect(await xmllint(join(out, 'junit.xml'))).toMatch(/^0:/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('hmm-stress');
    if (finding) expect(html).toContain(finding.title.split(' ').slice(-1)[0]!);
  });

  it('runs a cell of a saved run again, exactly, with zdh repro', async () => {
    const first = mkdtempSync(join(tmpdir(), 'zdh-run-repro-a-'));
    const again = mkdtempSync(join(tmpdir(), 'zdh-run-repro-b-'));
    expect((await zdh(['run', '--suite', 'smoke', '--workload', 'devdax', '--out', first])).code).toBe(0);
    const res = await zdh(['repro', first, '--out', again]);
    expect(res.code).toBe(0);
    const [a, b] = [readSummary(first).cells[0]!, readSummary(again).cells[0]!];
    expect(b.id).toBe(a.id);
    expect(b.kernel.cacheKey).toBe(a.kernel.cacheKey);
    expect(b.machine.cmdline).toEqual(a.machine.cmdline);
    expect(b.workloads.map((w) => [w.name, w.cases.length])).toEqual(
      a.workloads.map((w) => [w.name, w.cases.length]),
    );
  });

  it('stops cleanly on Ctrl-C: QEMU killed, results so far written and marked interrupted', async () => {
    const { out, res } = await interruptMidRun(process.execPath, (child) => child.kill('SIGINT'));
    expect(res.exitCode).toBe(130);
    const summary = readSummary(out);
    expect(summary.run.status).toBe('interrupted');
    expect(summary.cells[0]!.status).toBe('interrupted');
    expect(existsSync(join(out, 'junit.xml'))).toBe(true);
    expect(await qemuUnder(out)).toBe('');
  });

  it("counts one Ctrl-C to the launcher's process group once: interrupted results are written", async () => {
    // The terminal signals the whole foreground group: under Debian's Node 20 that is the
    // launcher and the Node 24 zdh it started, and the launcher passes its copy on too.
    const { out, res } = await interruptMidRun(systemNode(), (child) => process.kill(-child.pid!, 'SIGINT'), {
      detached: true,
    });
    expect(res.exitCode).toBe(130);
    const summary = readSummary(out);
    expect(summary.run.status).toBe('interrupted');
    expect(existsSync(join(out, 'junit.xml'))).toBe(true);
    expect(await qemuUnder(out)).toBe('');
  });
});
