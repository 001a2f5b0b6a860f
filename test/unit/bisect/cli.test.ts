import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { positiveCount } from '../../../harness/cli/arg-parsers.ts';
import { selectionFromFlags } from '../../../harness/cli/commands/bisect.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { projectRoot } from '../../../harness/util/paths.ts';
import { selection } from '../../helpers/selection.ts';

describe('selection flags', () => {
  it('defaults: the default suite, one run, auto accelerator, no signature', () => {
    expect(selectionFromFlags({})).toEqual(selection());
  });

  it('makes paths absolute so a resumed bisect finds them from anywhere; names stay names', () => {
    const s = selectionFromFlags({
      patches: ['fixes/one.patch'],
      config: ['kasan', 'package.json'],
      suite: 'nightly',
      workload: ['hmm-tests'],
      repeat: 3,
      defaultFragments: false,
    });
    expect(s.patches).toEqual([resolve('fixes/one.patch')]);
    expect(s.config).toEqual(['kasan', resolve('package.json')]);
    expect(s).toMatchObject({
      suite: 'nightly',
      workloads: ['hmm-tests'],
      repeat: 3,
      defaultFragments: false,
    });
  });

  it('checks --match and --ignore before anything runs', () => {
    expect(() => selectionFromFlags({ match: ['/(/'] })).toThrow(ZdhError);
    expect(() => selectionFromFlags({ ignore: ['hang:'] })).toThrow(ZdhError);
  });

  it('--repeat parses with commander’s error type (so bisect-step can map it to its abort code)', () => {
    expect(positiveCount('3')).toBe(3);
    expect(() => positiveCount('0')).toThrow(InvalidArgumentError);
    expect(() => positiveCount('2.5')).toThrow(InvalidArgumentError);
  });
});

describe('zdh bisect-step never exits 1–127 for a broken set-up', { timeout: 60_000 }, () => {
  const run = (args: string[], cwd = projectRoot) =>
    execa(process.execPath, [join(projectRoot, 'bin', 'zdh.js'), 'bisect-step', ...args], {
      cwd,
      reject: false,
      stdin: 'ignore',
    });

  it('exits 128 on a command-line error, which makes git bisect run stop', async () => {
    for (const args of [['--wrokload', 'x'], ['--repeat', '0'], ['--match']]) {
      const res = await run(args);
      expect(res.exitCode, args.join(' ')).toBe(128);
      expect(res.stderr).toMatch(/aborts the bisect/);
    }
  });

  it('exits 128 on a bad signature and outside a git work tree', async () => {
    const re = await run(['--match', '/(x/']);
    expect(re.exitCode).toBe(128);
    expect(re.stderr).toMatch(/not a valid regular expression/);
    const outside = await run(['--workload', 'x'], mkdtempSync(join(tmpdir(), 'zdh-not-git-')));
    expect(outside.exitCode).toBe(128);
    expect(outside.stderr).toMatch(/is not inside a git work tree/);
  });
});
