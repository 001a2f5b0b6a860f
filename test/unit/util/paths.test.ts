import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, siblingModule } from '../../../harness/util/paths.ts';
import { systemNode } from '../../helpers/zdh.ts';

describe('siblingModule', () => {
  it('keeps the extension of the module it is called from', () => {
    expect(siblingModule('watchdog', 'file:///repo/harness/process/run.ts')).toBe(
      '/repo/harness/process/watchdog.ts',
    );
    expect(
      siblingModule('watchdog', 'file:///p/lib/node_modules/zone-device-harness/dist/process/run.js'),
    ).toBe('/p/lib/node_modules/zone-device-harness/dist/process/watchdog.js');
  });

  it('survives characters a URL escapes', () => {
    const from = pathToFileURL('/tmp/a b/#x/run.ts').href;
    expect(siblingModule('watchdog', from)).toBe('/tmp/a b/#x/watchdog.ts');
  });
});

describe('the packed package (npm pack)', () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    name: string;
    files: string[];
    bin: Record<string, string>;
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
  };

  it('is found from harness/util/paths.ts', () => {
    expect(pkg.name).toBe('zone-device-harness');
  });

  it('ships what zdh reads at run time, compiled, and nothing test-only', () => {
    expect(pkg.files).toEqual(
      expect.arrayContaining(['bin/zdh', 'bin/zdh.js', 'dist', 'configs', 'guests', 'kselftests']),
    );
    expect(pkg.files).toContain('!guests/probes/tests');
    expect(pkg.files.some((f) => /^(harness|test|scripts)\b/.test(f))).toBe(false);
    expect(Object.values(pkg.bin)).toEqual(['bin/zdh']);
    expect(pkg.scripts['prepack']).toContain('tsc -p tsconfig.build.json');
    // An installed package has no devDependencies: the Node 24 it runs on is a dependency.
    expect(pkg.dependencies['node']).toMatch(/^24\./);
  });

  it('compiles harness/ to dist/ at the same depth, so projectRoot holds in both', () => {
    const text = readFileSync(join(projectRoot, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const build = JSON.parse(text) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(build.compilerOptions.rootDir).toBe('harness');
    expect(relative(projectRoot, join(projectRoot, build.compilerOptions.outDir)).split('/')).toHaveLength(1);
  });
});

describe('bin/zdh.js in an installed package', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'zdh-launcher-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** An installed layout: the launcher and a compiled dist/cli/main.js, no harness/ sources. */
  function layout(name: string, opts: { pinned?: boolean } = {}): string {
    const root = join(scratch, name);
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync(join(projectRoot, 'bin', 'zdh.js'), join(root, 'bin', 'zdh.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    writeFileSync(
      join(root, 'dist', 'cli', 'main.js'),
      'export async function main(argv) { process.stdout.write("compiled main " + argv.join(" ") + "\\n"); return 7; }\n',
    );
    if (opts.pinned) {
      const node = join(root, 'node_modules', 'node');
      mkdirSync(join(node, 'bin'), { recursive: true });
      writeFileSync(join(node, 'package.json'), '{"name":"node","version":"24.0.0"}\n');
      writeFileSync(join(node, 'bin', 'node'), '#!/bin/sh\necho "pinned node: $*"\nexit 5\n', {
        mode: 0o755,
      });
    }
    return join(root, 'bin', 'zdh.js');
  }

  const oldNode = systemNode();
  const [major = 0, minor = 0] = execFileSync(oldNode, ['-p', 'process.versions.node'], { encoding: 'utf8' })
    .trim()
    .split('.')
    .map(Number);
  const isOld = major < 22 || (major === 22 && minor < 18);

  it('runs the compiled dist/cli/main.js under Node 24', () => {
    const r = spawnSync(process.execPath, [layout('new'), 'cache', 'ls'], { encoding: 'utf8' });
    expect(r.stdout).toBe('compiled main cache ls\n');
    expect(r.status).toBe(7);
  });

  it.skipIf(!isOld)('re-runs itself with the node dependency under an old Node', () => {
    const zdh = layout('pinned', { pinned: true });
    const r = spawnSync(oldNode, [zdh, '--version'], { encoding: 'utf8' });
    expect(r.stdout).toBe(`pinned node: ${zdh} --version\n`);
    expect(r.status).toBe(5);
  });

  it.skipIf(!isOld)('says how to reinstall when that Node is missing (exit 2, 128 under bisect)', () => {
    const zdh = layout('missing');
    const r = spawnSync(oldNode, [zdh, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('needs Node >= 24');
    expect(r.stderr).toContain('npm install -g');
    expect(r.stderr).not.toContain('scripts/setup.sh');
    expect(spawnSync(oldNode, [zdh, 'bisect-step'], { encoding: 'utf8' }).status).toBe(128);
  });
});

describe('bin/zdh, the command npm installs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'zdh-sh-launcher-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A fake Node that says how it was started: the launcher must run it once, on zdh.js. */
  function fakeNode(dir: string, says: string): void {
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(
      join(dir, 'bin', 'node'),
      `#!/bin/sh\nprintf '${says}:'; printf ' [%s]' "$@"; echo; exit 6\n`,
      {
        mode: 0o755,
      },
    );
  }

  /** The package's bin/ (the two launchers) under `root`; returns bin/zdh. */
  function pkgAt(root: string): string {
    mkdirSync(join(root, 'bin'), { recursive: true });
    for (const f of ['zdh', 'zdh.js']) copyFileSync(join(projectRoot, 'bin', f), join(root, 'bin', f));
    return join(root, 'bin', 'zdh');
  }

  it('runs zdh.js with the node dependency of its own package, passing every argument as it is', () => {
    const root = join(scratch, 'own');
    const zdh = pkgAt(root);
    fakeNode(join(root, 'node_modules', 'node'), 'pinned');
    const r = spawnSync(zdh, ['run', '--suite', 'a b', ''], { encoding: 'utf8' });
    expect(r.stdout).toBe(`pinned: [${join(root, 'bin', 'zdh.js')}] [run] [--suite] [a b] []\n`);
    expect(r.status).toBe(6);
  });

  it('finds a node dependency installed in a folder above (hoisted), through a symlinked command', () => {
    const top = join(scratch, 'hoisted');
    const root = join(top, 'node_modules', 'zone-device-harness');
    const zdh = pkgAt(root);
    fakeNode(join(top, 'node_modules', 'node'), 'hoisted');
    // npm install -g links <prefix>/bin/zdh to the package's bin/zdh.
    mkdirSync(join(scratch, 'prefix-bin'), { recursive: true });
    const link = join(scratch, 'prefix-bin', 'zdh');
    symlinkSync(zdh, link);
    const r = spawnSync(link, ['--version'], { encoding: 'utf8' });
    expect(r.stdout).toBe(`hoisted: [${join(root, 'bin', 'zdh.js')}] [--version]\n`);
  });

  it('falls back to the node on PATH without a node dependency, which then says what is missing', () => {
    const root = join(scratch, 'none');
    const zdh = pkgAt(root);
    const pathBin = join(scratch, 'path-bin');
    fakeNode(join(scratch, 'path'), 'path node');
    mkdirSync(pathBin, { recursive: true });
    symlinkSync(join(scratch, 'path', 'bin', 'node'), join(pathBin, 'node'));
    const r = spawnSync(zdh, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${pathBin}:/usr/bin:/bin` },
    });
    expect(r.stdout).toBe(`path node: [${join(root, 'bin', 'zdh.js')}] [--version]\n`);
  });
});
