import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBuild } from '../../harness/build/resolve.ts';
import type { BuildRecord } from '../../harness/build/types.ts';
import type { ExitReason } from '../../harness/machine/exit-reason.ts';
import { loadProfile } from '../../harness/machine/profile.ts';
import { type MachineResult, runMachine } from '../../harness/machine/runner.ts';
import type { StepResult } from '../../harness/machine/steps.ts';
import { projectRoot } from '../../harness/util/paths.ts';
import { systemNode, zdh } from '../helpers/zdh.ts';

// Real boots of the default build on the default machine (TCG on machines without a
// working KVM). The one place these tests get their kernel: the default build, built if
// it is not cached yet; ZDH_TEST_KERNEL=<build folder or cache key> picks another.
async function testBuild(): Promise<BuildRecord> {
  return resolveBuild(process.env['ZDH_TEST_KERNEL'] || undefined);
}

let build: BuildRecord;
const scratch = mkdtempSync(join(tmpdir(), 'zdh-boot-test-'));
let runs = 0;
const runDir = (name: string): string => join(scratch, `${name}-${++runs}`);

const readIfThere = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** QEMU processes whose command line mentions this folder. */
function qemuProcessesUnder(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes('qemu-system') && l.includes(dir));
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  out: string;
  result: { exitReason: ExitReason; steps: StepResult[]; accel: MachineResult['accel'] };
  console: string;
}

async function boot(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const out = runDir('cli');
  const res = await zdh(['boot', '--kernel', build.dir, '--out', out, ...args], { env });
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as CliRun['result'];
  return { ...res, out, result, console: readFileSync(join(out, 'console.log'), 'utf8') };
}

beforeAll(async () => {
  build = await testBuild();
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('the default machine boots the default build', () => {
  let run: MachineResult;
  const step = (name: string): StepResult => {
    const s = run.steps.find((x) => x.name === name);
    if (!s) throw new Error(`no step ${name}`);
    return s;
  };

  beforeAll(async () => {
    run = await runMachine({
      build,
      profile: loadProfile(undefined),
      outDir: runDir('default'),
      steps: [
        { name: 'nd-bus', script: 'ls /sys/bus/nd/devices', timeoutS: 60 },
        { name: 'test_hmm', script: 'modprobe test_hmm && ls /dev/hmm_dmirror*', timeoutS: 60 },
        {
          name: 'fsdax',
          argv: ['ndctl', 'create-namespace', '-f', '-e', 'namespace0.0', '-m', 'fsdax'],
          timeoutS: 120,
        },
        {
          name: 'ext4-dax',
          script:
            'mkfs.ext4 -q -F -b 4096 /dev/pmem0 && mkdir -p /mnt && mount -o dax=always /dev/pmem0 /mnt && grep " /mnt " /proc/mounts',
          timeoutS: 120,
        },
      ],
    });
  });

  it('runs every step to the end', () => {
    expect(run.exitReason).toEqual({ kind: 'done' });
    expect(run.steps.map((s) => [s.name, s.state, s.status])).toEqual([
      ['nd-bus', 'finished', 0],
      ['test_hmm', 'finished', 0],
      ['fsdax', 'finished', 0],
      ['ext4-dax', 'finished', 0],
    ]);
    expect(run.kernelRelease).toBe(build.kernelRelease);
  });

  it('shows an NVDIMM region on /sys/bus/nd', () => {
    expect(step('nd-bus').output).toMatch(/\bregion0\b/);
    expect(step('nd-bus').output).toMatch(/\bnmem0\b/);
  });

  it('modprobe test_hmm gives /dev/hmm_dmirror0 and 1, and 2 and 3 on the SPM range', () => {
    const devs = step('test_hmm').output.split(/\s+/).filter(Boolean).sort();
    expect(devs).toEqual([
      '/dev/hmm_dmirror0',
      '/dev/hmm_dmirror1',
      '/dev/hmm_dmirror2',
      '/dev/hmm_dmirror3',
    ]);
  });

  it('ndctl creates an fsdax namespace', () => {
    expect(JSON.parse(step('fsdax').output)).toMatchObject({
      dev: 'namespace0.0',
      mode: 'fsdax',
      blockdev: 'pmem0',
    });
  });

  it('mkfs.ext4 and mount -o dax=always work, and /proc/mounts shows dax', () => {
    expect(step('ext4-dax').output).toMatch(/^\/dev\/pmem0 \/mnt ext4 \S*dax=always/m);
  });

  it('brackets each step with markers in the kernel log, in order', () => {
    const log = readFileSync(run.consoleLog, 'utf8');
    const markers = [...log.matchAll(/zdh: step (begin|end) (\S+)(?: status=(\d+))?/g)].map((m) =>
      m.slice(1).join(' ').trim(),
    );
    expect(markers).toEqual([
      'begin nd-bus',
      'end nd-bus 0',
      'begin test_hmm',
      'end test_hmm 0',
      'begin fsdax',
      'end fsdax 0',
      'begin ext4-dax',
      'end ext4-dax 0',
    ]);
    // test_hmm's log lines fall between its markers.
    const begin = log.indexOf('zdh: step begin test_hmm');
    const end = log.indexOf('zdh: step end test_hmm');
    const chunk = log.indexOf('added new 256 MB chunk');
    expect(chunk).toBeGreaterThan(begin);
    expect(chunk).toBeLessThan(end);
  });

  it('stamps every console line with the host time and keeps no disks or QEMU behind', () => {
    const lines = readFileSync(run.consoleLog, 'utf8').split('\n').filter(Boolean);
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l))).toBe(true);
    expect(qemuProcessesUnder(run.runDir)).toEqual([]);
    const left = execFileSync('ls', [run.runDir], { encoding: 'utf8' });
    expect(left).not.toMatch(/nvdimm0\.img|initrd\.cpio|\.sock/);
  });
});

