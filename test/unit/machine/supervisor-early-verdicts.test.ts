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
  type TimerId,
} from '../../../harness/machine/supervisor.ts';

// Early hang verdicts (issue 17): a step judged stuck from what the kernel says, long before
// its own time limit. Driven on a virtual clock, with console lines as the 6.1 guests
// printed them (console_msg_format=syslog): the supervisor's timers fire at their due time
// unless re-armed or disarmed first, exactly as the edge (attempt.ts) runs them.

const cfg: SupervisorConfig = {
  steps: [
    { name: 'setup', timeoutS: 60 },
    { name: 'hmm-tests', timeoutS: 1146, onTimeout: 'continue' },
    { name: 'dax-ext4', timeoutS: 340, onTimeout: 'continue' },
  ],
  bannerTimeoutMs: 60_000,
  initTimeoutMs: 180_000,
  runTimeoutMs: 3_600_000,
  markerNonce: 'zanz74x8dsledc1a',
  ...DEFAULT_SUPERVISOR_TIMING,
};

type Timed = [ms: number, ev: SupervisorEvent];
const line = (text: string): SupervisorEvent => ({ type: 'console-line', text });
const ch = (event: ChannelEvent): SupervisorEvent => ({ type: 'channel', event });
const out = (index: number, text: string): SupervisorEvent =>
  ch({ kind: 'output', index, data: Buffer.from(text) });
const begin = (index: number, name: string): SupervisorEvent => ch({ kind: 'begin', index, name, uptime: 1 });
const end = (index: number, name: string, status = 0): SupervisorEvent =>
  ch({ kind: 'end', index, name, status, timedOut: false, uptime: 2 });
const alive: SupervisorEvent = ch({ kind: 'alive', uptime: 1 });

/** Boot, the set-up step, and hmm-tests begun at 1.3 s. */
const BOOTED: Timed[] = [
  [300, line('<5>[    0.000000][    T0] Linux version 6.1.192 (root@zdh) (gcc (Debian 12.2.0-14)) #1 SMP')],
  [1200, ch({ kind: 'ready', release: '6.1.192', uptime: 1.1 })],
  [1210, begin(0, 'setup')],
  [1250, end(0, 'setup')],
  [1300, begin(1, 'hmm-tests')],
];

/**
 * Runs the timeline; a timer fires when the clock reaches it. Returns the final state, when
 * the supervisor asked for the task dump and the kill, and its progress messages.
 */
function simulate(
  timeline: Timed[],
  c: SupervisorConfig = cfg,
  untilMs = 3_600_000,
): { state: SupervisorState; sysrqMs: number[]; killMs: number | undefined; messages: string[] } {
  const s = start(c);
  let state = s.state;
  const due = new Map<TimerId, number>();
  const sysrqMs: number[] = [];
  let killMs: number | undefined;
  const messages: string[] = [];
  let exited = false;
  const advance = (ev: SupervisorEvent): SupervisorAction[] => {
    const r = step(state, c, ev);
    state = r.state;
    return r.actions;
  };
  const apply = (now: number, ev: SupervisorEvent, actions = advance(ev)): void => {
    for (const a of actions) {
      if (a.type === 'arm') due.set(a.id, now + a.ms);
      else if (a.type === 'disarm') due.delete(a.id);
      else if (a.type === 'sysrq') sysrqMs.push(now);
      else if (a.type === 'progress') messages.push(a.message);
      else if (a.type === 'kill' && killMs === undefined) {
        killMs = now;
        // QEMU goes at once when killed.
        if (!exited) {
          exited = true;
          apply(now, { type: 'qemu-exit', code: undefined, signal: 'SIGTERM', stderr: '' });
        }
      }
    }
  };
  apply(0, { type: 'timer', id: 'banner' }, s.actions);
  const fireUntil = (t: number): void => {
    for (;;) {
      const next = [...due.entries()].sort((a, b) => a[1] - b[1])[0];
      if (!next || next[1] > t || exited) return;
      due.delete(next[0]);
      apply(next[1], { type: 'timer', id: next[0] });
    }
  };
  for (const [t, ev] of timeline) {
    fireUntil(t);
    if (exited) break;
    apply(t, ev);
  }
  fireUntil(untilMs);
  return { state, sysrqMs, killMs, messages };
}

/** The guest's heartbeat every 5 s from `fromMs` to `toMs`: the other CPU still runs /init. */
const beats = (fromMs: number, toMs: number): Timed[] => {
  const r: Timed[] = [];
  for (let t = fromMs; t <= toMs; t += 5000) r.push([t, alive]);
  return r;
};
const sorted = (t: Timed[]): Timed[] => [...t].sort((a, b) => a[0] - b[0]);

