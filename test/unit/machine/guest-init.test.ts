import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GUEST_ROOTFS } from '../../../harness/image/assemble.ts';
import { ChannelDecoder, type ChannelEvent } from '../../../harness/machine/channel.ts';
import { type GuestPlan, renderPlan, renderStepScript } from '../../../harness/machine/plan.ts';
import { markerOf } from '../../../harness/steps/markers.ts';
import { parseWorkloadOutput } from '../../../harness/workloads/results.ts';
import { renderWorkloadScript } from '../../../harness/workloads/script.ts';

const init = join(GUEST_ROOTFS, 'init');
const text = readFileSync(init, 'utf8');

/**
 * /init as the host can run it (busybox sh, not root, no devices), changed only where a
 * guest's devices and privileges are needed:
 *  - every absolute path of the guest (/dev, /etc, /proc, /run, /sys, /zdh, /bin/busybox)
 *    lives under $ROOT: files stand in for /proc and for the ttys and /dev/kmsg;
 *  - a write to a device appends (`>` on a file would truncate; on a tty it does not);
 *  - mount, umount, stty, sync, cttyhack and poweroff are shell functions that log to $ROOT/events
 *    (busybox runs its own applets whatever PATH says); poweroff kills the process group,
 *    which is how the VM ends. The interactive shell's cttyhack is called directly, not
 *    through setsid (which would run the real applet, and a shell on the host's terminal).
 */
