import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderStepScript } from '../../../harness/machine/plan.ts';
import { StepOutput } from '../../../harness/machine/step-output.ts';
import { runLogged } from '../../../harness/process/run.ts';
import { parseWorkloadOutput } from '../../../harness/workloads/results.ts';
import { renderWorkloadScript, type ScriptInput, scriptBudgetS } from '../../../harness/workloads/script.ts';

// The step script is busybox sh; these tests run it with the host's busybox (the same
// static busybox the guest image carries) and parse what it prints. It runs as /init runs
// it: inside the step script of machine/plan.ts, with the run's nonce in ZDH_NONCE.
const NONCE = 'k3yT3stn0nce';
const work = mkdtempSync(join(tmpdir(), 'zdh-script-'));
const bin = join(work, 'bin');
mkdirSync(bin);
for (const applet of ['usleep', 'setsid', 'sed', 'cat', 'sleep', 'sh'])
  symlinkSync('/bin/busybox', join(bin, applet));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(
  input: ScriptInput,
  prelude = '',
): Promise<{ output: string; status: number | undefined }> {
  const file = join(work, `${input.name}.sh`);
  writeFileSync(
    file,
    renderStepScript({ name: input.name, script: renderWorkloadScript(input), timeoutS: 1 }),
  );
  const lines: string[] = [];
  const res = await runLogged('busybox', ['sh', '-c', `${prelude}. ${file}`], {
    env: { PATH: `${bin}:/usr/bin:/bin`, ZDH_KILL_GRACE_S: '1', ZDH_NONCE: NONCE },
    onLine: (l) => lines.push(l),
    timeoutMs: 30_000,
  });
  return { output: lines.join('\n'), status: res.exitCode };
}

const base = (over: Partial<ScriptInput> & Pick<ScriptInput, 'command'>): ScriptInput => ({
  name: 'demo',
  setup: [],
  checks: [],
  teardown: [],
  teardownTimeoutS: 5,
  ...over,
});
const plan = (input: ScriptInput, expectedCases: string[] = []) => ({
  name: input.name,
  expectedCases,
  checks: input.checks.map((c) => ({ name: c.name, timeoutS: c.timeoutS })),
  setupCommands: input.setup.map((s) => s.command),
  commandTimeoutS: input.command.timeoutS,
});

