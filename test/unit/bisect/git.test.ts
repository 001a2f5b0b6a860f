import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bisectStart, rangeSize } from '../../../harness/bisect/git.ts';
import { gitIn } from '../../helpers/git.ts';

// zdh's bare clone lives in the cache, and the cache can sit inside a checkout (a CI
// job's project folder). With the clone damaged, git must fail, not walk up into that
// checkout and bisect it.
describe('git in zdh`s bisect clone, inside another repository', () => {
  let root: string;
  let parent: string;
  const commits: string[] = [];
  const git = (...args: string[]): string => gitIn(parent, args);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'zdh-bisect-git-'));
    parent = join(root, 'project');
    mkdirSync(parent);
    git('init', '-q');
    for (const n of [1, 2, 3]) {
      writeFileSync(join(parent, 'f'), `${n}\n`);
      git('add', 'f');
      git('commit', '-qm', `c${n}`);
      commits.push(git('rev-parse', 'HEAD'));
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('fails on an empty clone folder instead of reading the outer repository', async () => {
    const clone = join(parent, 'cache', 'bisect', 'x', 'clone.git');
    mkdirSync(clone, { recursive: true });
    await expect(rangeSize(clone, commits[0]!, commits[2]!)).rejects.toThrow();
    // git refuses, and nothing is bisected in the outer repository.
    expect((await bisectStart(clone, commits[2]!, commits[0]!)).kind).toBe('error');
    expect(() => git('rev-parse', '--verify', '--quiet', 'refs/bisect/bad')).toThrow();
  });
});
