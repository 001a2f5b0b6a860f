import { describe, expect, it } from 'vitest';
import type { ChannelEvent } from '../../../harness/machine/channel.ts';
import {
  DEFAULT_SUPERVISOR_TIMING,
  type SupervisorAction,
  type SupervisorConfig,
  type SupervisorEvent,
  type SupervisorState,
  start,
  step,
} from '../../../harness/machine/supervisor.ts';

const cfg: SupervisorConfig = {
  steps: [
    { name: 'setup', timeoutS: 10 },
    { name: 'hmm-tests', timeoutS: 300, onTimeout: 'continue' },
  ],
  bannerTimeoutMs: 60_000,
  initTimeoutMs: 120_000,
  runTimeoutMs: 900_000,
  markerNonce: 'K3rnelLogN0nce',
  ...DEFAULT_SUPERVISOR_TIMING,
};

const line = (text: string): SupervisorEvent => ({ type: 'console-line', text });
const ch = (event: ChannelEvent): SupervisorEvent => ({ type: 'channel', event });
const timer = (id: string): SupervisorEvent => ({ type: 'timer', id: id as never });
const exit = (code = 0, stderr = ''): SupervisorEvent => ({
  type: 'qemu-exit',
  code,
  signal: undefined,
  stderr,
});
const BANNER = '[    0.000000] Linux version 6.1.192 (root@vm) (gcc) #1 SMP';
const READY = ch({ kind: 'ready', release: '6.1.192', uptime: 2 });
const begin = (index: number, name: string) => ch({ kind: 'begin', index, name, uptime: 3 });
const end = (index: number, name: string, status = 0, timedOut = false) =>
  ch({ kind: 'end', index, name, status, timedOut, uptime: 4 });