function hostInit(initText: string): string {
  expect(initText).toContain('setsid cttyhack sh');
  const body = initText
    .replace('setsid cttyhack sh', 'cttyhack sh')
    .replace(/(?<![>&\d])> (?="\$RES"|\/dev\/(?!null\b))/g, '>> ')
    .replace(/(?<=[\s"'=<>(])\/(?=(?:dev|etc|proc|run|sys|zdh)\/|bin\/busybox\b)/g, '$ROOT/');
  const fakes = [
    'log() { echo "$*" >> "$ROOT/events"; }',
    'mount() { log mount "$@"; }',
    'umount() { log umount "$@"; }',
    'stty() { log stty "$@"; return "$FAKE_STTY_STATUS"; }',
    'sync() { log sync; }',
    'cttyhack() { log cttyhack "$@"; }',
    'poweroff() { log poweroff "$@"; kill -KILL 0; }',
  ];
  const [shebang, ...rest] = body.split('\n');
  return [shebang, ...fakes, ...rest].join('\n');
}

interface Boot {
  root: string;
  /** What /init wrote to the results channel (ttyS1), decoded; consecutive output joined. */
  frames: (
    | Exclude<ChannelEvent, { kind: 'output' | 'alive' | 'blocked' }>
    | { kind: 'output'; index: number; text: string }
  )[];
  kmsg: string[];
  console: string;
  events: string[];
}

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function decode(nonce: string, bytes: Buffer): Boot['frames'] {
  const out: Boot['frames'] = [];
  for (const e of new ChannelDecoder(nonce).push(bytes)) {
    const prev = out.at(-1);
    // A heartbeat comes every 5 s, on a slow host in the middle of a test: the heartbeat tests above cover it.
    if (e.kind === 'alive' || e.kind === 'blocked') continue;
    if (e.kind !== 'output') out.push(e);
    else if (prev?.kind === 'output' && prev.index === e.index) prev.text += e.data.toString();
    else out.push({ kind: 'output', index: e.index, text: e.data.toString() });
  }
  return out;
}

/** Runs the whole /init with the plan's files in place, as the guest would, until it powers off. */
function boot(
  plan: GuestPlan,
  opts: {
    hungTaskDetector?: boolean;
    resultsChannel?: boolean;
    planVars?: string;
    /** More files of the guest, by path without the leading / (e.g. proc/filesystems). */
    files?: Record<string, string>;
  } = {},
): Boot {
  const root = mkdtempSync(join(tmpdir(), 'zdh-init-'));
  roots.push(root);
  const file = (path: string, data: string | Uint8Array, mode = 0o644): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data, { mode });
  };
  file('proc/uptime', '12.34 20.00\n');
  file('proc/sys/kernel/osrelease', '6.1.0-zdh\n');
  file('proc/sys/kernel/hostname', '(none)\n');
  file('proc/sys/vm/nr_hugepages', '0\n');
  if (opts.hungTaskDetector !== false) file('proc/sys/kernel/hung_task_timeout_secs', '120\n');
  for (const d of ['dev/ttyS1', 'dev/kmsg', 'dev/console', 'events']) file(d, '');
  for (const [path, data] of Object.entries(opts.files ?? {})) file(path, data);
  symlinkSync('/dev/null', join(root, 'dev', 'null'));
  mkdirSync(join(root, 'run'));
  // `/bin/busybox mount ...`, the first command: logged, not run.
  file('bin/busybox', '#!/bin/sh\necho "busybox $*" >> "$ROOT/events"\n', 0o755);
  for (const e of renderPlan(plan)) if (e.type === 'file') file(e.path, e.data, e.mode);
  if (opts.planVars) appendFileSync(join(root, 'zdh', 'plan.sh'), opts.planVars);
  // In a session and process group of its own (setsid: the spawned process is no group
  // leader, so it keeps its pid), which the fake poweroff kills, the heartbeat loop too.
  const r = spawnSync('setsid', ['-w', 'busybox', 'sh', '-c', hostInit(text)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      ROOT: root,
      FAKE_STTY_STATUS: opts.resultsChannel === false ? '1' : '0',
    },
    timeout: 30_000,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  try {
    process.kill(-r.pid!, 'SIGKILL');
  } catch {
    // the group is gone, as it should be
  }
  const events = readFileSync(join(root, 'events'), 'utf8').trimEnd().split('\n');
  expect(events.at(-1), r.stderr).toBe('poweroff -f');
  return {
    root,
    frames: decode(plan.nonce, readFileSync(join(root, 'dev', 'ttyS1'))),
    kmsg: readFileSync(join(root, 'dev', 'kmsg'), 'utf8')
      .trimEnd()
      .split('\n')
      .filter(Boolean),
    console: readFileSync(join(root, 'dev', 'console'), 'utf8'),
    events,
  };
}

const plan = (over: Partial<GuestPlan> = {}): GuestPlan => ({
  nonce: 'resultsN0nce',
  markerNonce: 'kmsgN0nce',
  mode: 'steps',
  steps: [],
  hugepages: 0,
  hungTaskTimeoutS: 5,
  modprobeOptions: [],
  env: {},
  ...over,
});
const read = (b: Boot, path: string): string => readFileSync(join(b.root, path), 'utf8').trim();

describe('guest /init, run whole', () => {
  it('frames each step between begin and end with its status, marks it in the kernel log, then powers off', () => {
    const p = plan({
      steps: [
        { name: 'first', script: `printf 'hello\\n'; printf '%s' "$ZDH_SPM_DEV0"`, timeoutS: 30 },
        { name: 'second', argv: ['/bin/sh', '-c', 'echo oops >&2; exit 3'], timeoutS: 30, cwd: '/tmp' },
      ],
      hugepages: 8,
      hungTaskTimeoutS: 7,
      env: { ZDH_SPM_DEV0: '0x40000000' },
    });
    const b = boot(p);
    expect(b.frames).toEqual([
      { kind: 'ready', release: '6.1.0-zdh', uptime: 12.34 },
      { kind: 'begin', index: 0, name: 'first', uptime: 12.34 },
      { kind: 'output', index: 0, text: 'hello\n0x40000000' },
      { kind: 'end', index: 0, name: 'first', status: 0, timedOut: false, uptime: 12.34 },
      { kind: 'begin', index: 1, name: 'second', uptime: 12.34 },
      { kind: 'output', index: 1, text: 'oops\n' },
      { kind: 'end', index: 1, name: 'second', status: 3, timedOut: false, uptime: 12.34 },
      { kind: 'done', uptime: 12.34 },
    ]);
    // The kernel log gets the markers with their own nonce, never the results channel's.
    expect(b.kmsg.map((l) => markerOf(l, p.markerNonce))).toEqual([
      { kind: 'begin', step: 'first', nonce: p.markerNonce },
      { kind: 'end', step: 'first', status: 0, nonce: p.markerNonce },
      { kind: 'begin', step: 'second', nonce: p.markerNonce },
      { kind: 'end', step: 'second', status: 3, nonce: p.markerNonce },
    ]);
    expect(b.kmsg.join('\n')).not.toContain(p.nonce);
    // The machine set-up from the plan, and the file systems of the image's own fstabs.
    expect([read(b, 'proc/sys/vm/nr_hugepages'), read(b, 'proc/sys/kernel/hung_task_timeout_secs')]).toEqual([
      '8',
      '7',
    ]);
    expect(read(b, 'proc/sys/kernel/hostname')).toBe('zdh');
    const fstabs = b.events.flatMap((e) => /^(?:busybox )?mount -a -T (\S+)/.exec(e)?.[1] ?? []);
    expect(fstabs.map((f) => relative(b.root, f)).sort()).toEqual([
      'etc/zdh/fstab.boot',
      'etc/zdh/fstab.extra',
    ]);
    for (const f of fstabs) expect(existsSync(join(GUEST_ROOTFS, relative(b.root, f)))).toBe(true);
    expect(b.events).toContain('sync');
  });

  it('says on the results channel that the kernel has no hung-task detector', () => {
    const b = boot(plan(), { hungTaskDetector: false });
    expect(b.frames).toEqual([
      { kind: 'note', text: 'no hung task detector (CONFIG_DETECT_HUNG_TASK)' },
      { kind: 'ready', release: '6.1.0-zdh', uptime: 12.34 },
      { kind: 'done', uptime: 12.34 },
    ]);
  });

  it('without a results channel, says so and frames on the console instead', () => {
    const b = boot(plan({ steps: [{ name: 'only', script: 'echo hi', timeoutS: 30 }] }), {
      resultsChannel: false,
    });
    expect(readFileSync(join(b.root, 'dev', 'ttyS1'), 'utf8')).toBe('');
    expect(b.console).toMatch(/^zdh init: no results channel on \S*\/dev\/ttyS1\n/);
    expect(decode('resultsN0nce', Buffer.from(b.console)).map((f) => f.kind)).toEqual([
      'noise',
      'ready',
      'begin',
      'output',
      'end',
      'done',
    ]);
  });

  it('in shell mode, runs the steps, then a login shell on the console at the terminal size, then powers off', () => {
    const b = boot(
      plan({
        mode: 'shell',
        terminal: { rows: 40, cols: 120 },
        steps: [{ name: 's', script: 'true', timeoutS: 30 }],
      }),
    );
    expect(b.frames.map((f) => f.kind)).toEqual(['ready', 'begin', 'end', 'shell', 'done']);
    expect(b.events).toContain('stty rows 40 cols 120');
    expect(b.events.indexOf('cttyhack sh -l')).toBeGreaterThan(-1);
    expect(b.console).toMatch(/interactive shell/);
  });

  it('kills a step at its deadline with everything it started, and its end frame says it timed out', () => {
    const p = plan({
      steps: [
        {
          name: 'stuck',
          script: 'echo $$ > "$ROOT/step"; sleep 60 & echo $! > "$ROOT/child"; sleep 60',
          timeoutS: 30,
          onTimeout: 'continue',
        },
      ],
    });
    // The plan's deadline is the step's time limit plus a grace; here 1 s.
    const b = boot(p, { planVars: 'ZDH_STEP_0_DEADLINE=1\n' });
    expect(b.frames.find((f) => f.kind === 'end')).toEqual({
      kind: 'end',
      index: 0,
      name: 'stuck',
      status: 128 + 9,
      timedOut: true,
      uptime: 12.34,
    });
    const child = Number(read(b, 'child'));
    const stat = `/proc/${child}/stat`;
    const state = existsSync(stat)
      ? readFileSync(stat, 'utf8')
          .replace(/^.*\) /, '')
          .charAt(0)
      : 'gone';
    try {
      // Whatever survived, gone before anything is asserted (the step's session is its pid).
      process.kill(-Number(read(b, 'step')), 'SIGKILL');
    } catch {
      // nothing left, as it should be
    }
    expect(state).toMatch(/^(gone|Z|X)$/);
  });
});

describe('guest /init and memory cgroups', () => {
  const MEMTOTAL_KB = 1_431_652;
  /** What the guest's kernel offers: file systems, cgroup v2 controllers; /proc/meminfo as in a 2G guest. */
  const kernel = (filesystems: string[], controllers?: string): Record<string, string> => ({
    'proc/filesystems': filesystems.map((f) => `nodev\t${f}\n`).join(''),
    'proc/meminfo': `MemTotal:       ${MEMTOTAL_KB} kB\nMemFree:         1200000 kB\n`,
    ...(controllers === undefined
      ? {}
      : {
          'sys/fs/cgroup/cgroup.controllers': `${controllers}\n`,
          'sys/fs/cgroup/cgroup.subtree_control': '',
        }),
  });
  // Each step says what was in the steps' cgroup.procs when it started, and empties it; and
  // what ZDH_CGROUP it was given.
  const reportStep = (name: string) => ({
    name,
    script: `p="$ROOT/sys/fs/cgroup/zdh/cgroup.procs"; r=; [ -e "$p" ] && { read -r r < "$p"; : > "$p"; }; printf 'procs=%s cgroup=%s' "$r" "$ZDH_CGROUP"`,
    timeoutS: 30,
  });
  const outputs = (b: Boot): string[] => b.frames.flatMap((f) => (f.kind === 'output' ? [f.text] : []));
  const cgroupMounts = (b: Boot): string[] => b.events.filter((e) => /^u?mount\b.*cgroup/.test(e));

  it('with cgroup2 and the memory controller: mounts it, limits /sys/fs/cgroup/zdh to 3/4 of MemTotal, and starts every step in it', () => {
    const b = boot(plan({ steps: [reportStep('one'), reportStep('two')] }), {
      files: kernel(['sysfs', 'cgroup2', 'tmpfs'], 'cpuset cpu io memory hugetlb pids rdma misc'),
    });
    const root = join(b.root, 'sys/fs/cgroup');
    expect(cgroupMounts(b)).toEqual([`mount -t cgroup2 cgroup2 ${root}`]);
    expect(read(b, 'sys/fs/cgroup/cgroup.subtree_control')).toBe('+memory');
    // The limit: 3/4 of MemTotal, in whole MiB.
    const max = Number(read(b, 'sys/fs/cgroup/zdh/memory.max'));
    expect(max % 2 ** 20).toBe(0);
    expect(max).toBeLessThanOrEqual((MEMTOTAL_KB * 1024 * 3) / 4);
    expect(max).toBeGreaterThan((MEMTOTAL_KB * 1024 * 3) / 4 - 2 ** 20);
    // Each step's shell asked to be moved (0: the writer itself) before running, and knows its cgroup.
    expect(outputs(b)).toEqual([0, 1].map(() => `procs=0 cgroup=${root}/zdh`));
    // Nothing else was moved in after the last step: /init, its heartbeat and watchdogs stay out.
    expect(read(b, 'sys/fs/cgroup/zdh/cgroup.procs')).toBe('');
    // One line in the kernel log (on the console) says so; the step markers are unchanged.
    const said = b.kmsg.filter((l) => markerOf(l, 'kmsgN0nce') === undefined);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(new RegExp(`^zdh: cgroup v2: steps run in ${root}/zdh, memory\\.max=${max}\\b`));
    expect(b.frames.map((f) => f.kind)).toEqual([
      'ready',
      'begin',
      'output',
      'end',
      'begin',
      'output',
      'end',
      'done',
    ]);
  });

  it.each([
    ['no cgroup2 file system', kernel(['sysfs', 'tmpfs'], 'memory'), []],
    ['cgroup2 without the memory controller', kernel(['cgroup2'], 'cpu io pids'), ['mount', 'umount']],
  ])('with %s: no cgroup, no limit, steps as before, nothing said', (_, files, mounts) => {
    const b = boot(plan({ steps: [reportStep('one')] }), { files });
    expect(cgroupMounts(b).map((e) => e.split(' ')[0])).toEqual(mounts);
    expect(existsSync(join(b.root, 'sys/fs/cgroup/zdh'))).toBe(false);
    expect(read(b, 'sys/fs/cgroup/cgroup.subtree_control')).toBe('');
    expect(outputs(b)).toEqual(['procs= cgroup=']);
    expect(b.kmsg.every((l) => markerOf(l, 'kmsgN0nce') !== undefined)).toBe(true);
    expect(b.frames.map((f) => f.kind)).toEqual(['ready', 'begin', 'output', 'end', 'done']);
  });
});

describe('guest /init', () => {
  it('is valid sh', () => {
    expect(() => execFileSync('/bin/sh', ['-n', init])).not.toThrow();
  });

  it('sends a heartbeat that channel.ts cuts out of step output (run by busybox sh, as in the guest)', () => {
    const beat = /^\t\tprintf '\\002@zdh:.*$/m.exec(text)?.[0];
    expect(beat).toBeDefined();
    // RES is the tty in the guest; here a file, appended to (node's stdio pipes are sockets,
    // which /dev/stdout cannot open).
    const res = join(mkdtempSync(join(tmpdir(), 'zdh-init-')), 'res');
    const line = beat!.trim().replace('> "$RES"', '>> "$RES"');
    execFileSync('busybox', [
      'sh',
      '-c',
      `ZDH_NONCE=n0nce beat=12.34 RES=${res}; printf 'ok 1 ' >> "$RES"; ${line}; printf 'a\\n' >> "$RES"`,
    ]);
    const bytes = readFileSync(res);
    const d = new ChannelDecoder('n0nce');
    const events = [
      ...d.push(Buffer.from('@zdh:n0nce begin 0 s 1.0\n')),
      ...d.push(bytes),
      ...d.push(Buffer.from('\n@zdh:n0nce end 0 s 0 0 2.0\n')),
    ];
    expect(events.filter((e) => e.kind === 'alive')).toEqual([{ kind: 'alive', uptime: 12.34 }]);
    const output = Buffer.concat(events.flatMap((e) => (e.kind === 'output' ? [e.data] : []))).toString();
    expect(output).toBe('ok 1 a\n');
  });

  it("lists the step's tasks in D state after the heartbeat, as channel.ts reads them (busybox sh, a /proc of files)", () => {
    const fn = /^blocked_tasks\(\) \{\n[\s\S]*?\n\}\n/m.exec(text)?.[0];
    const report = /^\t\t\tprintf '\\002@zdh:%s blocked .*$/m.exec(text)?.[0];
    expect(fn).toBeDefined();
    expect(report).toBeDefined();
    const t = mkdtempSync(join(tmpdir(), 'zdh-init-'));
    // tid, stat line after the pid, voluntary and involuntary switches.
    const tasks: [string, number, string, number, number][] = [
      ['400', 400, '(sh) S 1 400 400 0 -1', 3, 1], // the step's shell, sleeping
      ['401', 401, '(zdh-dax) S 400 400 400 0 -1', 9, 0],
      ['401', 402, '(zdh dax:w) D 400 400 400 0 -1', 40, 2], // a thread, name with space and colon
      ['403', 403, '(a) b) D 400 403 400 0 -1', 1, 0], // a ")" in the name
      ['500', 500, '(rmmod) D 1 500 500 0 -1', 7, 7], // another session
      ['2', 2, '(kthreadd) S 0 0 0 0 -1', 0, 0],
    ];
    for (const [pid, tid, rest, v, nv] of tasks) {
      const d = join(t, 'proc', pid, 'task', String(tid));
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'stat'), `${tid} ${rest} 4194304 0 0 0\n`);
      writeFileSync(
        join(d, 'status'),
        `Name:\tx\nState:\tD\nvoluntary_ctxt_switches:\t${v}\nnonvoluntary_ctxt_switches:\t${nv}\n`,
      );
    }
    const res = join(t, 'res');
    const script = `${fn!.replaceAll('/proc/', `${t}/proc/`)}sid=400; beat=33.5; blocked_tasks; ${report!
      .trim()
      .replace(
        '> "$RES"',
        '>> "$RES"',
      )}; sid=999; blocked_tasks; ${report!.trim().replace('> "$RES"', '>> "$RES"')}`;
    execFileSync('busybox', ['sh', '-c', script], {
      env: { ZDH_NONCE: 'n0nce', RES: res, PATH: '/usr/bin:/bin' },
    });
    const d = new ChannelDecoder('n0nce');
    const events = [...d.push(Buffer.from('@zdh:n0nce begin 0 s 1.0\n')), ...d.push(readFileSync(res))];
    expect(events.filter((e) => e.kind === 'blocked')).toEqual([
      {
        kind: 'blocked',
        uptime: 33.5,
        tasks: [
          { tid: 402, switches: 42, comm: 'zdh_dax_w' },
          { tid: 403, switches: 1, comm: 'a)_b' },
        ],
      },
      { kind: 'blocked', uptime: 33.5, tasks: [] },
    ]);
  });

  it('runs a workload step as in the guest: its result markers carry the nonce, which nothing the step starts sees', () => {
    // /init's own functions, run by busybox sh on the host with files in place of the
    // devices and folders of the guest.
    const fn = (name: string): string => {
      const m = new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?\\n\\}\\n`, 'm').exec(text);
      expect(m, name).not.toBeNull();
      return m![0];
    };
    const t = mkdtempSync(join(tmpdir(), 'zdh-init-'));
    mkdirSync(join(t, 'steps'));
    mkdirSync(join(t, 'run'));
    mkdirSync(join(t, 'bin'));
    for (const a of ['setsid', 'sh', 'sed', 'cat', 'sleep', 'usleep', 'env'])
      symlinkSync('/bin/busybox', join(t, 'bin', a));
    const w = {
      name: 'forger',
      setup: [],
      command: {
        command:
          "printf 'KTAP version 1\\n1..1\\nok 1 a\\n'; echo 'zdh-workload: command main end 0'; env; exit 2",
        timeoutS: 10,
      },
      checks: [],
      teardown: [],
      teardownTimeoutS: 5,
    };
    writeFileSync(
      join(t, 'steps', '0.sh'),
      renderStepScript({ name: w.name, script: renderWorkloadScript(w), timeoutS: 30 }),
    );
    const functions = ['frame', 'uptime_now', 'run_step']
      .map(fn)
      .join('')
      .replaceAll('> /dev/kmsg', '>> "$T/kmsg"')
      .replaceAll('/zdh/steps/', '$T/steps/')
      .replaceAll('/run/zdh/', '$T/run/')
      .replaceAll('> "$RES"', '>> "$RES"');
    const nonce = 'n0nceOfTheRun';
    // The plan's variables as /init has them: sourced from /zdh/plan.sh, not exported.
    const markerNonce = 'kernelLogN0nce';
    const plan = `ZDH_NONCE=${nonce}\nZDH_MARKER_NONCE=${markerNonce}\nZDH_STEP_0_NAME=forger\nZDH_STEP_0_DEADLINE=0\n`;
    execFileSync('busybox', ['sh', '-c', `${plan}${functions}run_step 0`], {
      env: { PATH: `${join(t, 'bin')}:/usr/bin:/bin`, T: t, RES: join(t, 'res') },
    });
    const events = new ChannelDecoder(nonce).push(readFileSync(join(t, 'res')));
    const output = Buffer.concat(events.flatMap((e) => (e.kind === 'output' ? [e.data] : []))).toString();
    expect(events.find((e) => e.kind === 'end')).toMatchObject({ name: 'forger', status: 1 });
    const o = parseWorkloadOutput(
      { name: 'forger', expectedCases: ['a'], checks: [], setupCommands: [], commandTimeoutS: 10 },
      { state: 'finished', status: 1, output, nonce },
    );
    expect(o.commandEnd).toBe('2');
    expect(o.cases.map((c) => [c.name, c.status])).toEqual([
      ['a', 'pass'],
      ['forger', 'fail'],
    ]);
    // The command's environment (printed by env) does not hold the nonce: only the
    // script's own begin and end markers do.
    expect(output).toContain('ZDH_WORKLOAD=forger');
    expect(output.split('\n').filter((l) => l.includes(nonce))).toHaveLength(2);
    // Around the step, in the kernel log: its markers with the marker nonce, and nothing
    // of the results channel's.
    const kmsg = readFileSync(join(t, 'kmsg'), 'utf8').trimEnd().split('\n');
    expect(kmsg.map((l) => markerOf(l, markerNonce))).toEqual([
      { kind: 'begin', step: 'forger', nonce: markerNonce },
      { kind: 'end', step: 'forger', status: 1, nonce: markerNonce },
    ]);
    expect(kmsg.join('\n')).not.toContain(nonce);
  });
});
