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
  const { commit, subject } = await resolveRef(real, ref);
  const tree = await readGit(real, ['rev-parse', `${commit}^{tree}`]);
  return {
    spec: { kind: 'git', repo: real, ref },
    id: `git-tree:${tree}`,
    commit,
    subject,
    family: `git:${real}`,
  };
}

/**
 * How zdh runs git to read a repository: never waiting for a prompt, in the C locale.
 * (bisect/git.ts runs every git with it.)
 */
export const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

function readGit(repo: string, args: readonly string[]): Promise<string> {
  return runCapture('git', ['-C', repo, ...args], { env: GIT_ENV });
}

/**
 * A ref of a repository → commit id and subject (read-only): for a git source, for
 * bisect's --good and --bad, and for bisect-step's HEAD. `flag` (`--good`) names where
 * the ref came from, in the error.
 */
export async function resolveRef(
  repo: string,
  ref: string,
  flag?: string,
): Promise<{ commit: string; subject: string }> {
  let commit: string;
  try {
    commit = await readGit(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw configError(`${flag === undefined ? '' : `${flag} `}${ref} is not a commit in ${repo}`, {
      hint: 'give a branch, tag or commit id that `git rev-parse` knows there',
    });
  }
  return { commit, subject: await subjectOf(repo, commit) };
}

/** A commit's subject line. */
export function subjectOf(repo: string, commit: string): Promise<string> {
  return readGit(repo, ['log', '-1', '--format=%s', commit]);
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
