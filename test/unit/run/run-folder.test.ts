import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import { orchestrate } from '../../../harness/run/orchestrate.ts';
import { defaultRunDir, lockRunFolder } from '../../../harness/run/run-folder.ts';
import { silentProgress } from '../../helpers/progress.ts';

const root = mkdtempSync(join(tmpdir(), 'zdh-run-folder-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A run of no cells: orchestrate writes its folder without building or booting anything. */
const emptyRun = (runDir: string) =>
  orchestrate({
    cells: [],
    suite: 'empty',
    runDir,
    command: ['run'],
    jobs: 1,
    accel: 'tcg',
    shard: null,
    planCell: async () => ({ workloads: [], files: [], cmdlineExtra: [] }),
    expectations: { judge: ({ cases }) => cases, files: () => [] },
    progress: silentProgress,
    toolVersion: 'test',
    qemuVersion: null,
  });

/** Another zdh process holding `dir` as its run folder, until killed. */
async function otherRun(dir: string): Promise<ChildProcess> {
  const lib = resolve(import.meta.dirname, '../../../harness/run/run-folder.ts');
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { lockRunFolder } from ${JSON.stringify(lib)};
       await lockRunFolder(${JSON.stringify(dir)});
       console.log('held');
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && ok());
    child.on('exit', (code) => fail(new Error(`the other run exited (${code}) before it held the folder`)));
  });
  return child;
}

describe('the run folder', () => {
  it('is under zdh-runs/ for any suite name, or refused', () => {
    const parent = resolve('zdh-runs');
    expect(dirname(defaultRunDir('nightly'))).toBe(parent);
    for (const name of ['../../x', 'a/../../../../tmp/x', 'a/b']) {
      const err = (() => {
        try {
          return defaultRunDir(name);
        } catch (e) {
          return e;
        }
      })();
      expect(err, name).toBeInstanceOf(ZdhError);
      expect((err as ZdhError).message).toContain(name);
    }
  });

  it('is held by one run at a time: a second fails at once, naming the folder and the holder', async () => {
    const dir = join(root, 'same-process');
    const release = await lockRunFolder(dir);
    const started = Date.now();
    const err = await lockRunFolder(dir).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(ZdhError);
    expect((err as ZdhError).kind).toBe('usage');
    expect((err as ZdhError).message).toContain(dir);
    expect((err as ZdhError).message).toContain(`pid ${process.pid}`);
    await release();
    // Released: free again, and nothing of the lock is left among the run's files.
    await (await lockRunFolder(dir))();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops a second run in a folder that another process is running in, leaving its files alone', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    writeFileSync(join(dir, 'summary.json'), '{"the":"first run"}\n');
    const other = await otherRun(dir);
    const err = await emptyRun(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZdhError);
    expect((err as ZdhError).kind).toBe('usage');
    expect((err as ZdhError).message).toMatch(new RegExp(`${dir}.*pid ${other.pid}`));
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('{"the":"first run"}\n');
    expect(existsSync(join(dir, 'zdh.log'))).toBe(false);
  });

  it('holds the folder for the whole run and leaves only the run`s own files', async () => {
    const dir = join(root, 'alone');
    await emptyRun(dir);
    expect(readdirSync(dir).sort()).toEqual(['cells', 'manifest.json', 'summary.json', 'zdh.log']);
    // Free once the run is over.
    await (await lockRunFolder(dir))();
  });
});
