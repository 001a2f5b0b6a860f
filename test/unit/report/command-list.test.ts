/** The command list (a file of its own: it imports every command, including ones being written). */
import { describe, expect, it } from 'vitest';
import { commands, commandsFor } from '../../../harness/cli/commands/index.ts';
import { buildProgram } from '../../../harness/cli/main.ts';

describe('the command list', () => {
  it('defines every command under its own name, report and merge among them', async () => {
    const program = await buildProgram({ code: 0 }, commands);
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(commands.map((c) => c.name));
    expect(names).toEqual(
      expect.arrayContaining(['run', 'build', 'cache', 'scan', 'report', 'merge', 'bisect']),
    );
  });

  it('loads only the command a command line names, and all of them otherwise', async () => {
    expect(commandsFor(['build', '--json']).map((c) => c.name)).toEqual(['build']);
    expect(commandsFor(['--no-color', 'bisect-step', 'x']).map((c) => c.name)).toEqual(['bisect-step']);
    for (const argv of [[], ['--help'], ['help', 'run'], ['biuld']]) expect(commandsFor(argv)).toBe(commands);
    const program = await buildProgram({ code: 0 }, commandsFor(['scan', 'log.txt']));
    expect(program.commands.map((c) => c.name())).toEqual(['scan']);
  });
});