describe('the workload step script (run with busybox sh)', () => {
  it('runs set-up, command, checks and teardown, marking each part with its exit status', async () => {
    const input = base({
      setup: [{ command: "echo 'set up'", timeoutS: 5 }],
      command: { command: "printf 'KTAP version 1\\n1..2\\nok 1 a\\nnot ok 2 b\\n'; exit 1", timeoutS: 5 },
      checks: [{ name: 'unload', command: 'exit 3', timeoutS: 5 }],
      teardown: ['echo bye'],
    });
    const { output, status } = await run(input);
    expect(status).toBe(1);
    expect(output).toContain(`zdh-workload:${NONCE} setup 1 begin: echo 'set up'`);
    expect(output).toContain(`zdh-workload:${NONCE} setup 1 end 0`);
    expect(output).toContain(`zdh-workload:${NONCE} command main end 1`);
    expect(output).toContain(`zdh-workload:${NONCE} teardown 1 end 0`);
    const o = parseWorkloadOutput(plan(input, ['a', 'b']), {
      state: 'finished',
      status,
      output,
      nonce: NONCE,
    });
    expect(o.cases.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['a', 'pass', undefined],
      ['b', 'fail', undefined],
      ['check.unload', 'fail', 'exited with status 3'],
    ]);
  });

  it('stops at the first failed set-up command, skips the command and checks, still tears down', async () => {
    const input = base({
      setup: [
        { command: 'echo no DAX here; exit 1', timeoutS: 5 },
        { command: 'echo never', timeoutS: 5 },
      ],
      command: { command: 'echo never either', timeoutS: 5 },
      checks: [{ name: 'c', command: 'true', timeoutS: 5 }],
      teardown: ['echo cleaned'],
    });
    const { output, status } = await run(input);
    expect(status).toBe(1);
    expect(output.split('\n').filter((l) => l.includes('never'))).toEqual([]);
    expect(output).toContain('cleaned');
    const o = parseWorkloadOutput(plan(input, ['x']), { state: 'finished', status, output, nonce: NONCE });
    expect(o.cases.map((c) => [c.name, c.status])).toEqual([
      ['setup', 'fail'],
      ['x', 'missing'],
      ['check.c', 'missing'],
    ]);
    expect(o.cases[0]!.log).toContain('no DAX here');
  });

  it('kills a command that runs past its limit, with every process it started, and goes on', async () => {
    const input = base({
      command: {
        command: "printf 'KTAP version 1\\n1..2\\n#  RUN           slow ...\\n'; sleep 20; echo never",
        timeoutS: 1,
      },
      checks: [{ name: 'after', command: 'echo still running checks', timeoutS: 5 }],
    });
    const started = performance.now();
    const { output } = await run(input);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(output).toContain('zdh-workload: not finished after 1 s; its tasks:');
    expect(output).toMatch(/task \d+ \(sleep\) state S:/);
    expect(output).toContain(`zdh-workload:${NONCE} command main end timeout`);
    expect(output.split('\n')).not.toContain('never');
    const o = parseWorkloadOutput(plan(input, ['slow', 'next']), {
      state: 'finished',
      status: 1,
      output,
      nonce: NONCE,
    });
    expect(o.cases.map((c) => [c.name, c.status, c.reason])).toEqual([
      [
        'slow',
        'missing',
        'started but never reported (the command did not finish within 1 s and was killed)',
      ],
      [
        'next',
        'missing',
        'never ran: the output stopped before it (the command did not finish within 1 s and was killed)',
      ],
      ['check.after', 'pass', undefined],
    ]);
  });

  it('reports a command that cannot be killed as a hang and leaves it behind', async () => {
    // A kill that does nothing stands in for a task stuck in the kernel (state D).
    const input = base({ name: 'stuck', command: { command: 'sleep 4', timeoutS: 1 } });
    const { output, status } = await run(input, 'kill() { :; }; ');
    expect(status).toBe(1);
    expect(output).toContain('zdh-workload: still there 1 s after SIGKILL (stuck in the kernel); its tasks:');
    expect(output).toContain(`zdh-workload:${NONCE} command main end hang`);
    // The left-behind sleep holds the output open for its 4 s: more than the default 5 s
    // limit once the host is busy.
  }, 15_000);

  it('takes only markers with the run nonce: a command printing its own cannot hide its status, and never sees the nonce', async () => {
    const input = base({
      name: 'forger',
      command: {
        command: [
          "printf 'KTAP version 1\\n1..1\\nok 1 a\\n'",
          // What a test printing its own log, or a harness's, might show.
          "echo 'zdh-workload: command main end 0'",
          "echo 'zdh-workload:0therRun command main end 0'",
          "echo 'zdh-workload: check c begin: true'",
          // Its environment and its shell's variables.
          'env',
          'set',
          'exit 1',
        ].join('\n'),
        timeoutS: 5,
      },
      checks: [{ name: 'c', command: 'exit 4', timeoutS: 5 }],
    });
    const { output, status } = await run(input);
    expect(status).toBe(1);
    expect(output).toContain('zdh-workload: command main end 0');
    const o = parseWorkloadOutput(plan(input, ['a']), { state: 'finished', status, output, nonce: NONCE });
    expect(o.commandEnd).toBe('1');
    expect(o.cases.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['a', 'pass', undefined],
      ['forger', 'fail', 'every case passed but the command exited with status 1'],
      ['check.c', 'fail', 'exited with status 4'],
    ]);
    // The nonce is in the script's four markers (begin and end of the command and the
    // check) and nowhere in what the command printed.
    expect(output.split('\n').filter((l) => l.includes(NONCE))).toHaveLength(4);
  });

  it('keeps the end markers of an output longer than what is kept in memory', async () => {
    // The command fails after printing far more than the (small, injected) in-memory cap.
    const input = base({
      name: 'long',
      command: {
        command:
          'printf "KTAP version 1\\n1..1\\nok 1 a\\n"; i=0; while [ $i -lt 4000 ]; do echo "# noise line $i"; i=$((i + 1)); done; exit 3',
        timeoutS: 20,
      },
      checks: [{ name: 'after', command: 'true', timeoutS: 5 }],
    });
    const { output, status } = await run(input);
    const cap = 16 * 1024;
    expect(output.length).toBeGreaterThan(4 * cap);
    const kept = new StepOutput(cap);
    const bytes = Buffer.from(output);
    for (let at = 0; at < bytes.length; at += 4096) kept.push(bytes.subarray(at, at + 4096));
    expect(kept.truncated).toBe(true);
    const o = parseWorkloadOutput(plan(input, ['a']), {
      state: 'finished',
      status,
      output: kept.text(),
      nonce: NONCE,
    });
    expect(o.commandEnd).toBe('3');
    expect(o.cases.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['a', 'pass', undefined],
      ['long', 'fail', 'every case passed but the command exited with status 3'],
      ['check.after', 'pass', undefined],
    ]);
  });

  it('renders values quoted for the shell, and a host time limit that covers every part', () => {
    const input = base({
      setup: [{ command: "echo 'it''s'", timeoutS: 120 }],
      command: { command: 'a "$(b)" c', timeoutS: 600 },
      checks: [{ name: 'k', command: 'rmmod x', timeoutS: 60 }],
      teardown: ['t'],
      teardownTimeoutS: 60,
      env: { ZDH_X: "v'1" },
    });
    const script = renderWorkloadScript(input);
    expect(script).toContain(`export ZDH_X='v'\\''1'`);
    expect(script).toContain(`zdh_run 600 'a "$(b)" c'`);
    expect(script).toContain(`zdh_run 120 'echo '\\''it'\\'''\\''s'\\'''`);
    expect(scriptBudgetS(input)).toBe(120 + 600 + 60 + 60 + 4 * 12);
  });
});
