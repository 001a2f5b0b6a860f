import { PassThrough } from 'node:stream';
import { runMachine } from '../../machine/runner.ts';
import { createProgress } from '../../progress/progress.ts';
import { machineExitCode } from '../exit-codes.ts';
import {
  addMachineOptions,
  defaultRunDir,
  type MachineFlags,
  prepareMachine,
  reportEnd,
  workloadMachineOptions,
} from './boot.ts';
import type { RegisterCommand } from './index.ts';

/** Ctrl-] leaves the shell at once (the guest is killed), as in telnet. */
const ESCAPE = 0x1d;

export const registerShell: RegisterCommand = (program, result) => {
  const cmd = program
    .command('shell')
    .description(
      'boot a build on a machine profile with an interactive shell on the terminal (exit or Ctrl-D powers off; Ctrl-] kills)',
    );
  addMachineOptions(cmd).action(async (opts: MachineFlags) => {
    const progress = createProgress();
    const stdin = process.stdin;
    const raw = stdin.isTTY === true;
    const quit = new AbortController();
    try {
      const { profile, build, workloads } = await prepareMachine(opts, progress);
      // Typed bytes go to the guest console; Ctrl-] is ours.
      const input = new PassThrough();
      const onData = (chunk: Buffer): void => {
        if (raw && chunk.includes(ESCAPE)) {
          quit.abort(new Error('Ctrl-]'));
          return;
        }
        input.write(chunk);
      };
      // Piped input: at its end the guest's shell is told to exit, so the guest powers off.
      const onEnd = (): void => {
        input.write('\nexit\n');
      };
      if (raw) stdin.setRawMode(true);
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.resume();
      try {
        const run = await runMachine({
          build,
          profile,
          steps: [],
          mode: 'shell',
          ...workloadMachineOptions(workloads),
          outDir: opts.out ?? defaultRunDir('shell'),
          ...(opts.accel ? { accel: opts.accel } : {}),
          ...(opts.keepDisks ? { keepDisks: true } : {}),
          onProgress: (m) => progress.step(m),
          onConsole: (data) => process.stdout.write(data),
          consoleInput: input,
          ...(process.stdout.isTTY
            ? { terminal: { rows: process.stdout.rows, cols: process.stdout.columns } }
            : {}),
          signal: quit.signal,
        });
        progress.done();
        if (raw) stdin.setRawMode(false);
        reportEnd(run, (s) => process.stderr.write(s));
        result.code = machineExitCode(run.exitReason, 0);
      } finally {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        if (raw) stdin.setRawMode(false);
        stdin.pause();
      }
    } finally {
      progress.done();
    }
  });
  return cmd;
};
