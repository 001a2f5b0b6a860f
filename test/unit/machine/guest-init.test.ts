import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUEST_ROOTFS } from '../../../harness/image/assemble.ts';
import { ChannelDecoder } from '../../../harness/machine/channel.ts';
import { renderStepScript } from '../../../harness/machine/plan.ts';
import { beginMarker, endMarker, markerOf } from '../../../harness/steps/markers.ts';
import { parseWorkloadOutput } from '../../../harness/workloads/results.ts';
import { renderWorkloadScript } from '../../../harness/workloads/script.ts';

const init = join(GUEST_ROOTFS, 'init');
const text = readFileSync(init, 'utf8');

describe('guest /init', () => {
  it('is valid sh', () => {
    expect(() => execFileSync('/bin/sh', ['-n', init])).not.toThrow();
  });

  it('writes the step markers of steps/markers.ts to /dev/kmsg', () => {
    // The markers with the shell's own variables in place of a name, a status and the nonce.
    expect(text).toContain(`echo "${beginMarker('$name', '$ZDH_MARKER_NONCE')}" > /dev/kmsg`);
    expect(text).toContain(
      `echo "${endMarker('$name', 0, '$ZDH_MARKER_NONCE').replace('status=0', 'status=$status')}" > /dev/kmsg`,
    );
  });

  it('frames results the way channel.ts decodes them', () => {
    expect(text).toContain(`printf '@zdh:%s %s\\n' "$ZDH_NONCE" "$*"`);
    expect(text).toContain(`printf '\\n@zdh:%s end %s %s %s %s %s\\n'`);
    for (const verb of ['ready', 'begin', 'shell', 'done', 'note']) expect(text).toContain(`frame ${verb} `);
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
