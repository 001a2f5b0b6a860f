import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../harness/util/paths.ts';

// The package as a user gets it (README, "Installed"): `npm pack`, then `npm install -g` of
// the tarball into a prefix of its own, then the installed `zdh` run from a folder that has
// nothing to do with zdh. It boots the default build (a cache hit once the other integration
// tests built it: the cache, ~/.cache/zdh, is shared); ZDH_TEST_KERNEL=<build> picks another.

const scratch = mkdtempSync(join(tmpdir(), 'zdh-install-test-'));
const packDir = join(scratch, 'pack');
const prefix = join(scratch, 'prefix');
const elsewhere = join(scratch, 'elsewhere');
const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
const installed = join(prefix, 'lib', 'node_modules', pkg.name);
const zdhBin = join(prefix, 'bin', 'zdh');

// A user's environment: no npm_* variables of the `npm test` around this test, and a PATH
// without the checkout's node_modules/.bin (whose `node` is the pinned Node 24), so the
// installed zdh starts with whatever `node` a user has (Debian's 20 here) and finds its own.
const userEnv: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) {
  if (v !== undefined && !/^npm_/i.test(k)) userEnv[k] = v;
}
userEnv['PATH'] = (process.env['PATH'] ?? '')
  .split(delimiter)
  .filter((d) => d !== '' && !d.includes('node_modules'))
  .join(delimiter);

async function npm(args: readonly string[], cwd: string) {
  const res = await execa('npm', [...args, '--no-audit', '--no-fund'], {
    cwd,
    reject: false,
    stdin: 'ignore',
    env: userEnv,
    extendEnv: false,
  });
  if (res.exitCode !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
  return res;
}

function installedZdh(args: readonly string[]) {
  return execa(zdhBin, args, {
    cwd: elsewhere,
    reject: false,
    stdin: 'ignore',
    env: userEnv,
    extendEnv: false,
    killDescendants: true,
  });
}

/** Every file under `dir` with its size and mtime: what a write would change. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    const st = statSync(path, { throwIfNoEntry: false });
    out.set(relative(dir, path), st ? `${st.isDirectory() ? 'd' : st.size} ${st.mtimeMs}` : 'gone');
  }
  return out;
}

let tarball: string;
let before: Map<string, string>;

beforeAll(async () => {
  for (const d of [packDir, prefix, elsewhere]) mkdirSync(d, { recursive: true });
  await npm(['pack', '--pack-destination', packDir], projectRoot);
  const tgz = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toEqual([`${pkg.name}-${pkg.version}.tgz`]);
  tarball = join(packDir, tgz[0]!);
  await npm(['install', '-g', '--prefix', prefix, tarball], elsewhere);
  before = snapshot(installed);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('npm pack, npm install -g, zdh from any folder', () => {
  it('leaves no compiled dist/ in the checkout', () => {
    expect(existsSync(join(projectRoot, 'dist'))).toBe(false);
  });

  it('installs the compiled harness and the data zdh reads, and nothing test-only', () => {
    for (const f of [
      'bin/zdh',
      'bin/zdh.js',
      'dist/cli/main.js',
      'dist/process/watchdog.js',
      'configs/suites/default.yaml',
      'configs/schema/suite.schema.json',
      'guests/rootfs/init',
      'guests/probes/zdh-dax.c',
      'kselftests/hmm-tests.yaml',
      'package.json',
    ]) {
      expect(existsSync(join(installed, f)), f).toBe(true);
    }
    for (const f of ['harness', 'test', 'scripts', 'guests/probes/tests', 'tsconfig.json']) {
      expect(existsSync(join(installed, f)), f).toBe(false);
    }
    expect(existsSync(join(installed, 'node_modules', 'node', 'bin', 'node'))).toBe(true);
  });

  it('answers --version and --help from an unrelated folder', async () => {
    const version = await installedZdh(['--version']);
    expect(version.exitCode, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = await installedZdh(['boot', '--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: zdh boot');
  });

  it('boots the default build with `zdh boot -- true`: the run folder under the cwd, the package untouched', async () => {
    const kernel = process.env['ZDH_TEST_KERNEL'];
    const res = await installedZdh(['boot', ...(kernel ? ['--kernel', kernel] : []), '--', 'true']);
    expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);

    const runs = join(elsewhere, '.zdh', 'runs');
    const folders = readdirSync(runs).filter((f) => f.startsWith('boot-'));
    expect(folders).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(runs, folders[0]!, 'result.json'), 'utf8')) as {
      exitReason: unknown;
    };
    expect(result.exitReason).toEqual({ kind: 'done' });
    expect(existsSync(join(runs, folders[0]!, 'console.log'))).toBe(true);
    // Only .zdh/ appeared in the working directory.
    expect(readdirSync(elsewhere)).toEqual(['.zdh']);

    const after = snapshot(installed);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
      (k) => before.get(k) !== after.get(k),
    );
    expect(changed).toEqual([]);
  });
});
