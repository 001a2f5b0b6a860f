import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { configError, infraError } from '../errors.ts';
import { applyGit, applyPlain } from '../patch/apply.ts';
import { assertInsideTree, type Patch, patchLocation } from '../patch/expand.ts';
import { headerNames, touchedPaths } from '../patch/series.ts';
import { runCapture, runLogged } from '../process/run.ts';
import { ownGit } from '../source/git.ts';
import type { ResolvedSource } from '../source/types.ts';

/**
 * A build slot: one source family + one configuration recipe, with a working tree (src/)
 * and an O= folder (obj/) that persist between builds, so a one-file patch rebuilds one
 * file. The slot's tree is zdh's own: a hard-link copy of the pristine tree (GNU patch
 * replaces files rather than writing through links) or zdh's own git clone. What the
 * last patch series touched is recorded, so the next build starts from pristine again.
 */
export interface Slot {
  key: string;
  dir: string;
  src: string;
  obj: string;
}

interface SlotState {
  sourceId: string;
  /** Files the current patches changed or created, relative to src. */
  touched: string[];
  /** Set while patches are being applied; a crash leaves it set and the tree is re-laid. */
  applying: boolean;
}

export function slotFor(cache: string, key: string): Slot {
  const dir = join(cache, 'slots', key.slice(0, 16));
  return { key, dir, src: join(dir, 'src'), obj: join(dir, 'obj') };
}

const stateFile = (slot: Slot): string => join(slot.dir, 'state.json');

function readState(slot: Slot): SlotState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(slot), 'utf8')) as SlotState;
  } catch {
    return undefined;
  }
}

function writeState(slot: Slot, state: SlotState): void {
  writeFileSync(stateFile(slot), JSON.stringify(state, null, 2));
}

/** Lays the source (and then the patches) into slot.src. Call with the slot lock held. */
export async function prepareSlot(
  slot: Slot,
  source: ResolvedSource,
  patches: readonly Patch[],
  log: Writable,
  say: (msg: string) => void,
): Promise<void> {
  // Before anything is written or removed: a patch naming ../ or / files is refused.
  for (const p of patches) assertInsideTree(p);
  mkdirSync(slot.dir, { recursive: true });
  if (source.spec.kind === 'git') {
    await prepareGit(slot, source, log, say);
    await applyGit(slot.src, patches, log);
    return;
  }
  const pristine = source.pristine!;
  const state = readState(slot);
  let relay =
    !state || state.applying || state.sourceId !== source.id || !existsSync(join(slot.src, 'Makefile'));
  if (!relay) {
    try {
      restoreTouched(slot, pristine, state!.touched);
    } catch {
      // A recorded path that leads out of the tree (a damaged state.json, a link a patch
      // made): lay the tree out afresh rather than follow it.
      relay = true;
    }
  }
  if (relay) {
    say('laying out the source tree in the build slot');
    rmSync(slot.src, { recursive: true, force: true });
    // Objects built from another tree are stale even where mtimes say otherwise.
    rmSync(slot.obj, { recursive: true, force: true });
    const res = await runLogged('cp', ['-al', pristine, slot.src], { log });
    if (res.exitCode !== 0) {
      rmSync(slot.src, { recursive: true, force: true });
      const copy = await runLogged('cp', ['-a', pristine, slot.src], { log });
      if (copy.exitCode !== 0)
        throw infraError(`cannot copy ${pristine} into ${slot.src}`, { details: copy.tail.slice(-5) });
    }
  }
  // A name inside the tree can still lead out of it through a symbolic link the tree holds.
  for (const p of patches) {
    for (const n of headerNames(p.text, p.strip)) {
      if (!within(slot.src, n.path)) {
        throw configError(
          `${patchLocation(p, n.line)}: patch ${p.name} names ${n.path}, which leads out of the source tree through a symbolic link`,
          { hint: 'a patch may only name files inside the kernel tree' },
        );
      }
    }
  }
  const touched = [...new Set(patches.flatMap((p) => touchedPaths(p.text, p.strip)))];
  writeState(slot, { sourceId: source.id, touched, applying: true });
  try {
    await applyPlain(slot.src, patches, log);
  } catch (error) {
    try {
      restoreTouched(slot, pristine, touched);
    } catch {
      // Refused (a link an earlier patch made): state.json still says `applying`, so the
      // next build lays the tree out afresh. The patch's own error is the one to show.
      throw error;
    }
    writeState(slot, { sourceId: source.id, touched: [], applying: false });
    throw error;
  }
  writeState(slot, { sourceId: source.id, touched, applying: false });
}

