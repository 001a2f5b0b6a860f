import { existsSync, lstatSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Option } from 'commander';
import {
  buildsDir,
  dropDanglingRequests,
  folderSize,
  listBuilds,
  sweepCacheLeftovers,
} from '../../build/store.ts';
import { infraError } from '../../errors.ts';
import { removeInsideAsync } from '../../util/cleanup.ts';
import { LockBusyError, withLock } from '../../util/lock.ts';
import { cacheRoot } from '../../util/paths.ts';
import { days, wholeCount } from '../arg-parsers.ts';
import type { RegisterCommand } from './index.ts';

export const registerCache: RegisterCommand = (program, result) => {
  const cmd = program.command('cache').description('list or prune cached kernel builds');
  cmd
    .command('ls')
    .description('list cached builds, newest first')
    .option('--json', 'one JSON object per build')
    .action((opts: { json?: boolean }) => {
      const cache = cacheRoot();
      const builds = listBuilds(cache);
      for (const b of builds) {
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ cacheKey: b.cacheKey, kernelRelease: b.kernelRelease, dir: b.dir, createdAt: b.inputs.createdAt, source: b.inputs.source, patches: b.inputs.patches })}\n`,
          );
        } else {
          const size = (folderSize(b.dir) / 2 ** 20).toFixed(0);
          const patches = b.inputs.patches.length ? ` +${b.inputs.patches.length} patch(es)` : '';
          process.stdout.write(
            `${b.cacheKey.slice(0, 16)}  ${b.inputs.createdAt.slice(0, 16)}  ${size.padStart(5)} MiB  ${b.kernelRelease}  ${b.inputs.source.kind}${patches}\n`,
          );
        }
      }
      if (!opts.json) process.stderr.write(`${builds.length} build(s) in ${cache}\n`);
      result.code = 0;
    });
  cmd
    .command('prune')
    .description('remove cached builds (by default those older than 14 days) and their build slots')
    .addOption(
      new Option('--older-than <days>', 'remove builds created more than this many days ago')
        .default(14)
        .argParser(days),
    )
    .option('--keep <n>', 'always keep the newest N builds', wholeCount, 3)
    .option('--all', 'remove every build, slot and ccache entry (refused while a kernel build runs)')
    .option('--dry-run', 'say what would be removed')
    .action(async (opts: { olderThan: number; keep: number; all?: boolean; dryRun?: boolean }) => {
      const cache = cacheRoot();
      // --all removes slots, sources and ccache, which a running build uses: it holds every
      // build lock while it works, and refuses if any is held. The default prune removes only
      // finished builds (immutable once published), images and dead processes' leftovers,
      // none of which a running build holds, so it needs no lock.
      if (opts.all && !opts.dryRun) await withEveryBuildLock(cache, (slots) => prune(cache, opts, slots));
      else await prune(cache, opts, []);
      result.code = 0;
    });
  return cmd;
};

async function prune(
  cache: string,
  opts: { olderThan: number; keep: number; all?: boolean; dryRun?: boolean },
  heldSlots: readonly string[],
): Promise<void> {
  const verb = opts.dryRun ? 'would remove' : 'removing';
  if (!opts.dryRun) {
    for (const p of await sweepCacheLeftovers(cache)) process.stdout.write(`removed leftover ${p}\n`);
  }
  const builds = listBuilds(cache);
  const cutoff = Date.now() - opts.olderThan * 86_400_000;
  const doomed = opts.all
    ? builds
    : builds.slice(opts.keep).filter((b) => Date.parse(b.inputs.createdAt) < cutoff);
  let freed = 0;
  // Only folders named by the listing of builds/ (a record's dir is derived from it, never read).
  for (const b of doomed) {
    const size = folderSize(b.dir);
    process.stdout.write(
      `${verb} ${b.cacheKey.slice(0, 16)} ${b.kernelRelease} (${(size / 2 ** 20).toFixed(0)} MiB)\n`,
    );
    if (!opts.dryRun) await removeInsideAsync(buildsDir(cache), b.dir);
    freed += size;
  }
  // Folders in builds/ that are not sound builds (a corrupt record, files cut short by a power cut).
  const sound = new Set(builds.map((b) => basename(b.dir)));
  const builtDir = buildsDir(cache);
  for (const name of existsSync(builtDir) ? readdirSync(builtDir) : []) {
    if (name.startsWith('.') || sound.has(name)) continue;
    const st = lstatSync(join(builtDir, name), { throwIfNoEntry: false });
    if (!st || (!opts.all && st.mtimeMs >= cutoff)) continue;
    process.stdout.write(`${verb} broken build ${name}\n`);
    if (!opts.dryRun) await removeInsideAsync(builtDir, join(builtDir, name));
  }
  if (opts.all) {
    // Only the slots whose locks are held here: a slot made after they were taken is a new build's.
    const slots = join(cache, 'slots');
    for (const name of opts.dryRun ? listSlots(cache) : heldSlots) {
      process.stdout.write(`${verb} slot ${join(slots, name)}\n`);
      if (!opts.dryRun) await removeInsideAsync(slots, join(slots, name));
    }
    for (const sub of [
      'ccache',
      'sources',
      'images',
      'probes',
      'hosts',
      'requests',
      'bisect',
      'runs',
      'test-histories',
    ]) {
      const p = join(cache, sub);
      if (lstatSync(p, { throwIfNoEntry: false })) {
        process.stdout.write(`${verb} ${p}\n`);
        if (!opts.dryRun) await removeInsideAsync(cache, p);
      }
    }
  } else {
    // Guest images are cached by content; keep the newest few.
    const images = join(cache, 'images');
    if (statSync(images, { throwIfNoEntry: false })) {
      const entries = readdirSync(images)
        .map((n) => ({ n, t: lstatSync(join(images, n)).mtimeMs }))
        .sort((a, b) => b.t - a.t);
      for (const e of entries.slice(Math.max(opts.keep, 5))) {
        if (Date.now() - e.t < opts.olderThan * 86_400_000) continue;
        process.stdout.write(`${verb} image ${e.n}\n`);
        if (!opts.dryRun) await removeInsideAsync(images, join(images, e.n));
      }
    }
  }
  if (!opts.dryRun) dropDanglingRequests(cache);
  process.stderr.write(
    `${opts.dryRun ? 'would free' : 'freed'} ${(freed / 2 ** 20).toFixed(0)} MiB of builds\n`,
  );
}

/** Slot folders (slots/<key>; withLock(slot.dir) keeps its lock beside it as <key>.lock). */
function listSlots(cache: string): string[] {
  const slots = join(cache, 'slots');
  return existsSync(slots) ? readdirSync(slots).filter((n) => !n.endsWith('.lock')) : [];
}

/**
 * Runs fn holding the host's build lock and the lock of every slot, taking none that is held
 * (a build is running: refuse, having removed nothing). When they are released the lock
 * folders go with them; the emptied slots/ and locks/ folders are removed after.
 */
async function withEveryBuildLock(
  cache: string,
  fn: (slots: readonly string[]) => Promise<void>,
): Promise<void> {
  const slots = listSlots(cache);
  const paths = [join(cache, 'locks', 'host-build'), ...slots.map((n) => join(cache, 'slots', n))];
  const take = (i: number): Promise<void> =>
    i === paths.length ? fn(slots) : withLock(paths[i]!, () => take(i + 1), undefined, { wait: false });
  try {
    await take(0);
  } catch (error) {
    if (error instanceof LockBusyError) {
      throw infraError(`a kernel build is running (${error.lockPath} is held); nothing removed`, {
        hint: 'run `zdh cache prune --all` again when it has finished, or prune without --all',
      });
    }
    throw error;
  }
  for (const sub of ['slots', 'locks']) {
    try {
      rmdirSync(join(cache, sub));
    } catch {
      // Not empty: a build started meanwhile, or someone else's lock.
    }
  }
}
