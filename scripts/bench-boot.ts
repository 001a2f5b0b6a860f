/**
 * Boot benchmark: time from QEMU's start to the first guest command (`uname -r`), under
 * TCG and, where /dev/kvm works, under KVM. Not a test: it prints figures for
 * docs/machine.md.
 *
 *   node scripts/bench-boot.ts [--kernel BUILD] [--machine NAME] [--runs N]
 *
 * BUILD is a build folder or cache key (default: the default build, built if needed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveBuild } from '../harness/build/resolve.ts';
import { kvmAccess } from '../harness/machine/host-memory.ts';
import { loadProfile } from '../harness/machine/profile.ts';
import type { Accel } from '../harness/machine/qemu-args.ts';
import { type MachineResult, runMachine } from '../harness/machine/runner.ts';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string' },
    machine: { type: 'string' },
    runs: { type: 'string', default: '5' },
  },
});
const runs = Number(values.runs);
const build = await resolveBuild(values.kernel);
const profile = loadProfile(values.machine);
const scratch = mkdtempSync(join(tmpdir(), 'zdh-bench-boot-'));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};
const sec = (ms: number | undefined): string =>
  ms === undefined ? '   -  ' : `${(ms / 1000).toFixed(2).padStart(6)}`;

async function once(accel: Accel, i: number): Promise<MachineResult> {
  return runMachine({
    build,
    profile,
    accel,
    steps: [{ name: 'uname', argv: ['uname', '-r'], timeoutS: 60 }],
    outDir: join(scratch, `${accel}-${i}`),
    // A KVM that hangs before the banner is reported quickly, as the harness's own probe does.
    ...(accel === 'kvm' ? { timeouts: { bannerS: profile.timeouts.kvmBannerS } } : {}),
  });
}

async function series(accel: Accel): Promise<void> {
  const first: number[] = [];
  console.log(
    `\n${accel.toUpperCase()}: ${build.kernelRelease} on '${profile.name}' (${profile.cpus} vCPUs, ${profile.memory / 2 ** 30} GiB, ${profile.nvdimms.length} NVDIMM)`,
  );
  console.log('  run  banner   ready  1st cmd    end   (seconds from QEMU start)');
  for (let i = 1; i <= runs; i++) {
    const r = await once(accel, i);
    if (r.exitReason.kind !== 'done') {
      console.log(
        `  ${i}: ${r.exitReason.kind}${'stage' in r.exitReason ? ` (${r.exitReason.stage})` : ''}: ${accel} does not boot here`,
      );
      return;
    }
    const t = r.timings;
    if (t.firstStepMs !== undefined) first.push(t.firstStepMs);
    console.log(
      `  ${String(i).padStart(3)} ${sec(t.bannerMs)}  ${sec(t.readyMs)}  ${sec(t.firstStepMs)}  ${sec(t.endMs)}`,
    );
  }
  console.log(`  median time to the first guest command: ${(median(first) / 1000).toFixed(2)} s`);
}

try {
  console.log(
    `host: ${process.env['HOSTNAME'] ?? ''} ${new Date().toISOString()}; image cached after the first run`,
  );
  await series('tcg');
  const kvm = kvmAccess();
  if (kvm.usable) await series('kvm');
  else console.log(`\nKVM: not measured (${kvm.problem})`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