/**
 * Puts pristine copies (with a fresh mtime, so make rebuilds them) back over patched
 * files. Every path is checked to lie in its tree just before it is used, so neither a
 * patch nor state.json can have zdh remove or write a file elsewhere.
 */
function restoreTouched(slot: Slot, pristine: string, touched: readonly string[]): void {
  for (const rel of touched) {
    const dest = within(slot.src, rel);
    const orig = within(pristine, rel);
    if (!dest || !orig)
      throw infraError(`refusing to restore ${rel}: it leads out of ${slot.src} or ${pristine}`);
    // lstat: a link is removed, never followed.
    if (lstatSync(dest, { throwIfNoEntry: false })) unlinkSync(dest);
    if (existsSync(orig)) {
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(orig, dest);
    }
  }
}

/**
 * root/rel, or undefined when that leads out of root: absolute, climbing with `..`, or
 * through a symbolic link among the parents that exist (resolved with realpath; a
 * dangling link counts as leading out).
 */
function within(root: string, rel: string): string | undefined {
  const base = resolve(root);
  const path = resolve(base, rel);
  if (path === base || !isUnder(base, path)) return undefined;
  let parent = dirname(path);
  while (parent !== base && !lstatSync(parent, { throwIfNoEntry: false })) parent = dirname(parent);
  try {
    return isUnder(realpathSync(base), realpathSync(parent)) ? path : undefined;
  } catch {
    return undefined;
  }
}

function isUnder(root: string, path: string): boolean {
  const r = relative(root, path);
  return r === '' || (r !== '..' && !r.startsWith('../') && !isAbsolute(r));
}

async function prepareGit(
  slot: Slot,
  source: ResolvedSource,
  log: Writable,
  say: (msg: string) => void,
): Promise<void> {
  if (source.spec.kind !== 'git') return;
  const repo = source.spec.repo;
  const commit = source.commit!;
  const own = ownGit(slot.src);
  const git = (args: string[]) => runLogged('git', [...own.args, ...args], { env: own.env, log });
  // A .git that git does not take for a repository (damaged, half cloned) is cloned afresh.
  if (!existsSync(join(slot.src, '.git')) || (await git(['rev-parse', '--git-dir'])).exitCode !== 0) {
    say(`cloning ${repo} into the build slot (once)`);
    rmSync(slot.src, { recursive: true, force: true });
    rmSync(slot.obj, { recursive: true, force: true });
    const res = await runLogged('git', ['clone', '--quiet', '--no-checkout', repo, slot.src], {
      env: own.env,
      log,
    });
    if (res.exitCode !== 0) throw infraError(`cannot clone ${repo}`, { details: res.tail.slice(-5) });
  }
  const have = await git(['cat-file', '-e', `${commit}^{commit}`]);
  if (have.exitCode !== 0) {
    // Every ref of the repository under refs/zdh-user/, and the commit itself when asked for.
    const fetch = (...want: string[]) =>
      git(['fetch', '--quiet', '--no-tags', '--force', repo, '+refs/*:refs/zdh-user/*', ...want]);
    const res = await fetch(`+${commit}:refs/zdh/want`);
    if (res.exitCode !== 0) {
      // Fetching a bare commit id needs uploadpack.allowAnySHA1InWant; the refs cover reachable commits.
      const refsOnly = await fetch();
      if (refsOnly.exitCode !== 0)
        throw infraError(`cannot fetch ${commit} from ${repo}`, { details: refsOnly.tail.slice(-5) });
    }
  }
  if (existsSync(join(slot.src, '.git', 'rebase-apply'))) await git(['am', '--abort']);
  const co = await git(['checkout', '--quiet', '--force', '--detach', commit]);
  if (co.exitCode !== 0)
    throw infraError(`cannot check out ${commit} in ${slot.src}`, { details: co.tail.slice(-5) });
  await git(['clean', '-fdxq']);
}

/** The commit the slot's git tree is at (after patches), for the record. */
export async function slotHead(src: string): Promise<string> {
  const own = ownGit(src);
  return runCapture('git', [...own.args, 'rev-parse', 'HEAD'], { env: own.env });
}
