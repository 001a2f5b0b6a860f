import type { Command } from 'commander';
import { registerBuild } from './build.ts';
import { registerCache } from './cache.ts';

/** A command module adds itself to the program and returns its Command. */
export type RegisterCommand = (program: Command, result: { code: number }) => Command;

/** Every zdh command, in the order `zdh --help` lists them. */
export const commands: readonly RegisterCommand[] = [registerBuild, registerCache];
