/**
 * The GitLab template (ci-examples/gitlab-nightly.yml) run for real: gitlab-ci-local (a
 * devDependency), shell executor, on a clone of this repository whose .gitlab-ci.yml
 * includes the template as the template's own header says to. Only the template's
 * variables are set from outside: a smoke-sized suite (`--suite smoke --workload gup
 * --repeat 4`, so each of the template's shards has one cell) and the zdh cache of this
 * machine, so the shards hit the cached default build instead of building it four times.
 * Everything else (parallel, the shard arguments, artifacts, the merge job and the JUnit
 * report paths) is read from the template, so the test cannot drift from it.
 * Not part of `npm test` (five `npm ci` and four boots): `npm run test:ci-templates`.
 */
import {
  copyFileSync,
  existsSync,
  globSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunSummary } from '../../harness/model/result.ts';
import { cacheRoot, projectRoot } from '../../harness/util/paths.ts';

interface Job {
  parallel?: number;
  needs?: string[];
  when?: string;
  script: string[];
  artifacts: { paths: string[]; reports: { junit: string } };
}

const TEMPLATE = join('ci-examples', 'gitlab-nightly.yml');
const template = parse(readFileSync(join(projectRoot, TEMPLATE), 'utf8')) as Record<string, Job>;
const shardJob = template['zdh-shard']!;
const mergeJob = template['zdh-merge']!;
const gitlabCiLocal = join(
  dirname(createRequire(import.meta.url).resolve('gitlab-ci-local/package.json')),
  'dist',
  'index.js',
);

const scratch = mkdtempSync(join(tmpdir(), 'zdh-gitlab-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const testcases = (junitFile: string): number =>
  (readFileSync(junitFile, 'utf8').match(/<testcase\b/g) ?? []).length;

it('gitlab-ci-local runs the template’s shard jobs and its merge job to a merged junit.xml', async () => {
  const repo = join(scratch, 'repo');
  await execa('git', ['clone', '--quiet', '--no-hardlinks', projectRoot, repo]);
  // The working tree's template, so an edit is tested before it is committed.
  copyFileSync(join(projectRoot, TEMPLATE), join(repo, TEMPLATE));
  writeFileSync(join(repo, '.gitlab-ci.yml'), `include:\n  - local: ${TEMPLATE}\n`);

  const shards = shardJob.parallel ?? 1;
  expect(shards).toBeGreaterThan(1);
  const res = await execa(
    process.execPath,
    [
      gitlabCiLocal,
      '--force-shell-executor',
      '--shell-isolation',
      '--concurrency',
      '2',
      '--home',
      join(scratch, 'home'),
      '--variable',
      'ZDH_SUITE=smoke',
      '--variable',
      `ZDH_RUN_ARGS=--workload gup --repeat ${shards}`,
      '--variable',
      `ZDH_CACHE_DIR=${cacheRoot()}`,
    ],
    { cwd: repo, reject: false, all: true, stdin: 'ignore', env: { CI: '' } },
  );
  const log = res.all ?? '';
  expect(res.exitCode, log.slice(-6000)).toBe(0);
  for (let i = 1; i <= shards; i++)
    expect(log).toMatch(new RegExp(`PASS\\s+zdh-shard: \\[${i}/${shards}\\]`));
  expect(log).toMatch(/PASS\s+zdh-merge/);

  // Each shard's JUnit report where the template's reports:junit glob finds it, one cell each.
  const shardReports = globSync(shardJob.artifacts.reports.junit, { cwd: repo }).sort();
  expect(shardReports).toHaveLength(shards);
  const cellsSeen = shardReports.map((f) => {
    const s = JSON.parse(readFileSync(join(repo, dirname(f), 'summary.json'), 'utf8')) as RunSummary;
    return s.cells.map((c) => c.id);
  });
  expect(cellsSeen.map((c) => c.length)).toEqual(Array(shards).fill(1));
  expect(new Set(cellsSeen.flat()).size).toBe(shards);

  // The merge job's report holds every shard's test cases, and its summary every cell.
  expect(mergeJob.needs).toContain('zdh-shard');
  const merged = join(repo, mergeJob.artifacts.reports.junit);
  expect(existsSync(merged), log.slice(-4000)).toBe(true);
  const perShard = shardReports.map((f) => testcases(join(repo, f)));
  expect(perShard.every((n) => n > 0)).toBe(true);
  expect(testcases(merged)).toBe(perShard.reduce((a, b) => a + b, 0));
  const mergedSummary = JSON.parse(readFileSync(join(dirname(merged), 'summary.json'), 'utf8')) as RunSummary;
  expect(mergedSummary.cells.map((c) => c.id).sort()).toEqual(cellsSeen.flat().sort());
  expect(mergedSummary.cells.every((c) => c.status === 'passed')).toBe(true);
});
