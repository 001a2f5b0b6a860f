/** The command list (a file of its own: it imports every command, including ones being written). */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../harness/cli/commands/index.ts';
import { registerMerge } from '../../../harness/cli/commands/merge.ts';
import { registerReport } from '../../../harness/cli/commands/report.ts';

describe('the command list', () => {
  it('registers report and merge alongside the other commands', () => {
    expect(commands).toContain(registerReport);
    expect(commands).toContain(registerMerge);
    const program = new Command('zdh');
    for (const c of commands) c(program, { code: 0 });
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['build', 'cache', 'scan', 'report', 'merge']));
  });
});
