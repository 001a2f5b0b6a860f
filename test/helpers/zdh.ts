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
