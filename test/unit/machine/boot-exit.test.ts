import { describe, expect, it } from 'vitest';
import { machineExitCode } from '../../../harness/cli/exit-codes.ts';
import { describeExit, type ExitReason } from '../../../harness/machine/exit-reason.ts';

describe('zdh boot exit status', () => {
  it("passes the guest command's status through when the run is done", () => {
    expect(machineExitCode({ kind: 'done' }, 0)).toBe(0);
    expect(machineExitCode({ kind: 'done' }, 7)).toBe(7);
    expect(machineExitCode({ kind: 'done' }, 255)).toBe(255);
    expect(machineExitCode({ kind: 'done' }, 137)).toBe(137);
  });

  it('is 1 for a crash or hang, 2 for infrastructure, 130 when interrupted', () => {
    const failures: ExitReason[] = [
      { kind: 'panic', message: 'x' },
      { kind: 'hang', step: 'command', timeoutS: 20 },
      { kind: 'boot-timeout', stage: 'init', timeoutS: 1 },
      { kind: 'run-timeout', timeoutS: 1, step: undefined },
      { kind: 'guest-exit', detail: 'reset' },
    ];
    for (const f of failures) expect(machineExitCode(f, 0)).toBe(1);
    expect(machineExitCode({ kind: 'done' }, undefined)).toBe(1);
    expect(machineExitCode({ kind: 'infrastructure', message: 'x' }, 0)).toBe(2);
    expect(machineExitCode({ kind: 'interrupted' }, 0)).toBe(130);
  });

  it('describes a hang and a panic clearly', () => {
    expect(describeExit({ kind: 'hang', step: 'command', timeoutS: 20 })).toBe(
      "hang: step 'command' did not finish within 20 s; the guest's task dump (SysRq w, t) is in the console log",
    );
    expect(describeExit({ kind: 'panic', message: 'sysrq triggered crash' })).toBe(
      'kernel panic: sysrq triggered crash',
    );
  });
});
