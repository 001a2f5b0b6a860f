import { existsSync, realpathSync } from 'node:fs';
import { configError } from '../errors.ts';
import { runCapture } from '../process/run.ts';
import type { ResolvedSource } from './types.ts';

/**
 * A git repository and a ref. Resolving only reads the user's repository (rev-parse,
 * log); the build happens in zdh's own clone (build/slot.ts), so the user's checkout,
 * index and any bisect in progress stay untouched.
 */
export async function resolveGit(repo: string, ref: string): Promise<ResolvedSource> {
  if (!existsSync(repo)) throw configError(`git repository ${repo} does not exist`);
  const real = realpathSync(repo);
  let commit: string;
  try {
    commit = await runCapture('git', ['-C', real, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw configError(`${ref} is not a commit in ${real}`, {
      hint: 'pass a branch, tag or commit id that `git rev-parse` knows',
    });
  }
  const tree = await runCapture('git', ['-C', real, 'rev-parse', `${commit}^{tree}`]);
  const subject = await runCapture('git', ['-C', real, 'log', '-1', '--format=%s', commit]);
  return {
    spec: { kind: 'git', repo: real, ref },
    id: `git-tree:${tree}`,
    commit,
    subject,
    family: `git:${real}`,
  };
}
