import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { configError, infraError } from '../errors.ts';
import { runCapture, runLogged } from '../process/run.ts';
import { GIT_ENV, ownGit } from '../source/git.ts';
import type { Verdict } from './exit.ts';
import { type BisectOutput, parseBisectOutput } from './git-output.ts';

/**
 * The git edge of bisect. The user's repository is only ever read (its refs resolved by
 * source/git.ts resolveRef, and as the source of a fetch); `git bisect` runs in zdh's own bare clone under the cache,
 * so the user's checkout, index and any bisect they have in progress stay untouched.
 * A bare clone has no work tree: `git bisect` there moves BISECT_HEAD only, and each
 * step's kernel is built from the clone in a build slot (build/slot.ts).
 */
async function git(args: readonly string[], cwd?: string): Promise<string> {
  return runCapture('git', args, { env: GIT_ENV, ...(cwd ? { cwd } : {}) });
}

/** Arguments and environment for git in zdh's bare clone, and only there (source/git.ts). */
function inClone(clone: string): { args: string[]; env: Record<string, string | undefined> } {
  const own = ownGit(clone, { bare: true });
  return { args: own.args, env: { ...own.env, ...GIT_ENV } };
}

/** The top of the work tree that `dir` is in (bisect-step's repository). */
export async function repoTop(dir: string): Promise<string> {
  try {
    return realpathSync(await git(['-C', dir, 'rev-parse', '--show-toplevel']));
  } catch {
    throw configError(`${dir} is not inside a git work tree`, {
      hint: 'run zdh bisect-step from the kernel checkout that `git bisect` is running in',
    });
  }
}

/** Makes (or updates) zdh's bare clone of `repo` and checks it has `commits`. */
export async function syncClone(repo: string, clone: string, commits: readonly string[]): Promise<void> {
  if (!existsSync(clone)) {
    mkdirSync(dirname(clone), { recursive: true });
    const res = await runLogged('git', ['clone', '--quiet', '--bare', repo, clone], {
      env: inClone(clone).env,
    });
    if (res.exitCode !== 0)
      throw infraError(`cannot clone ${repo} into ${clone}`, { details: res.tail.slice(-5) });
  }
  const own = inClone(clone);
  // Every ref (and HEAD, which may be detached) under refs/zdh-user/, away from refs/bisect/.
  const fetch = await runLogged(
    'git',
    [
      ...own.args,
      'fetch',
      '--quiet',
      '--force',
      '--no-tags',
      repo,
      '+refs/*:refs/zdh-user/*',
      '+HEAD:refs/zdh-user/HEAD',
    ],
    { env: own.env },
  );
  if (fetch.exitCode !== 0) throw infraError(`cannot fetch from ${repo}`, { details: fetch.tail.slice(-5) });
  for (const c of commits) {
    const has = await runLogged('git', [...own.args, 'cat-file', '-e', `${c}^{commit}`], { env: own.env });
    if (has.exitCode !== 0) {
      throw configError(`commit ${c} of ${repo} is not reachable from any of its refs`, {
        hint: 'put a branch or tag on it (git branch zdh-bisect-bad <commit>) and try again',
      });
    }
  }
}

/** Commits in bad ^good: what the bisection searches. */
export async function rangeSize(clone: string, good: string, bad: string): Promise<number> {
  const own = inClone(clone);
  return Number(
    await runCapture('git', [...own.args, 'rev-list', '--count', bad, `^${good}`], { env: own.env }),
  );
}

async function bisect(clone: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  const own = inClone(clone);
  const res = await runLogged('git', [...own.args, 'bisect', ...args], { env: own.env, keepLines: 2000 });
  if (res.canceled) throw infraError('interrupted');
  return { code: res.exitCode ?? -1, output: res.tail.join('\n') };
}

/** Starts a fresh bisection (forgetting any earlier one in the clone). */
export async function bisectStart(clone: string, bad: string, good: string): Promise<BisectOutput> {
  await bisect(clone, ['reset']);
  const { output } = await bisect(clone, ['start', '--no-checkout', bad, good]);
  return parseBisectOutput(output);
}

export async function bisectMark(clone: string, verdict: Verdict, commit: string): Promise<BisectOutput> {
  const { output } = await bisect(clone, [verdict, commit]);
  return parseBisectOutput(output);
}

export async function bisectLog(clone: string): Promise<string> {
  const { code, output } = await bisect(clone, ['log']);
  return code === 0 ? `${output}\n` : '';
}

export async function bisectReset(clone: string): Promise<void> {
  if (existsSync(clone)) await bisect(clone, ['reset']);
}
