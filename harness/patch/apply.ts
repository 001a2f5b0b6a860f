import type { Writable } from 'node:stream';
import { configError } from '../errors.ts';
import { runLogged } from '../process/run.ts';
import { ownGit } from '../source/git.ts';
import type { Patch } from './expand.ts';
import { describeFailure, parsePatchOutput } from './failure.ts';

/**
 * Applies a series to a working tree that zdh owns: `patch -pN` on plain trees,
 * `git am -3` on git checkouts. Each plain patch is dry-run first, so a failing patch
 * changes nothing; the caller reverts the earlier ones (see build/slot.ts).
 */
export async function applyPlain(dir: string, patches: readonly Patch[], log?: Writable): Promise<void> {
  for (const [i, p] of patches.entries()) {
    const args = [`-p${p.strip}`, '--forward', '--batch', '--no-backup-if-mismatch', '-r', '-', '-d', dir];
    const dry = await runLogged('patch', [...args, '--dry-run'], { input: p.text, ...(log ? { log } : {}) });
    if (dry.exitCode !== 0) throw patchError(p, i, patches.length, dry.tail.join('\n'));
    const real = await runLogged('patch', args, { input: p.text, ...(log ? { log } : {}) });
    if (real.exitCode !== 0) throw patchError(p, i, patches.length, real.tail.join('\n'));
  }
}

export async function applyGit(dir: string, patches: readonly Patch[], log?: Writable): Promise<void> {
  const own = ownGit(dir);
  const env = {
    ...own.env,
    GIT_COMMITTER_NAME: 'zdh',
    GIT_COMMITTER_EMAIL: 'zdh@localhost',
    GIT_AUTHOR_NAME: 'zdh',
    GIT_AUTHOR_EMAIL: 'zdh@localhost',
  };
  for (const [i, p] of patches.entries()) {
    const res = await runLogged('git', [...own.args, 'am', '-3', '--keep-cr', `-p${p.strip}`], {
      input: p.text,
      env,
      ...(log ? { log } : {}),
    });
    if (res.exitCode !== 0) {
      await runLogged('git', [...own.args, 'am', '--abort'], { env, ...(log ? { log } : {}) });
      throw patchError(p, i, patches.length, res.tail.join('\n'));
    }
  }
}

function patchError(p: Patch, index: number, total: number, output: string) {
  const failures = parsePatchOutput(output);
  const details = failures.length > 0 ? failures.map(describeFailure) : output.split('\n').slice(-8);
  return configError(`patch ${index + 1}/${total} ${p.name} does not apply (${p.file})`, {
    details,
    hint: 'rebase the patch onto this kernel source, or drop it from the series',
  });
}
