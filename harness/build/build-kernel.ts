import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { infraError, ZdhError } from '../errors.ts';
import { configureKernel } from '../kconfig/configure.ts';
import { defaultFragmentPaths, LAYER, loadFragment, resolveFragmentRef } from '../kconfig/fragments.ts';
import { mergeFragments } from '../kconfig/merge.ts';
import { expandPatches, type Patch } from '../patch/expand.ts';
import { runLogged } from '../process/run.ts';
import type { Progress } from '../progress/progress.ts';
import { resolveGit } from '../source/git.ts';
import { ensureUnpacked, resolveTarball } from '../source/tarball.ts';
import { resolveTree } from '../source/tree.ts';
import type { ResolvedSource } from '../source/types.ts';
import { sha256 } from '../util/hash.ts';
import { sha256File } from '../util/hash-file.ts';
import { withLock } from '../util/lock.ts';
import { cacheRoot } from '../util/paths.ts';
import { buildKey, patchIdentity, requestKey, slotKey } from './cache-key.ts';
import { firstCompilerErrors } from './compiler-errors.ts';
import { hugepageTuning, nmTuning } from './host-tuning.ts';
import type { KernelSpec } from './kernel-spec.ts';
import { prepareSlot, type Slot, slotFor, slotHead } from './slot.ts';
import {
  buildDir,
  buildPaths,
  lookupRequest,
  publish,
  readBuild,
  recordRequest,
  stagingDir,
  sweepCacheLeftovers,
  writeRecord,
} from './store.ts';
import { hasCcache, toolchainId } from './toolchain.ts';
import type { BuildRecord } from './types.ts';

export interface BuildOptions {
  progress: Progress;
  cache?: string;
  jobs?: number;
  /** Also stream the build log here (a run folder's build.log). */
  logFile?: string;
  /** Ignore a cached build and build again. */
  force?: boolean;
}

/** Paths of the kernel tree that guest programs are compiled from (see BuildRecord.ksrc). */
export const KSRC_PATHS = [
  'tools/testing/selftests',
  // lib.mk's TOOLS_INCLUDES (-isystem tools/include/uapi): the tree's own uapi headers that
  // the selftests' helper sources need (6.12's and mainline's mm/vm_util.c: <linux/fs.h> with
  // PAGEMAP_SCAN and PROCMAP_QUERY, newer than a host's). About 2 MB. Its asm/ headers include
  // ../../../arch/x86/include/uapi/asm/*.h, hence the x86 part of tools/arch too.
  'tools/include',
  'tools/arch/x86/include/uapi',
  'lib/test_hmm_uapi.h',
  'mm/gup_test.h',
  'include/uapi/linux/userfaultfd.h',
];

/** Source + patches + config → a cached, bootable build. */
export async function buildKernel(spec: KernelSpec, opts: BuildOptions): Promise<BuildRecord> {
  const started = performance.now();
  const cache = opts.cache ?? cacheRoot();
  const { progress } = opts;
  // What a killed zdh left (staging folders, half-unpacked tarballs, socket folders).
  await sweepCacheLeftovers(cache);

  const source = await resolveSource(spec, cache);
  const patches = expandPatches(spec.patches);
  const { fragments, merged } = loadFragments(spec, progress);
  const base = existsSync(spec.base) ? `file:${await sha256File(spec.base)}` : spec.base;
  const toolchain = await toolchainId('gcc', cache);
  const fragKeys = fragments.map((f) => ({ layer: f.layer, sha256: f.sha256 }));
  const reqKey = requestKey({
    sourceId: source.id,
    patchShas: patches.map(patchIdentity),
    base,
    fragments: fragKeys,
    toolchain,
  });

  // A cached build was made from the same content, perhaps under another name (another
  // clone, ref, tree path or patch file name): the record says how *this* request named it.
  const asRequested = (r: BuildRecord): BuildRecord => ({
    ...r,
    inputs: {
      ...r.inputs,
      source: sourceSummary(source),
      patches: patches.map((p) => ({ name: p.name, sha256: p.sha256 })),
    },
  });
  const hit = opts.force ? undefined : lookupRequest(cache, reqKey);
  if (hit) return { ...asRequested(hit), cached: true, seconds: elapsed(started) };

  // Slots follow a configuration's identity (which fragments, not their content): kbuild
  // rebuilds incrementally when a fragment changes, a new slot would rebuild everything.
  const slot = slotFor(
    cache,
    slotKey(
      source.family,
      spec.base,
      fragments.map((f) => ({ layer: f.layer, name: f.name })),
    ),
  );
  const ctx: SlotBuild = {
    opts,
    cache,
    reqKey,
    asRequested,
    started,
    slot,
    source,
    patches,
    spec,
    merged,
    fragments,
    useCcache: hasCcache(),
    toolchain,
  };
  return withLock(
    slot.dir,
    (slotLost) => buildInSlot(ctx, slotLost),
    () => progress.step('waiting for another build in the same slot'),
  );
}

