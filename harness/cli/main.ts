import { Command, CommanderError } from 'commander';
import { formatError, ZdhError } from '../errors.ts';
import { installInterruptHandlers } from '../process/interrupt.ts';
import { type CommandEntry, commandsFor } from './commands/index.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { VERSION } from './version.ts';

/**
 * Builds the commander program with the given commands (commandsFor: only the one a command
 * line names). Each command's action stores its exit code in `result.code`.
 */
export async function buildProgram(
  result: { code: number },
  entries: readonly CommandEntry[],
): Promise<Command> {
  const program = new Command('zdh')
    .description('zone-device-harness: build, boot and stress ZONE_DEVICE page refcounting in Linux kernels')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const register of await Promise.all(entries.map((e) => e.load()))) {
    const cmd = register(program, result);
    cmd.exitOverride().showSuggestionAfterError(true);
  }
  return program;
}

/** Runs zdh with argv (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  installInterruptHandlers();
  // `zdh … | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const result = { code: EXIT.pass as number };
  const program = await buildProgram(result, commandsFor(argv));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exit 0; every parse error is a usage error.
      if (
        error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version'
      ) {
        return EXIT.pass;
      }
      if (error.code === 'commander.help') return EXIT.pass;
      return EXIT.error;
    }
    process.stderr.write(`${formatError(error)}\n`);
    if (error instanceof ZdhError) return exitCodeFor({ kind: 'error', error: error.kind });
    return EXIT.error;
  }
}
