import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { infraError } from '../errors.ts';
import { applyGit, applyPlain } from '../patch/apply.ts';
import type { Patch } from '../patch/expand.ts';
import { touchedPaths } from '../patch/series.ts';
import { runCapture, runLogged } from '../process/run.ts';
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
  mkdirSync(slot.dir, { recursive: true });
  if (source.spec.kind === 'git') {
    await prepareGit(slot, source, log, say);
    await applyGit(slot.src, patches, log);
    return;
  }
  const pristine = source.pristine!;
  const state = readState(slot);
  if (!state || state.applying || state.sourceId !== source.id || !existsSync(join(slot.src, 'Makefile'))) {
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
  } else {
    restoreTouched(slot, pristine, state.touched);
  }
  const touched = [...new Set(patches.flatMap((p) => touchedPaths(p.text, p.strip)))];
  writeState(slot, { sourceId: source.id, touched, applying: true });
  try {
    await applyPlain(slot.src, patches, log);
  } catch (error) {
    restoreTouched(slot, pristine, touched);
    writeState(slot, { sourceId: source.id, touched: [], applying: false });
    throw error;
  }
  writeState(slot, { sourceId: source.id, touched, applying: false });
}

/** Puts pristine copies (with a fresh mtime, so make rebuilds them) back over patched files. */
function restoreTouched(slot: Slot, pristine: string, touched: readonly string[]): void {
  for (const rel of touched) {
    const dest = join(slot.src, rel);
    if (existsSync(dest)) unlinkSync(dest);
    const orig = join(pristine, rel);
    if (existsSync(orig)) {
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(orig, dest);
    }
  }
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
  const git = (args: string[]) => runLogged('git', ['-C', slot.src, ...args], { log });
  if (!existsSync(join(slot.src, '.git'))) {
    say(`cloning ${repo} into the build slot (once)`);
    rmSync(slot.src, { recursive: true, force: true });
    rmSync(slot.obj, { recursive: true, force: true });
    const res = await runLogged('git', ['clone', '--quiet', '--no-checkout', repo, slot.src], { log });
    if (res.exitCode !== 0) throw infraError(`cannot clone ${repo}`, { details: res.tail.slice(-5) });
  }
  const have = await git(['cat-file', '-e', `${commit}^{commit}`]);
  if (have.exitCode !== 0) {
    const res = await git([
      'fetch',
      '--quiet',
      '--no-tags',
      '--force',
      repo,
      '+refs/*:refs/zdh-user/*',
      `+${commit}:refs/zdh/want`,
    ]);
    if (res.exitCode !== 0) {
      // Fetching a bare commit id needs uploadpack.allowAnySHA1InWant; the refs cover reachable commits.
      const refsOnly = await git([
        'fetch',
        '--quiet',
        '--no-tags',
        '--force',
        repo,
        '+refs/*:refs/zdh-user/*',
      ]);
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
  return runCapture('git', ['-C', src, 'rev-parse', 'HEAD']);
}
