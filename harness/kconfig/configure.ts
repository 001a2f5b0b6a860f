import { existsSync, globSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { configError, infraError } from '../errors.ts';
import { runLogged } from '../process/run.ts';
import { parseConfigText, parseDotConfig, renderConfig } from './dotconfig.ts';
import { judgeDropped, loadOptionIntent, type OptionIntent } from './intent.ts';
import { parseKconfigTree } from './kconfig-tree.ts';
import { type MergeResult, overlayConfig } from './merge.ts';
import { checkSurvival } from './survival.ts';

/** Make targets that produce a base .config. Anything else is a path to a .config file. */
export const BASE_TARGETS = ['tinyconfig', 'allnoconfig', 'defconfig', 'x86_64_defconfig'] as const;

export interface ConfigureResult {
  finalConfig: string;
  /** Requested options that did not survive but need not (preferences; options this kernel does not have). */
  notes: string[];
}

/**
 * base → merged fragments → olddefconfig → every requested option checked. A dropped
 * required option stops the build with the dependency that dropped it; a dropped
 * preference (configs/kconfig/intent.yaml) is a note, written to the build log.
 */
export async function configureKernel(opts: {
  src: string;
  obj: string;
  base: string;
  merged: MergeResult;
  makeArgs: readonly string[];
  env?: Record<string, string>;
  log: Writable;
  intent?: OptionIntent;
}): Promise<ConfigureResult> {
  const { src, obj, base, merged } = opts;
  const make = (target: string) =>
    runLogged('make', ['-C', src, `O=${obj}`, ...opts.makeArgs, target], {
      log: opts.log,
      ...(opts.env ? { env: opts.env } : {}),
    });
  if ((BASE_TARGETS as readonly string[]).includes(base)) {
    const res = await make(base);
    if (res.exitCode !== 0) throw infraError(`make ${base} failed`, { details: res.tail.slice(-10) });
  } else {
    if (!existsSync(base))
      throw configError(`base config ${base} does not exist`, {
        hint: `use one of ${BASE_TARGETS.join(', ')} or a .config file`,
      });
    writeFileSync(join(obj, '.config'), readFileSync(base));
  }
  const baseEntries = parseConfigText(readFileSync(join(obj, '.config'), 'utf8')).entries;
  writeFileSync(join(obj, '.config'), renderConfig(overlayConfig(baseEntries, merged.requested)));
  const res = await make('olddefconfig');
  if (res.exitCode !== 0) throw infraError('make olddefconfig failed', { details: res.tail.slice(-10) });
  const finalConfig = readFileSync(join(obj, '.config'), 'utf8');
  const dropped = checkSurvival(merged.requested, parseDotConfig(finalConfig));
  if (dropped.length === 0) return { finalConfig, notes: [] };
  const read = Object.assign(
    (p: string) => {
      const abs = join(src, p);
      return existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    },
    { glob: (p: string) => (p.includes('*') ? globSync(p, { cwd: src }) : [p]) },
  );
  const db = parseKconfigTree(read);
  const final = parseDotConfig(finalConfig);
  const { errors, notes } = judgeDropped(dropped, opts.intent ?? loadOptionIntent(), db, final);
  for (const n of notes) opts.log.write(`zdh: note: ${n}\n`);
  if (errors.length > 0)
    throw configError(`${errors.length} requested kconfig option(s) did not survive olddefconfig`, {
      details: errors,
      hint: 'enable the dependencies named above in a fragment (or drop the option)',
    });
  return { finalConfig, notes };
}
