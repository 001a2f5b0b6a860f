import type { Command } from 'commander';
import { registerBisect } from './bisect.ts';
import { registerBisectStep } from './bisect-step.ts';
import { registerBoot } from './boot.ts';
import { registerBuild } from './build.ts';
import { registerCache } from './cache.ts';
import { registerMerge } from './merge.ts';
import { registerReport } from './report.ts';
import { registerRepro } from './repro.ts';
import { registerRun } from './run.ts';
import { registerScan } from './scan.ts';
import { registerShell } from './shell.ts';

/** A command module adds itself to the program and returns its Command. */
export type RegisterCommand = (program: Command, result: { code: number }) => Command;

/** Every zdh command, in the order `zdh --help` lists them. */
export const commands: readonly RegisterCommand[] = [
  registerRun,
  registerBuild,
  registerBoot,
  registerShell,
  registerCache,
  registerScan,
  registerReport,
  registerMerge,
  registerRepro,
  registerBisect,
  registerBisectStep,
];
