import type { Command } from 'commander';

/** A command module adds itself to the program and returns its Command. */
export type RegisterCommand = (program: Command, result: { code: number }) => Command;

/** One zdh command: its name, and how to load the module that defines it. */
export interface CommandEntry {
  name: string;
  load: () => Promise<RegisterCommand>;
}

/**
 * Every zdh command, in the order `zdh --help` lists them. A module is loaded only when its
 * command runs (commandsFor): each pulls in its own part of the harness, and a start that
 * loads them all spends a few tenths of a second on modules it does not use.
 */
export const commands: readonly CommandEntry[] = [
  { name: 'run', load: async () => (await import('./run.ts')).registerRun },
  { name: 'build', load: async () => (await import('./build.ts')).registerBuild },
  { name: 'boot', load: async () => (await import('./boot.ts')).registerBoot },
  { name: 'shell', load: async () => (await import('./shell.ts')).registerShell },
  { name: 'cache', load: async () => (await import('./cache.ts')).registerCache },
  { name: 'scan', load: async () => (await import('./scan.ts')).registerScan },
  { name: 'report', load: async () => (await import('./report.ts')).registerReport },
  { name: 'merge', load: async () => (await import('./merge.ts')).registerMerge },
  { name: 'repro', load: async () => (await import('./repro.ts')).registerRepro },
  { name: 'bisect', load: async () => (await import('./bisect.ts')).registerBisect },
  { name: 'bisect-step', load: async () => (await import('./bisect-step.ts')).registerBisectStep },
];

/**
 * The commands a command line needs defined: the one it names when its first word is a
 * command, otherwise all of them (`zdh --help`, `zdh help run`, a misspelt command that
 * commander suggests a name for).
 */
export function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  const first = argv.find((a) => !a.startsWith('-'));
  const named = commands.find((c) => c.name === first);
  return named === undefined ? commands : [named];
}
