import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { dropDanglingRequests, folderSize, listBuilds } from '../../build/store.ts';
import { usageError } from '../../errors.ts';
import { cacheRoot } from '../../util/paths.ts';
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
        .argParser(Number),
    )
    .option('--keep <n>', 'always keep the newest N builds', (v) => Number(v), 3)
    .option('--all', 'remove every build, slot and ccache entry')
    .option('--dry-run', 'say what would be removed')
    .action((opts: { olderThan: number; keep: number; all?: boolean; dryRun?: boolean }) => {
      if (!Number.isFinite(opts.olderThan) || opts.olderThan < 0)
        throw usageError('--older-than takes a number of days');
      const cache = cacheRoot();
      const builds = listBuilds(cache);
      const cutoff = Date.now() - opts.olderThan * 86_400_000;
      const doomed = opts.all
        ? builds
        : builds.slice(opts.keep).filter((b) => Date.parse(b.inputs.createdAt) < cutoff);
      let freed = 0;
      for (const b of doomed) {
        const size = folderSize(b.dir);
        process.stdout.write(
          `${opts.dryRun ? 'would remove' : 'removing'} ${b.cacheKey.slice(0, 16)} ${b.kernelRelease} (${(size / 2 ** 20).toFixed(0)} MiB)\n`,
        );
        if (!opts.dryRun) rmSync(b.dir, { recursive: true, force: true });
        freed += size;
      }
      if (opts.all) {
        for (const sub of [
          'slots',
          'ccache',
          'sources',
          'images',
          'probes',
          'hosts',
          'requests',
          'locks',
          'bisect',
          'runs',
          'test-histories',
        ]) {
          const p = join(cache, sub);
          if (statSync(p, { throwIfNoEntry: false })) {
            process.stdout.write(`${opts.dryRun ? 'would remove' : 'removing'} ${p}\n`);
            if (!opts.dryRun) rmSync(p, { recursive: true, force: true });
          }
        }
      }
      if (!opts.all) {
        // Guest images are cached by content; keep the newest few.
        const images = join(cache, 'images');
        if (statSync(images, { throwIfNoEntry: false })) {
          const entries = readdirSync(images)
            .map((n) => ({ n, t: statSync(join(images, n)).mtimeMs }))
            .sort((a, b) => b.t - a.t);
          for (const e of entries.slice(Math.max(opts.keep, 5))) {
            if (Date.now() - e.t < opts.olderThan * 86_400_000) continue;
            process.stdout.write(`${opts.dryRun ? 'would remove' : 'removing'} image ${e.n}\n`);
            if (!opts.dryRun) rmSync(join(images, e.n), { recursive: true, force: true });
          }
        }
      }
      if (!opts.dryRun) dropDanglingRequests(cache);
      process.stderr.write(
        `${opts.dryRun ? 'would free' : 'freed'} ${(freed / 2 ** 20).toFixed(0)} MiB of builds\n`,
      );
      result.code = 0;
    });
  return cmd;
};