interface SlotBuild {
  opts: BuildOptions;
  cache: string;
  reqKey: string;
  asRequested: (r: BuildRecord) => BuildRecord;
  started: number;
  slot: Slot;
  source: ResolvedSource;
  patches: Patch[];
  spec: KernelSpec;
  merged: ReturnType<typeof mergeFragments>;
  fragments: ReturnType<typeof loadFragment>[];
  useCcache: boolean;
  toolchain: string;
}

/** In the slot, under its lock: prepare the tree, configure, and build unless the final config is cached. */
async function buildInSlot(c: SlotBuild, slotLost: AbortSignal): Promise<BuildRecord> {
  const { opts, cache, slot, source, patches } = c;
  const { progress } = opts;
  const again = opts.force ? undefined : lookupRequest(cache, c.reqKey);
  if (again) return { ...c.asRequested(again), cached: true, seconds: elapsed(c.started) };

  mkdirSync(join(slot.dir, 'logs'), { recursive: true });
  const slotLogPath = join(slot.dir, 'logs', `build-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const log = teeLog(slotLogPath, opts.logFile);
  try {
    if (source.spec.kind === 'tarball') await ensureUnpacked(source, (m) => progress.step(m));
    progress.step(`preparing ${describe(source)}${patches.length ? ` + ${patches.length} patch(es)` : ''}`);
    await prepareSlot(slot, source, patches, log, (m) => progress.detail(m));
    mkdirSync(slot.obj, { recursive: true });
    // NM for every make of the build, configure included (Kconfig's RELR check runs it).
    const nm = await nmTuning();
    for (const n of nm.notes) {
      log.write(`zdh: ${n}\n`);
      progress.detail(n);
    }
    const makeArgs = [...makeVariables(c.useCcache), ...nm.makeArgs];
    progress.step(`configuring (${c.spec.base} + ${c.fragments.length} fragment(s))`);
    const env = ccacheEnv(cache);
    const { finalConfig, notes } = await configureKernel({
      src: slot.src,
      obj: slot.obj,
      base: c.spec.base,
      merged: c.merged,
      makeArgs,
      env,
      log,
    });
    for (const n of notes) progress.warn(`kconfig note: ${n}`);
    const configNotes = notes.length > 0 ? { configNotes: notes } : {};
    const bKey = buildKey({
      sourceId: source.id,
      patchShas: patches.map(patchIdentity),
      finalConfig,
      toolchain: c.toolchain,
    });
    const existing = opts.force ? undefined : readBuild(buildDir(cache, bKey));
    if (existing) {
      recordRequest(cache, c.reqKey, bKey);
      return { ...c.asRequested(existing), ...configNotes, cached: true, seconds: elapsed(c.started) };
    }
    const staging = await compileAndInstall({
      slot,
      jobs: opts.jobs ?? availableParallelism() + 1,
      makeArgs,
      env,
      toolchain: c.toolchain,
      log,
      slotLogPath,
      logFile: opts.logFile,
      useCcache: c.useCcache,
      hasPatches: patches.length > 0,
      cache,
      bKey,
      progress,
      slotLost,
    });
    const record = await collect({
      staging,
      dest: buildDir(cache, bKey),
      slot,
      source,
      patches,
      spec: c.spec,
      fragments: c.fragments,
      finalConfig,
      toolchain: c.toolchain,
      bKey,
      notes,
    });
    await closeLog(log);
    cpSync(slotLogPath, join(staging, 'build.log'));
    writeRecord(staging, record);
    // --force replaces the cached build; otherwise a sound one published meanwhile is kept.
    publish(staging, buildDir(cache, bKey), { replace: opts.force === true });
    recordRequest(cache, c.reqKey, bKey);
    return { ...record, cached: false, seconds: elapsed(c.started) };
  } finally {
    await closeLog(log);
  }
}

/** The default fragments and the spec's own, loaded and merged; disagreeing fragments stop the build. */
function loadFragments(
  spec: KernelSpec,
  progress: BuildOptions['progress'],
): { fragments: ReturnType<typeof loadFragment>[]; merged: ReturnType<typeof mergeFragments> } {
  const fragmentPaths = [
    ...(spec.defaultFragments ? defaultFragmentPaths().map((p) => ({ path: p, layer: LAYER.defaults })) : []),
    ...spec.fragments.map((f) => ({ path: resolveFragmentRef(f.ref), layer: f.layer })),
  ];
  const fragments = fragmentPaths.map((f) => loadFragment(f.path, f.layer));
  const merged = mergeFragments(fragments);
  if (merged.conflicts.length > 0) {
    throw new ZdhError('config', 'kconfig fragments disagree', {
      details: merged.conflicts.map(
        (c) =>
          `CONFIG_${c.name}: ${c.origins.map((o) => `${o.value} (${o.fragment}:${o.line})`).join(' vs ')}`,
      ),
      hint: 'remove one of the settings, or pass the one that should win with --config (the command line overrides)',
    });
  }
  for (const o of merged.overrides) {
    progress.detail(
      `CONFIG_${o.name}=${o.winner.value} from ${o.winner.fragment} overrides ${o.overridden.map((x) => x.fragment).join(', ')}`,
    );
  }
  return { fragments, merged };
}

interface CompileArgs {
  slot: Slot;
  jobs: number;
  makeArgs: string[];
  env: Record<string, string>;
  toolchain: string;
  log: Writable;
  slotLogPath: string;
  logFile: string | undefined;
  useCcache: boolean;
  hasPatches: boolean;
  cache: string;
  bKey: string;
  progress: BuildOptions['progress'];
  slotLost: AbortSignal;
}

/** make bzImage and modules (one kernel build per host at a time), then modules_install into a staging folder. */
async function compileAndInstall(a: CompileArgs): Promise<string> {
  const { slot, makeArgs, log, progress } = a;
  // Only a build that compiles needs huge pages for its compiler.
  const hugepages = await hugepageTuning(a.cache, a.toolchain);
  log.write(`zdh: ${hugepages.note}\n`);
  progress.detail(hugepages.note);
  const env = { ...a.env, ...hugepages.env };
  // One job more than CPUs keeps both busy while make waits on I/O or a serial step (measured: 1.82 of 2 CPUs at -j2).
  progress.step(`building bzImage and modules (-j${a.jobs}${a.useCcache ? ', ccache' : ''})`);
  let compiled = 0;
  // One kernel build at a time per host: a build already uses every core.
  const res = await withLock(
    join(a.cache, 'locks', 'host-build'),
    (hostLost) =>
      runLogged('make', ['-C', slot.src, `O=${slot.obj}`, `-j${a.jobs}`, ...makeArgs, 'bzImage', 'modules'], {
        log,
        env,
        // A lost lock (withLock) stops make: another build may own the slot now.
        signal: AbortSignal.any([a.slotLost, hostLost]),
        onLine: (line) => {
          if (/^\s+(CC|AS|LD|AR)\b/.test(line)) compiled++;
          progress.detail(`${compiled} steps, ${line.trim()}`);
        },
      }),
    () => progress.step('waiting for another kernel build on this host to finish'),
  );
  if (res.canceled) throw infraError('build interrupted');
  if (res.exitCode !== 0) {
    await closeLog(log);
    const errors = firstCompilerErrors(readFileSync(a.slotLogPath, 'utf8'));
    throw infraError(`kernel build failed (make exit ${res.exitCode ?? res.signal})`, {
      details: [...errors, `build log: ${a.logFile ?? a.slotLogPath}`],
      hint: a.hasPatches ? 'a patch may break the build; see the first error above' : 'see the build log',
    });
  }
  // Objects another build may have written into are not published.
  a.slotLost.throwIfAborted();
  progress.step('collecting the build');
  const staging = stagingDir(a.cache, a.bKey);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const inst = await runLogged(
    'make',
    [
      '-C',
      slot.src,
      `O=${slot.obj}`,
      ...makeArgs,
      `INSTALL_MOD_PATH=${join(staging, 'modules')}`,
      'DEPMOD=/sbin/depmod',
      'modules_install',
    ],
    { log, env },
  );
  if (inst.exitCode !== 0) throw infraError('make modules_install failed', { details: inst.tail.slice(-10) });
  return staging;
}

/** How a build record names its source: the request's own location, ref and commit. */
function sourceSummary(source: ResolvedSource): BuildRecord['inputs']['source'] {
  return {
    kind: source.spec.kind,
    location: source.spec.kind === 'git' ? source.spec.repo : source.spec.path,
    id: source.id,
    ...(source.spec.kind === 'git' ? { ref: source.spec.ref, commit: source.commit! } : {}),
  };
}

async function resolveSource(spec: KernelSpec, cache: string): Promise<ResolvedSource> {
  switch (spec.source.kind) {
    case 'tarball':
      return resolveTarball(spec.source.path, cache);
    case 'tree':
      return resolveTree(spec.source.path);
    case 'git':
      return resolveGit(spec.source.repo, spec.source.ref);
  }
}

function describe(s: ResolvedSource): string {
  if (s.spec.kind === 'git') return `${basename(s.spec.repo)} ${s.commit?.slice(0, 12)} (${s.subject ?? ''})`;
  return s.spec.path;
}

/** Make variables every invocation shares: ccache, and a fixed build stamp for reproducible builds and ccache hits. */
function makeVariables(ccache: boolean): string[] {
  return [
    ...(ccache ? ['CC=ccache gcc'] : []),
    'KBUILD_BUILD_TIMESTAMP=zdh',
    'KBUILD_BUILD_USER=zdh',
    'KBUILD_BUILD_HOST=zdh',
  ];
}

function ccacheEnv(cache: string): Record<string, string> {
  return {
    CCACHE_DIR: process.env['CCACHE_DIR'] ?? join(cache, 'ccache'),
    CCACHE_MAXSIZE: process.env['CCACHE_MAXSIZE'] ?? '5G',
    CCACHE_SLOPPINESS: 'time_macros',
    // Slots differ only in their folder: with paths made relative to the slots folder and
    // the working folder left out of the hash, one slot's objects serve every other slot.
    CCACHE_BASEDIR: join(cache, 'slots'),
    CCACHE_NOHASHDIR: '1',
    // Depend mode: on a miss ccache takes the headers from the compiler's own -MMD output
    // instead of running the preprocessor a second time, so a cold build pays (almost)
    // nothing for the cache. Hits are direct-mode hits, as before.
    CCACHE_DEPEND: '1',
  };
}

async function collect(a: {
  staging: string;
  dest: string;
  slot: { src: string; obj: string };
  source: ResolvedSource;
  patches: readonly Patch[];
  spec: KernelSpec;
  fragments: readonly { name: string; sha256: string }[];
  finalConfig: string;
  toolchain: string;
  bKey: string;
  notes: readonly string[];
}): Promise<BuildRecord> {
  const { staging, dest, slot } = a;
  cpSync(join(slot.obj, 'arch/x86/boot/bzImage'), join(staging, 'bzImage'));
  cpSync(join(slot.obj, 'vmlinux'), join(staging, 'vmlinux'));
  cpSync(join(slot.obj, 'System.map'), join(staging, 'System.map'));
  writeFileSync(join(staging, 'config'), a.finalConfig);
  for (const rel of KSRC_PATHS) {
    const from = join(slot.src, rel);
    if (existsSync(from)) cpSync(from, join(staging, 'ksrc', rel), { recursive: true });
  }
  const kernelRelease = readFileSync(join(slot.obj, 'include/config/kernel.release'), 'utf8').trim();
  const head = a.source.spec.kind === 'git' ? await slotHead(slot.src) : undefined;
  return {
    cacheKey: a.bKey,
    cached: false,
    ...buildPaths(dest),
    kernelRelease,
    seconds: 0,
    ...(a.notes.length > 0 ? { configNotes: [...a.notes] } : {}),
    inputs: {
      source: sourceSummary(a.source),
      patches: a.patches.map((p) => ({ name: p.name, sha256: p.sha256 })),
      base: a.spec.base,
      fragments: a.fragments.map((f) => ({ name: f.name, sha256: f.sha256 })),
      configSha256: sha256(a.finalConfig),
      toolchain: a.toolchain,
      createdAt: new Date().toISOString(),
      ...(head ? { head } : {}),
    },
  };
}

/** A log stream that writes to the slot's log and, when asked, a run folder's copy too. */
function teeLog(primary: string, secondary: string | undefined): Writable {
  const a = createWriteStream(primary, { flags: 'a' });
  if (!secondary) return a;
  const b = createWriteStream(secondary, { flags: 'a' });
  return new Writable({
    write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void) {
      a.write(chunk);
      b.write(chunk, cb);
    },
    final(cb: (e?: Error | null) => void) {
      a.end(() => b.end(cb));
    },
  });
}

function closeLog(log: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (log.writableEnded) resolve();
    else log.end(() => resolve());
  });
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) / 100) / 10;
}
