import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

/**
 * How zdh runs git in a repository of its own (a build slot's clone, the bisect clone):
 * the git dir (and work tree) named outright, GIT_CEILING_DIRECTORIES at the folder above,
 * and the repository-location variables of a calling git (zdh run from a hook) dropped.
 * A damaged clone then makes git fail instead of walking up into a repository around the
 * cache, such as the CI job's checkout, where `checkout --force` and `clean -fdx` would do
 * harm. The user's repository is not run this way: it is only read, and there finding the
 * repository from a folder inside it is what the user asked for.
 */
export function ownGit(
  dir: string,
  opts: { bare?: boolean } = {},
): { args: string[]; env: Record<string, string | undefined> } {
  const top = resolve(dir);
  return {
    args: [
      '-C',
      top,
      `--git-dir=${opts.bare ? top : join(top, '.git')}`,
      ...(opts.bare ? [] : [`--work-tree=${top}`]),
    ],
    env: {
      GIT_CEILING_DIRECTORIES: dirname(top),
      GIT_DIR: undefined,
      GIT_WORK_TREE: undefined,
      GIT_INDEX_FILE: undefined,
      GIT_OBJECT_DIRECTORY: undefined,
      GIT_ALTERNATE_OBJECT_DIRECTORIES: undefined,
      GIT_COMMON_DIR: undefined,
    },
  };
}