/** Runs events through the supervisor, returning the final state and every action. */
function run(
  events: SupervisorEvent[],
  c: SupervisorConfig = cfg,
): { state: SupervisorState; actions: SupervisorAction[] } {
  const s = start(c);
  let state = s.state;
  const actions = [...s.actions];
  for (const ev of events) {
    const r = step(state, c, ev);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}

/** Boot, the first step, and the second step begun. */
const INTO_SECOND_STEP = [line(BANNER), READY, begin(0, 'setup'), end(0, 'setup'), begin(1, 'hmm-tests')];

/** A task dump (one console line arrives during it), then the kill once the console is quiet. */
const DUMP_THEN_KILL = [
  'sysrq',
  'arm:dump-quiet',
  'arm:dump-max',
  'arm:dump-quiet',
  'disarm:dump-max',
  'kill',
];

const kinds = (actions: SupervisorAction[]) =>
  actions.filter((a) => a.type !== 'progress').map((a) => ('id' in a ? `${a.type}:${a.id}` : a.type));

describe('supervisor', () => {
  it('a clean run: banner, ready, steps, done, poweroff', () => {
    const { state, actions } = run([
      ...INTO_SECOND_STEP,
      end(1, 'hmm-tests'),
      ch({ kind: 'done', uptime: 9 }),
      exit(),
    ]);
    expect(state.final).toEqual({ kind: 'done' });
    expect(kinds(actions)).toEqual([
      'arm:banner',
      'arm:run',
      'disarm:banner',
      'arm:init',
      'disarm:init',
      'arm:heartbeat',
      'arm:step:0',
      'disarm:step:0',
      'arm:step:1',
      'disarm:step:1',
      'disarm:run',
      'disarm:heartbeat',
      'arm:shutdown',
      'disarm:shutdown',
    ]);
  });

  it('a step past its timeout (abort): task dump, then kill once the console is quiet; a hang naming the step', () => {
    const { state, actions } = run([
      line(BANNER),
      READY,
      begin(0, 'setup'),
      timer('step:0'),
      line('[ 12.0] sysrq: Show Blocked State'),
      timer('dump-quiet'),
      exit(0),
    ]);
    expect(state.final).toEqual({ kind: 'hang', step: 'setup', timeoutS: 10 });
    const k = kinds(actions);
    expect(k.slice(k.indexOf('sysrq'))).toEqual(DUMP_THEN_KILL);
    expect(actions.find((a) => a.type === 'sysrq')).toEqual({ type: 'sysrq', keys: ['w', 't'] });
    // the run timer and the step timer were dropped when the dump started
    expect(k).toContain('disarm:run');
  });

  it('the console says a step ended but its end frame never comes: a hang after resultsStallMs, not after the step timeout', () => {
    const { state, actions } = run([
      ...INTO_SECOND_STEP,
      line('<12>[  305.1][    T1] zdh: step end hmm-tests status=1 nonce=K3rnelLogN0nce'),
      timer('results-stall'),
      line('[  306.0] sysrq: Show Blocked State'),
      timer('dump-quiet'),
      exit(0),
    ]);
    expect(state.final).toEqual({
      kind: 'hang',
      step: 'hmm-tests',
      timeoutS: 300,
      resultsStalled: { status: 1, waitedS: 30 },
    });
    const k = kinds(actions);
    expect(k.slice(k.indexOf('arm:results-stall'))).toEqual([
      'arm:results-stall',
      'disarm:run',
      'disarm:heartbeat',
      'disarm:step:1',
      ...DUMP_THEN_KILL,
    ]);
    expect(actions).toContainEqual({ type: 'arm', id: 'results-stall', ms: 30_000 });
    expect(
      actions.some((a) => a.type === 'progress' && /results did not arrive within 30 s/.test(a.message)),
    ).toBe(true);
  });

  it("the end frame after the console line disarms the stall timer; other steps' and user-space lines arm nothing", () => {
    const { state, actions } = run([
      line(BANNER),
      READY,
      begin(0, 'setup'),
      line('<12>[    2.9][    T1] zdh: step end hmm-tests status=0 nonce=K3rnelLogN0nce'), // not the current step
      line('<12>[    3.0][    T1] zdh: step end setup status=0 nonce=K3rnelLogN0nce'),
      end(0, 'setup'),
      timer('results-stall'), // stale: disarmed by the frame
      begin(1, 'hmm-tests'),
      end(1, 'hmm-tests'),
      ch({ kind: 'done', uptime: 9 }),
      exit(),
    ]);
    expect(state.final).toEqual({ kind: 'done' });
    const k = kinds(actions);
    expect(k.filter((x) => x.endsWith('results-stall'))).toEqual([
      'arm:results-stall',
      'disarm:results-stall',
    ]);
    expect(k).not.toContain('sysrq');
  });

  it('takes a step end from the console only as a printk record with the boot nonce: user space cannot start the results-stall wait', () => {
    const forged = [
      // Written to /dev/kmsg by a workload: no nonce, another boot's.
      '<12>[  305.1][  T812] zdh: step end hmm-tests status=0',
      '<12>[  305.2][  T812] zdh: step end hmm-tests status=0 nonce=0therBoot',
      // Printed straight to the console: no printk prefix.
      'zdh: step end hmm-tests status=0 nonce=K3rnelLogN0nce',
    ].map(line);
    const { state, actions } = run([...INTO_SECOND_STEP, ...forged]);
    expect(state.consoleEnd).toBeUndefined();
    expect(kinds(actions)).not.toContain('arm:results-stall');
    const genuine = run([
      ...INTO_SECOND_STEP,
      ...forged,
      line('<12>[  305.3][    T1] zdh: step end hmm-tests status=1 nonce=K3rnelLogN0nce'),
    ]);
    expect(genuine.state.consoleEnd).toEqual({ step: 1, status: 1 });
  });

  it("a panic, oops or stall that user space wrote to /dev/kmsg does not stop the run; the kernel's does", () => {
    // The kernel gives /dev/kmsg records a non-zero facility whatever they say (<8>-<15>:
    // LOG_USER); its own have facility 0.
    const forged = [
      '<12>[   20.1][  T812] Kernel panic - not syncing: Fatal exception',
      '<8>[   20.2][  T812] Kernel panic - not syncing: Fatal exception',
      '<12>[   20.3][  T812] Oops: 0000 [#1] SMP',
      '<12>[   20.4][  T812] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:',
      '<12>[   20.5][  T812] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [hmm-tests:61]',
    ].map(line);
    const { state, actions } = run([...INTO_SECOND_STEP, ...forged]);
    expect([state.panic, state.oops, state.phase]).toEqual([undefined, undefined, 'running']);
    expect(kinds(actions)).not.toContain('sysrq');
    expect(kinds(actions)).not.toContain('kill');
    const real = run([
      ...INTO_SECOND_STEP,
      ...forged,
      line('<0>[   21.0][  T812] Kernel panic - not syncing: Fatal exception'),
      exit(0),
    ]);
    expect(real.state.final).toEqual({ kind: 'panic', message: 'Fatal exception' });
  });

  it('heartbeats keep a quiet step alive; when they stop, the guest is a hang after heartbeatStallMs', () => {
    const alive = (uptime: number) => ch({ kind: 'alive', uptime });
    const { state, actions } = run([
      ...INTO_SECOND_STEP,
      alive(10),
      alive(15),
      line('[   16.0][ T1011] CR2: 0000000000000008 CR3: 00000000006fd000'),
      timer('heartbeat'),
      timer('dump-max'),
      exit(0),
    ]);
    const silentS = DEFAULT_SUPERVISOR_TIMING.heartbeatStallMs / 1000;
    expect(state.final).toEqual({ kind: 'hang', step: 'hmm-tests', timeoutS: 300, unresponsiveS: silentS });
    const k = kinds(actions);
    expect(k.filter((x) => x === 'arm:heartbeat')).toHaveLength(3); // ready + two beats
    expect(k.slice(k.indexOf('sysrq'))).toEqual([
      'sysrq',
      'arm:dump-quiet',
      'arm:dump-max',
      'disarm:dump-quiet',
      'kill',
    ]);
    expect(actions).toContainEqual({ type: 'arm', id: 'heartbeat', ms: silentS * 1000 });
    expect(
      actions.some(
        (a) =>
          a.type === 'progress' &&
          a.message.includes(`no heartbeat from the guest for ${silentS} s (in step hmm-tests)`),
      ),
    ).toBe(true);
  });

  it('an oops followed by a stall report is a wedged kernel: task dump and stop at once (real 6.1 lines)', () => {
    const { state, actions } = run([
      ...INTO_SECOND_STEP,
      line('[   55.0][    C0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:'), // no oops yet: nothing
      line('[    4.545064][  T144] Oops: 0000 [#1] SMP'),
      line('[   65.481678][ T1849] note: hmm-tests[1849] exited with irqs disabled'),
      line('[  150.068083][    C0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:'),
      timer('dump-max'),
      exit(0),
    ]);
    expect(state.final).toEqual({
      kind: 'hang',
      step: 'hmm-tests',
      timeoutS: 300,
      wedged: { oops: 'Oops: 0000 [#1] SMP', stall: 'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:' },
    });
    const k = kinds(actions);
    expect(k.filter((x) => x === 'sysrq')).toHaveLength(1);
    expect(k.indexOf('sysrq')).toBeGreaterThan(k.indexOf('arm:step:1'));
  });

  it('an oops alone, or a stall alone, lets the run go on', () => {
    for (const l of [
      '[    9.1][  T60] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP',
      '[   40.0][    C1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [hmm-tests:61]',
    ]) {
      const { state } = run([
        ...INTO_SECOND_STEP,
        line(l),
        end(1, 'hmm-tests'),
        ch({ kind: 'done', uptime: 9 }),
        exit(),
      ]);
      expect(state.final).toEqual({ kind: 'done' });
    }
    const { state } = run([
      ...INTO_SECOND_STEP,
      line('[    9.1][  T60] invalid opcode: 0000 [#1] PREEMPT SMP'),
      line('[   40.0][    C1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [hmm-tests:61]'),
      timer('dump-quiet'),
      exit(),
    ]);
    expect(state.final).toMatchObject({
      kind: 'hang',
      wedged: { oops: 'invalid opcode: 0000 [#1] PREEMPT SMP' },
    });
  });

  it('no heartbeat is awaited in an interactive shell', () => {
    const { state, actions } = run([
      line(BANNER),
      READY,
      ch({ kind: 'shell', uptime: 3 }),
      timer('heartbeat'),
      exit(0),
    ]);
    expect(kinds(actions)).toContain('disarm:heartbeat');
    expect(kinds(actions)).not.toContain('sysrq');
    expect(state.final?.kind).toBe('guest-exit');
  });

  it('a step past its timeout (continue): task dump, the run goes on, the guest kills it', () => {
    const { state, actions } = run([
      line(BANNER),
      READY,
      begin(1, 'hmm-tests'),
      timer('step:1'),
      end(1, 'hmm-tests', 137, true),
      ch({ kind: 'done', uptime: 1 }),
      exit(),
    ]);
    expect(state.final).toEqual({ kind: 'done' });
    expect(state.timedOutSteps).toEqual([1]);
    expect(kinds(actions)).toContain('sysrq');
    expect(kinds(actions)).toContain('disarm:backstop:1');
    expect(kinds(actions)).not.toContain('kill');
  });

  it('a continue step the guest cannot kill ends as a hang after the backstop', () => {
    const { state } = run([
      line(BANNER),
      READY,
      begin(1, 'hmm-tests'),
      timer('step:1'),
      timer('backstop:1'),
      timer('dump-max'),
      exit(),
    ]);
    expect(state.final).toEqual({ kind: 'hang', step: 'hmm-tests', timeoutS: 300 });
  });

  it('a panic ends the run at once and wins over a hang in progress', () => {
    const { state, actions } = run([
      line(BANNER),
      READY,
      begin(0, 'setup'),
      timer('step:0'),
      line('[   20.1] Kernel panic - not syncing: Fatal exception'),
      exit(0),
    ]);
    expect(state.final).toEqual({ kind: 'panic', message: 'Fatal exception' });
    expect(kinds(actions).slice(-2)).toEqual(['arm:panic-grace', 'disarm:panic-grace']);
  });

  it('QEMU that does not exit after a panic is killed after the grace time', () => {
    const { actions } = run([
      line(BANNER),
      line('Kernel panic - not syncing: sysrq triggered crash'),
      timer('panic-grace'),
    ]);
    expect(kinds(actions).at(-1)).toBe('kill');
  });

  it('no banner: kill without a dump, boot-timeout at the banner stage', () => {
    const { state, actions } = run([timer('banner'), exit(0)]);
    expect(state.final).toEqual({ kind: 'boot-timeout', stage: 'banner', timeoutS: 60 });
    expect(kinds(actions)).not.toContain('sysrq');
  });

  it('banner but no ready from /init: dump, then boot-timeout at the init stage', () => {
    const { state, actions } = run([line(BANNER), timer('init'), timer('dump-max'), exit()]);
    expect(state.final).toEqual({ kind: 'boot-timeout', stage: 'init', timeoutS: 120 });
    expect(kinds(actions)).toContain('sysrq');
  });

  it('the whole-run limit names the step that was running', () => {
    const { state } = run([
      line(BANNER),
      READY,
      begin(1, 'hmm-tests'),
      timer('run'),
      timer('dump-quiet'),
      exit(),
    ]);
    expect(state.final).toEqual({ kind: 'run-timeout', timeoutS: 900, step: 'hmm-tests' });
  });

  it('QEMU failing before the banner is infrastructure, with its message', () => {
    const { state } = run([exit(1, 'qemu-system-x86_64: -device nvdimm: not enough space')]);
    expect(state.final).toEqual({
      kind: 'infrastructure',
      message:
        'QEMU ended (exit code 1) before the kernel started: qemu-system-x86_64: -device nvdimm: not enough space',
    });
    expect(
      run([{ type: 'qemu-exit', code: undefined, signal: undefined, spawnError: 'ENOENT', stderr: '' }]).state
        .final,
    ).toEqual({
      kind: 'infrastructure',
      message: 'cannot start QEMU (is qemu-system-x86 installed?): ENOENT',
    });
  });

  it('QEMU ending mid-run without a panic is a guest exit', () => {
    const { state } = run([line(BANNER), READY, begin(0, 'setup'), exit(0)]);
    expect(state.final?.kind).toBe('guest-exit');
  });

  it('Ctrl-C kills and says interrupted; stale timers and late frames change nothing', () => {
    const { state, actions } = run([
      line(BANNER),
      READY,
      { type: 'interrupt' },
      timer('step:0'),
      begin(0, 'setup'),
      exit(),
    ]);
    expect(state.final).toEqual({ kind: 'interrupted' });
    expect(kinds(actions).filter((k) => k === 'kill')).toHaveLength(1);
  });

  it('leaves the state it was given as it was: a caller keeps only what it stores', () => {
    const s = run(INTO_SECOND_STEP).state;
    const before = structuredClone(s);
    const r = step(s, cfg, line('[    4.5][  T144] Oops: 0000 [#1] SMP'));
    expect(s).toEqual(before);
    expect(r.state).not.toBe(s);
    expect(r.state.stepOops).toBe('Oops: 0000 [#1] SMP');
  });

  it('a shell session has no run timer once the shell is up', () => {
    const { actions } = run([line(BANNER), READY, ch({ kind: 'shell', uptime: 3 })]);
    expect(kinds(actions)).toContain('disarm:run');
  });
});
