import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../harness/util/paths.ts';

/** Runs the real zdh CLI as a user would, returning exit code and output. */
export async function zdh(
  args: readonly string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
) {
  const res = await execa(process.execPath, [join(projectRoot, 'bin', 'zdh.js'), ...args], {
    reject: false,
    cwd: projectRoot,
    env: { ...opts.env },
    stdin: 'ignore',
    killDescendants: true,
    ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
  });
  return { code: res.exitCode ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** The first `node` on PATH that is not the project's pinned one (Debian's Node 20 here). */
export function systemNode(): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir.includes('node_modules')) continue;
    if (existsSync(join(dir, 'node'))) return join(dir, 'node');
  }
  return process.execPath;
}