// The first oops of a real run (test-hmm-leaked-ref.patch on 6.1.192, hmm-tests): 2.88 s
// into the step, while a task of hmm-tests closed the mirror device. The case then sat in
// kselftest's 30 s limit; a second oops followed, then the guest stopped for good.
const FIRST_OOPS: Timed[] = [
  [2880, line('<1>[    2.880812][  T136] BUG: unable to handle page fault for address: 00007ffe04440048')],
  [2881, line('<1>[    2.881640][  T136] #PF: supervisor read access in kernel mode')],
  [2882, line('<4>[    2.882416][  T136] Oops: 0000 [#1] SMP')],
  [2883, line('<4>[    2.882416][  T136] CPU: 1 PID: 136 Comm: hmm-tests Not tainted 6.1.192 #1 ')],
  [2890, line('<4>[    2.882416][  T136]  migrate_device_finalize+0xcc/0x105')],
  [2891, line('<4>[    2.882416][  T136]  dmirror_device_evict_chunk+0x140/0x15c [test_hmm]')],
  [2906, line('<4>[    2.905933][  T136] ---[ end trace 0000000000000000 ]---')],
];

describe('early hang verdicts', () => {
  it('an oops in a step, then no output from it: stopped oopsQuietMs later, not at the 1146 s limit (the real leaked-reference run)', () => {
    const r = simulate(
      sorted([
        ...BOOTED,
        [1400, out(1, 'TAP version 13\n1..58\n')],
        [2500, out(1, '#  RUN           hmm.hmm_device_private.migrate_fault ...\n')],
        ...FIRST_OOPS,
        ...beats(6300, 200_000),
        [32_900, out(1, '# migrate_fault: Test terminated by timeout\n')],
        [32_942, line('<4>[   32.942707][  T141] Oops: 0000 [#2] SMP')],
      ]),
    );
    // The dump is asked for 15 s after the oops (the last output came before it)...
    expect(r.sysrqMs).toEqual([2882 + 15_000]);
    expect(r.state.final).toEqual({
      kind: 'hang',
      step: 'hmm-tests',
      timeoutS: 1146,
      afterOops: { oops: 'Oops: 0000 [#1] SMP', quietS: 15 },
    });
    // ...and the VM stops once the console has been quiet through the dump.
    expect(r.killMs).toBe(2882 + 15_000 + DEFAULT_SUPERVISOR_TIMING.dumpQuietMs);
    expect(r.messages.join('\n')).toMatch(
      /hmm-tests: the kernel oopsed \(Oops: 0000 \[#1\] SMP\) and the step has made no progress for 15 s/,
    );
  });

  it('a step that keeps reporting after an oops runs on, and the next step starts with a clean slate', () => {
    const r = simulate(
      sorted([
        ...BOOTED,
        ...FIRST_OOPS,
        ...beats(6300, 80_000),
        // A case result every 10 s: progress.
        ...Array.from({ length: 6 }, (_, i): Timed => [10_000 + i * 10_000, out(1, `ok ${i + 1} case\n`)]),
        [65_000, end(1, 'hmm-tests', 1)],
        // dax-ext4 is quiet for a minute: no oops in it, so nothing to judge.
        [65_100, begin(2, 'dax-ext4')],
        [130_000, end(2, 'dax-ext4')],
        [130_100, ch({ kind: 'done', uptime: 130 })],
        [130_500, { type: 'qemu-exit', code: 0, signal: undefined, stderr: '' }],
      ]),
    );
    expect(r.sysrqMs).toEqual([]);
    expect(r.state.final).toEqual({ kind: 'done' });
  });

  it('an oops between steps starts no clock for the next one', () => {
    const r = simulate(
      sorted([
        ...BOOTED.slice(0, 4),
        [1260, line('<4>[    1.260000][   T52] Oops: 0000 [#1] SMP')],
        [1300, begin(1, 'hmm-tests')],
        ...beats(6300, 80_000),
        [70_000, end(1, 'hmm-tests')],
        [70_100, ch({ kind: 'done', uptime: 70 })],
        [70_500, { type: 'qemu-exit', code: 0, signal: undefined, stderr: '' }],
      ]),
    );
    expect(r.state.final).toEqual({ kind: 'done' });
  });

  it('oopsQuietMs is the configured time', () => {
    const r = simulate(sorted([...BOOTED, ...FIRST_OOPS, ...beats(6300, 100_000)]), {
      ...cfg,
      oopsQuietMs: 40_000,
    });
    expect(r.sysrqMs).toEqual([2882 + 40_000]);
  });

  // The hung-task detector with the guest's 5 s timeout (rmmod of a test_hmm whose device
  // page reference leaked, 6.1): it reports a task at each check for as long as it stays
  // blocked without a context switch.
  const hung = (ms: number, task = 'rmmod:512'): Timed => [
    ms,
    line(`<3>[  ${(ms / 1000).toFixed(6)}][   T38] INFO: task ${task} blocked for more than 5 seconds.`),
  ];

  it('a task reported blocked twice in a row: stopped at the second report', () => {
    const r = simulate(
      sorted([
        ...BOOTED,
        ...beats(6300, 400_000),
        [9_000, out(1, 'ok 58 hmm.hmm_device_coherent.exclusive_cow\n')],
        hung(15_000),
        [
          15_001,
          line(
            '<6>[   15.001000][   T38] task:rmmod           state:D stack:0     pid:512   ppid:480    flags:0x00004002',
          ),
        ],
        [15_002, line('<6>[   15.002000][   T38]  memunmap_pages+0x1a3/0x2f0')],
        hung(20_000),
      ]),
    );
    expect(r.sysrqMs).toEqual([20_000]);
    expect(r.state.final).toEqual({
      kind: 'hang',
      step: 'hmm-tests',
      timeoutS: 1146,
      hungTask: { task: 'rmmod:512', blockedS: 5 },
    });
  });

  it('one report each of two tasks, a task left over from an earlier step, or a report written by user space: no verdict', () => {
    const r = simulate(
      sorted([
        ...BOOTED,
        ...beats(6300, 200_000),
        hung(10_000, 'kworker/u4:2:41'),
        hung(15_000, 'rmmod:512'),
        [16_000, end(1, 'hmm-tests', 1)],
        // A task of hmm-tests that outlived it, still reported in dax-ext4.
        [16_100, begin(2, 'dax-ext4')],
        hung(20_000, 'rmmod:512'),
        hung(25_000, 'rmmod:512'),
        // /dev/kmsg from the guest's user space: facility 1, not the kernel's.
        [26_000, line('<11>[   26.000000][  T99] INFO: task zdh-dax:99 blocked for more than 5 seconds.')],
        [26_500, line('<11>[   26.500000][  T99] INFO: task zdh-dax:99 blocked for more than 5 seconds.')],
        [90_000, end(2, 'dax-ext4')],
        [90_100, ch({ kind: 'done', uptime: 90 })],
        [90_500, { type: 'qemu-exit', code: 0, signal: undefined, stderr: '' }],
      ]),
    );
    expect(r.sysrqMs).toEqual([]);
    expect(r.state.final).toEqual({ kind: 'done' });
  });

  // /init's list of the step's D-state tasks with every heartbeat (guest uptime, seconds).
  const blocked = (ms: number, tasks: [number, number, string][]): Timed => [
    ms,
    ch({
      kind: 'blocked',
      uptime: ms / 1000,
      tasks: tasks.map(([tid, switches, comm]) => ({ tid, switches, comm })),
    }),
  ];
  const everyBeat = (
    fromMs: number,
    toMs: number,
    tasks: (ms: number) => [number, number, string][],
  ): Timed[] => beats(fromMs, toMs).flatMap(([t, ev]): Timed[] => [[t, ev], blocked(t + 1, tasks(t))]);

  it('a task of the step in D state without a context switch for blockedStallMs: stopped, hung-task detector or not', () => {
    const r = simulate(
      sorted([
        ...BOOTED,
        [3000, out(1, 'ok 1 case\n')],
        // zdh-dax's truncate enters D at 10 s and never switches again; another task of the
        // step comes and goes.
        ...everyBeat(5000, 300_000, (t) => [
          ...(t >= 10_000 ? ([[402, 17, 'zdh-dax']] as [number, number, string][]) : []),
          ...(t % 10_000 === 0 ? ([[405, t / 1000, 'kworker']] as [number, number, string][]) : []),
        ]),
      ]),
    );
    expect(r.state.final).toEqual({
      kind: 'hang',
      step: 'hmm-tests',
      timeoutS: 1146,
      blockedTask: { task: 'zdh-dax:402', forS: 60 },
    });
    // First seen at the 10 s report, judged at the first report 60 s after it.
    expect(r.sysrqMs).toEqual([70_001]);
  });

  it('a task that keeps switching, or leaves D state, is not stuck; nor is anything between steps', () => {
    const r = simulate(
      sorted([
        ...BOOTED,
        // In D at every report for four minutes, but its switch count moves now and then.
        ...everyBeat(5000, 240_000, (t) => [[402, Math.floor(t / 50_000), 'zdh-dax']]),
        [240_500, end(1, 'hmm-tests')],
        // Left over after the step: reports with no step running.
        ...everyBeat(241_000, 340_000, () => [[402, 9, 'zdh-dax']]),
        [345_000, ch({ kind: 'done', uptime: 345 })],
        [345_500, { type: 'qemu-exit', code: 0, signal: undefined, stderr: '' }],
      ]),
    );
    expect(r.sysrqMs).toEqual([]);
    expect(r.state.final).toEqual({ kind: 'done' });
  });

  it('blockedStallMs is the configured time', () => {
    const r = simulate(sorted([...BOOTED, ...everyBeat(5000, 300_000, () => [[402, 17, 'zdh-dax']])]), {
      ...cfg,
      blockedStallMs: 20_000,
    });
    expect(r.state.final).toMatchObject({ blockedTask: { task: 'zdh-dax:402', forS: 20 } });
  });
});
