/**
 * Edge: what the zdh checkout and the build cache still say about a cell, for its report.
 * The run folder records patches and fragments by name and hash only; their text (a
 * patch's subject and description, a fragment's options) is read from the checkout now,
 * and compared with the recorded hash. Nothing here fails a report: what cannot be read
 * is absent, and the report says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { buildDir, readBuild } from '../../build/store.ts';
import { loadExpectations } from '../../expectations/load.ts';
import type { ExpectationFile } from '../../expectations/match.ts';
import type { KernelInfo } from '../../model/result.ts';
import { expandPatches } from '../../patch/expand.ts';
import { sha256 } from '../../util/hash.ts';
import { loadWorkloads } from '../../workloads/load.ts';
import type { WorkloadDecl } from '../../workloads/types.ts';
import { short } from './format.ts';
import { patchText } from './patch-text.ts';
import type { BuildSymbols, CellFolder, CheckoutFacts, FragmentFacts, PatchFacts } from './types.ts';

/** The folder of zdh's own fixture patches, whose descriptions say what they plant. */
export const FIXTURE_PATCHES = join('test', 'fixtures', 'kernel-patches');

/** The checkout's shared facts (expectations, workload declarations), read once per run of reports. */
export interface Checkout {
  root: string;
  expectations: ExpectationFile[];
  workloads: WorkloadDecl[];
}

export function openCheckout(root: string): Checkout {
  return {
    root,
    expectations: quietly(() => loadExpectations(join(root, 'configs', 'expectations')), []),
    workloads: quietly(
      () => loadWorkloads([join(root, 'configs', 'workloads'), join(root, 'kselftests')]),
      [],
    ),
  };
}

function quietly<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

export function checkoutFacts(checkout: Checkout, cell: CellFolder): CheckoutFacts {
  return {
    root: checkout.root,
    expectations: checkout.expectations,
    workloads: checkout.workloads,
    patches: patchFacts(checkout.root, cell.cell.kernel, cell.saved?.patchPaths ?? []),
    fragments: cell.cell.kernel.fragments.map((f) => fragmentFacts(checkout.root, f)),
  };
}

const shown = (root: string, path: string): string =>
  path.startsWith(`${root}/`) ? relative(root, path) : path;

function fragmentFacts(root: string, f: { name: string; sha256: string }): FragmentFacts {
  const path = isAbsolute(f.name) ? f.name : join(root, f.name);
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = null;
  }
  const now = text === null ? null : sha256(text);
  return { name: f.name, sha256: f.sha256, text, nowSha256: now, same: now === f.sha256 };
}

/**
 * Each applied patch, found as the run's --patches paths give it (expanded the way the
 * build expanded them), else by its name among the checkout's fixture patches.
 */
function patchFacts(root: string, kernel: KernelInfo, paths: readonly string[]): PatchFacts[] {
  const expanded = paths.flatMap((path) => quietly(() => expandPatches([path]), []));
  return kernel.patches.map((p) => {
    const given = expanded.find((e) => e.name === p.name);
    const inFixtures = join(root, FIXTURE_PATCHES, basename(p.name.replace(/#\d+ \(.*\)$/, '')));
    const found =
      given !== undefined
        ? { file: given.file, text: given.text, hash: given.sha256 }
        : existsSync(inFixtures)
          ? quietly(() => {
              const text = readFileSync(inFixtures, 'utf8');
              return { file: inFixtures, text, hash: sha256(text) };
            }, null)
          : null;
    if (found === null)
      return { ...p, file: null, same: false, subject: null, description: null, fixture: false };
    const { subject, description } = patchText(found.text);
    const fixture = found.file.includes(`/${FIXTURE_PATCHES}/`);
    return {
      ...p,
      // A fixture patch is named as zdh's tree names it, whichever checkout ran it.
      file: fixture ? join(FIXTURE_PATCHES, basename(found.file)) : shown(root, found.file),
      same: found.hash === p.sha256,
      subject,
      description,
      fixture,
    };
  });
}

/** The build's vmlinux and modules, if the cache still has the build the cell ran. */
export function buildSymbols(kernel: KernelInfo, cacheDir: string): BuildSymbols {
  if (kernel.cacheKey === null) return { kind: 'unavailable', reason: 'the run recorded no build' };
  const record = readBuild(buildDir(cacheDir, kernel.cacheKey), { hash: false });
  if (record === undefined || !existsSync(record.vmlinux))
    return {
      kind: 'unavailable',
      reason:
        `the build (zdh cache key ${short(kernel.cacheKey)}) is no longer in zdh's cache ` +
        `(${join(cacheDir, 'builds')}), so there is no vmlinux to symbolise them with; ` +
        '`zdh repro` builds it again',
    };
  return {
    kind: 'found',
    vmlinux: record.vmlinux,
    modulesDir: existsSync(record.modulesDir) ? record.modulesDir : null,
  };
}
