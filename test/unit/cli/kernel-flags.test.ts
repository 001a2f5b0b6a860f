import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultKernelSpec } from '../../../harness/build/kernel-spec.ts';
import { machineKernelSpec } from '../../../harness/cli/commands/boot.ts';
// The command list first: run.ts and main.ts import each other.
import { commands } from '../../../harness/cli/commands/index.ts';
import { narrowingFromFlags } from '../../../harness/cli/commands/run.ts';
import {
  addKernelOptions,
  addSourceOptions,
  kernelSpecFromFlags,
  sourceFromFlags,
} from '../../../harness/cli/kernel-flags.ts';
import { buildProgram, main } from '../../../harness/cli/main.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { LAYER } from '../../../harness/kconfig/fragments.ts';
import { expandMatrix } from '../../../harness/suite/matrix.ts';
import { narrowSuite } from '../../../harness/suite/narrow.ts';
import { loadSuite, type Suite } from '../../../harness/suite/suite.ts';
import { NO_NARROWING } from '../../helpers/narrowing.ts';

/** Parses argv with the shared kernel options on a bare command and returns what commander made of them. */
function parse(argv: string[], add = addKernelOptions): Record<string, unknown> {
  const cmd = add(new Command('x').exitOverride());
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

describe('the shared kernel flags', () => {
  it('compose a spec: the source replaced, patches and fragments appended, the defaults kept', async () => {
    const spec = await kernelSpecFromFlags(
      parse(['--tree', 'linux', '--patches', 'a.patch', '--config', 'kasan', '--base', 'defconfig']),
    );
    expect(spec).toEqual({
      ...defaultKernelSpec(),
      source: { kind: 'tree', path: resolve('linux') },
      patches: [resolve('a.patch')],
      base: 'defconfig',
      fragments: [{ ref: 'kasan', layer: LAYER.commandLine }],
    });
  });

  it('give the default spec when no flag is given', async () => {
    expect(await kernelSpecFromFlags(parse([]))).toEqual(defaultKernelSpec());
  });

  it('--tarball and --git --ref name their sources; --no-default-fragments drops the defaults', async () => {
    expect(sourceFromFlags({ tarball: '/usr/src/linux-source-6.12.tar.xz' })).toEqual({
      kind: 'tarball',
      path: '/usr/src/linux-source-6.12.tar.xz',
    });
    const spec = await kernelSpecFromFlags(
      parse(['--git', '/src/linux', '--ref', 'v6.12', '--no-default-fragments']),
    );
    expect(spec.source).toEqual({ kind: 'git', repo: '/src/linux', ref: 'v6.12' });
    expect(spec.defaultFragments).toBe(false);
  });

  it('--git without --ref, --ref without --git and two sources are usage errors', () => {
    const usage = (f: Record<string, string>) => {
      try {
        sourceFromFlags(f);
      } catch (e) {
        return e instanceof ZdhError ? `${e.kind}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(usage({ git: '/src/linux' })).toBe('usage: --git needs --ref');
    expect(usage({ ref: 'v6.1' })).toBe('usage: --ref needs --git');
    expect(usage({ tree: 'a', tarball: 'b' })).toMatch(/^usage: give only one of/);
  });

  it('are the same options on build, boot, shell and (the source ones) run', async () => {
    expect(commands.length).toBeGreaterThan(4);
    const program = await buildProgram({ code: 0 }, commands);
    const longs = (name: string) =>
      program.commands.find((c) => c.name() === name)!.options.map((o) => o.long);
    const source = new Command('x');
    addSourceOptions(source);
    const sourceLongs = source.options.map((o) => o.long);
    expect(sourceLongs).toEqual(['--tarball', '--tree', '--git', '--ref', '--base']);
    const kernel = new Command('x');
    addKernelOptions(kernel);
    const kernelLongs = kernel.options.map((o) => o.long);
    for (const name of ['build', 'boot', 'shell'])
      expect(longs(name)).toEqual(expect.arrayContaining(kernelLongs));
    expect(longs('run')).toEqual(expect.arrayContaining(sourceLongs));
  });

  it('zdh boot/shell: --kernel with a source flag is a usage error; without flags the --kernel path is used', async () => {
    await expect(
      machineKernelSpec({ kernel: 'abc', tree: '/src/linux', defaultFragments: true }),
    ).rejects.toThrow(/--kernel names a finished build/);
    expect(await machineKernelSpec({ kernel: 'abc', defaultFragments: true })).toBeUndefined();
    expect(await machineKernelSpec({ defaultFragments: true })).toBeUndefined();
    expect((await machineKernelSpec({ tarball: '/k.tar.xz', defaultFragments: true }))?.source).toEqual({
      kind: 'tarball',
      path: '/k.tar.xz',
    });
  });
});

describe('exit status 2 for a usage error, before anything is built', () => {
  let cache: string;
  const saved = process.env['ZDH_CACHE_DIR'];
  beforeAll(() => {
    cache = mkdtempSync(join(tmpdir(), 'zdh-flags-'));
    // Nothing may be built; if it were, it would land here and not in the user's cache.
    process.env['ZDH_CACHE_DIR'] = cache;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['ZDH_CACHE_DIR'];
    else process.env['ZDH_CACHE_DIR'] = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  for (const argv of [
    ['run', '--git', '/nonexistent/linux'],
    ['build', '--git', '/nonexistent/linux'],
    ['boot', '--git', '/nonexistent/linux', '--', 'true'],
    ['shell', '--git', '/nonexistent/linux'],
    ['run', '--ref', 'v6.1'],
    ['boot', '--kernel', 'abc', '--tree', '/nonexistent/linux', '--', 'true'],
  ]) {
    it(`zdh ${argv.join(' ')}`, async () => {
      expect(await main(argv)).toBe(2);
    });
  }
});

describe('zdh run with a source flag', () => {
  const nightly = (): Suite => loadSuite('nightly');
  /** The suite as `zdh run` narrows it for these flags. */
  const narrow = (suite: Suite, f: Parameters<typeof narrowingFromFlags>[0]): Suite =>
    narrowSuite(suite, narrowingFromFlags(f));

  it('replaces the suite`s kernels with that one kernel in every cell; machines, workloads and repeats stay', () => {
    const suite = nightly();
    expect(suite.kernels.length).toBeGreaterThan(1);
    const narrowed = narrow(suite, { tree: '/home/dev/linux', repeat: 2 });
    const cells = expandMatrix(narrowed);
    expect(cells.length).toBe(suite.machines.length * 2);
    for (const c of cells) {
      expect(c.kernel.name).toBe('linux');
      expect(c.kernel.spec.source).toEqual({ kind: 'tree', path: '/home/dev/linux' });
      expect(c.kernel.spec.defaultFragments).toBe(true);
      expect(c.kernel.spec.base).toBe('tinyconfig');
      expect(c.workloads).toEqual(suite.workloads);
    }
    expect(new Set(cells.map((c) => c.machine))).toEqual(new Set(suite.machines));
  });

  it('adds --patches and --config to the kernel from the command line', () => {
    const [k] = narrow(nightly(), {
      tarball: '/usr/src/linux-source-6.12.tar.xz',
      patches: ['fix.patch'],
      config: ['kasan'],
    }).kernels;
    expect(k!.name).toBe('linux-source-6.12');
    expect(k!.spec.source).toEqual({ kind: 'tarball', path: '/usr/src/linux-source-6.12.tar.xz' });
    expect(k!.spec.patches).toEqual([resolve('fix.patch')]);
    expect(k!.spec.fragments).toEqual([{ ref: 'kasan', layer: LAYER.commandLine }]);
  });

  it('keeps the suite`s kernels without a source flag; --base alone applies to each', () => {
    const suite = nightly();
    expect(narrow(suite, {}).kernels).toEqual(suite.kernels);
    const based = narrow(suite, { base: 'defconfig' }).kernels;
    expect(based.map((k) => k.name)).toEqual(suite.kernels.map((k) => k.name));
    expect(based.every((k) => k.spec.base === 'defconfig')).toBe(true);
  });

  it('moves a matrix include to the new kernel and drops excludes that named the suite`s kernels', () => {
    const suite: Suite = {
      ...nightly(),
      machines: ['default', 'big'],
      repeats: 1,
      matrix: {
        include: [{ kernel: 'debian-6.1-debug', machine: 'big' }],
        exclude: [{ kernel: 'debian-6.1-debug', machine: 'default' }, { machine: 'small' }],
      },
    };
    const narrowed = narrow(suite, { git: '/src/linux', ref: 'HEAD' });
    expect(narrowed.matrix).toEqual({
      include: [{ kernel: 'linux@HEAD', machine: 'big' }],
      exclude: [{ machine: 'small' }],
    });
    expect(expandMatrix(narrowed).map((c) => c.id)).toEqual(['linux@HEAD@big#1']);
  });
});

describe('zdh run: the narrowing flags parsed', () => {
  it('makes paths absolute, keeps names, and leaves out what was not given', () => {
    expect(narrowingFromFlags({})).toEqual(NO_NARROWING);
    expect(
      narrowingFromFlags({
        tree: 'linux',
        base: 'defconfig',
        patches: ['b.patch', 'a.patch'],
        config: ['kasan', 'x/y.config'],
        machine: ['big'],
        workload: ['hmm-tests'],
        repeat: 3,
      }),
    ).toEqual({
      source: { kind: 'tree', path: resolve('linux') },
      base: 'defconfig',
      patches: [resolve('b.patch'), resolve('a.patch')],
      config: ['kasan', 'x/y.config'],
      machines: ['big'],
      workloads: ['hmm-tests'],
      repeat: 3,
    });
    expect(narrowingFromFlags({ base: 'my/.config' }).base).toBe(resolve('my/.config'));
  });

  it('refuses conflicting source flags as usage errors', () => {
    expect(() => narrowingFromFlags({ git: '/src/linux' })).toThrow(/--git needs --ref/);
    expect(() => narrowingFromFlags({ tree: 'a', tarball: 'b' })).toThrow(/give only one of/);
  });
});