describe('zdh boot', () => {
  it('exits with the guest command status and streams its output', async () => {
    const r = await boot(['--', 'sh', '-c', 'echo out-$((6*7)); echo err >&2; exit 7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('out-42\nerr'); // (the test helper drops the final newline)
    expect(r.result.exitReason).toEqual({ kind: 'done' });
  });

  it('reports a hung command as a hang, with a task dump in the log and no QEMU left', async () => {
    const r = await boot(['--timeout', '20', '--', 'sleep', '100000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hang: step 'command' did not finish within 20 s/);
    expect(r.result.exitReason).toEqual({ kind: 'hang', step: 'command', timeoutS: 20 });
    expect(r.result.steps[0]).toMatchObject({ state: 'incomplete' });
    expect(r.console).toMatch(/sysrq: Show Blocked State/);
    expect(r.console).toMatch(/sysrq: Show State/);
    // SysRq t shows the sleeping command and where it sleeps.
    expect(r.console).toMatch(/task:sleep\s+state:S/);
    expect(r.console).toMatch(/do_nanosleep/);
    expect(qemuProcessesUnder(r.out)).toEqual([]);
  });

  it('judges a task of the step stuck in D state without a context switch, long before the step timeout', async () => {
    // A parent in vfork() waits for its child killable-uninterruptibly (state D, never
    // switching) while the child sleeps: a D-state task with no kernel bug behind it, and
    // one the hung-task detector ignores (it looks at TASK_UNINTERRUPTIBLE alone). Only
    // /init's report of the step's blocked tasks can see it.
    const src = join(scratch, 'vfork-wait.c');
    const bin = join(scratch, 'vfork-wait');
    execFileSync('sh', [
      '-c',
      `printf '%s\n' '#include <unistd.h>' 'int main(void) { if (vfork() == 0) { pause(); _exit(0); } return 0; }' > ${src}`,
    ]);
    execFileSync('gcc', ['-static', '-O2', '-o', bin, src]);
    const base = loadProfile('default');
    const profile = { ...base, timeouts: { ...base.timeouts, blockedS: 10 } };
    const r = await runMachine({
      build,
      profile,
      steps: [{ name: 'vfork', argv: ['/usr/bin/vfork-wait'], timeoutS: 600 }],
      outDir: runDir('blocked'),
      accel: 'tcg',
      image: { files: [{ guestPath: '/usr/bin/vfork-wait', hostPath: bin }] },
    });
    expect(r.exitReason).toMatchObject({ kind: 'hang', step: 'vfork', timeoutS: 600 });
    const b = (r.exitReason as { blockedTask?: { task: string; forS: number } }).blockedTask;
    expect(b?.task).toMatch(/^vfork-wait:\d+$/);
    expect(b?.forS).toBeGreaterThanOrEqual(10);
    // Stopped at the first report past 10 s, not at the step's 600 s: well inside a minute.
    expect(r.steps[0]?.state).toBe('incomplete');
    expect(readFileSync(r.consoleLog, 'utf8')).toMatch(/task:vfork-wait\s+state:D/);
    expect(qemuProcessesUnder(r.runDir)).toEqual([]);
  });

  it('reports a kernel panic as a panic, not as a timeout', async () => {
    const r = await boot(['--timeout', '120', '--', 'sh', '-c', 'echo c > /proc/sysrq-trigger; sleep 1000']);
    expect(r.code).toBe(1);
    expect(r.result.exitReason).toEqual({ kind: 'panic', message: 'sysrq triggered crash' });
    expect(r.stderr).toMatch(/kernel panic: sysrq triggered crash/);
    expect(r.console).toMatch(/Kernel panic - not syncing: sysrq triggered crash/);
    expect(qemuProcessesUnder(r.out)).toEqual([]);
  });

  it('runs two boots at once without interference', async () => {
    // Each run gets fresh NVDIMM files: a namespace made in one never shows in the other.
    const script = (token: string): string[] => [
      '--',
      'sh',
      '-c',
      `ndctl list -N | grep -c fsdax; ndctl create-namespace -f -e namespace0.0 -m fsdax >/dev/null && mkfs.ext4 -q -F /dev/pmem0 && mount /dev/pmem0 /mnt && echo ${token} > /mnt/t && sync && cat /mnt/t && echo ${token} > /dev/kmsg`,
    ];
    const [a, b] = await Promise.all([boot(script('token-aaa')), boot(script('token-bbb'))]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toBe('0\ntoken-aaa');
    expect(b.stdout).toBe('0\ntoken-bbb');
    expect(a.console).toMatch(/token-aaa/);
    expect(a.console).not.toMatch(/token-bbb/);
    expect(b.console).toMatch(/token-bbb/);
    expect(b.console).not.toMatch(/token-aaa/);
  });

  it('refuses a second run in a folder that a run is using', async () => {
    const out = runDir('shared');
    const first = zdh(['boot', '--kernel', build.dir, '--out', out, '--', 'sleep', '5']);
    // Wait until the first run holds the folder (its lock appears before QEMU starts).
    for (let i = 0; i < 600 && !existsSync(join(out, '.lock')); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(out, '.lock'))).toBe(true);
    const second = await zdh(['boot', '--kernel', build.dir, '--out', out, '--', 'true']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/run folder .* is in use by another run/);
    expect((await first).code).toBe(0);
  });

  // SIGKILL runs no exit hook: the watchdog (harness/process/watchdog.ts) has to do it. Under
  // Debian's Node 20 `zdh` is a launcher and its Node 24 child; a kill of either must do.
  for (const target of ['zdh', 'the launcher'] as const) {
    it(`leaves no QEMU running 10 s after a SIGKILL of ${target} mid-boot`, async () => {
      const out = runDir('sigkill');
      const node = target === 'zdh' ? process.execPath : systemNode();
      const child = execa(
        node,
        [
          join(projectRoot, 'bin', 'zdh.js'),
          'boot',
          '--kernel',
          build.dir,
          '--out',
          out,
          '--',
          'sleep',
          '1000',
        ],
        { reject: false, stdin: 'ignore' },
      );
      // Kill once the guest runs the command, so QEMU is up and busy.
      for (let i = 0; i < 1200 && !/zdh: step begin/.test(readIfThere(join(out, 'console.log'))); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(qemuProcessesUnder(out)).toHaveLength(1);
      child.kill('SIGKILL');
      await child;
      let left = qemuProcessesUnder(out);
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = qemuProcessesUnder(out);
      }
      for (const line of left) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
      expect(left).toEqual([]);
    });
  }

  it('fails before QEMU starts on an invalid profile, naming file:line:col and the fix', async () => {
    const bad = join(scratch, 'bad.yaml');
    execFileSync('sh', ['-c', `printf 'nvdimms:\\n  - size: 1G\\n    label: 64K\\n' > ${bad}`]);
    const res = await zdh(['boot', '--kernel', build.dir, '--machine', bad, '--', 'true']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${bad}:3:5: label 64K is below QEMU's minimum of 128K`);
    expect(res.stderr).toMatch(/fix: label: 128K or more/);
  });

  it('without --accel uses KVM where it boots, else falls back to TCG, says so, and remembers it', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'zdh-accel-'));
    try {
      const first = await boot(['--', 'true'], { ZDH_CACHE_DIR: cache });
      expect(first.code).toBe(0);
      const a = first.result.accel;
      if (a.used === 'kvm') {
        expect(a.fallback).toBeUndefined();
      } else {
        // No usable /dev/kvm, or KVM hung before the banner and the run went on under TCG.
        expect(a.reason).toMatch(/^TCG/);
        expect(first.stderr).toMatch(/accelerator: /);
        if (a.fallback) {
          expect(first.stderr).toMatch(/falling back to TCG/);
          const second = await boot(['--', 'true'], { ZDH_CACHE_DIR: cache });
          expect(second.code).toBe(0);
          expect(second.result.accel.used).toBe('tcg');
          expect(second.result.accel.fallback).toBeUndefined();
          expect(second.result.accel.reason).toMatch(/remembered in/);
        }
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('zdh shell', () => {
  it('runs what is typed in a shell on the guest console, then powers off', async () => {
    const out = runDir('shell');
    const res = await execa(
      process.execPath,
      [join(projectRoot, 'bin', 'zdh.js'), 'shell', '--kernel', build.dir, '--out', out],
      {
        input: 'echo shell-says-$((40+2))\nls /dev/hmm_dmirror0 || echo no-hmm-yet\n',
        reject: false,
        killDescendants: true,
        timeout: 10 * 60_000,
      },
    );
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/^shell-says-42\r?$/m);
    expect(res.stdout).toMatch(/no-hmm-yet/);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { exitReason: ExitReason };
    expect(result.exitReason).toEqual({ kind: 'done' });
  });
});
