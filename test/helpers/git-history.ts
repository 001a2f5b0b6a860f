import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { sha256 } from '../../harness/util/hash.ts';
import { withLock } from '../../harness/util/lock.ts';
import { cacheRoot } from '../../harness/util/paths.ts';

/**
 * A real kernel git history for the bisect tests, built from the Debian 6.1 source that
 * `zdh build` unpacked into the cache: a base commit, then thirteen small commits. One of
 * them does not build (the next fixes it), and one in the middle breaks ZONE_DEVICE
 * refcounting in lib/test_hmm.c's device-private allocation path, which every migration
 * to device memory takes (hmm-tests, zdh-hmm-stress): it asserts a refcount of 2 on a
 * freshly initialised device-private page, which has 1, so DEBUG_VM dumps the page and
 * warns on the first allocation, deterministically and without wedging the guest.
 *
 * Commits are made with plumbing (hash-object, update-index, write-tree, commit-tree)
 * from the pristine tree, with fixed author and dates, so commit ids are the same on
 * every machine. The repository is cached by content under <cache>/test-histories/, so
 * CI builds it once; the work tree is checked out in full, as a user's would be.
 */
export const HISTORY_VERSION = 1;

export type Role = 'harmless' | 'breaks-build' | 'fixes-build' | 'breaks-refcount';

interface Edit {
  path: string;
  /** Replaced once; it must occur exactly once. Empty: append `with` to the file. */
  find: string;
  with: string;
}

interface Recipe {
  subject: string;
  role: Role;
  edits: Edit[];
}

const NOTE = (n: number): Edit => ({
  path: 'Documentation/mm/hmm.rst',
  find: '',
  with: `\n.. zdh bisect test history: note ${n}, no functional change.\n`,
});

const ALLOC_INIT = '\tzone_device_page_init(dpage);\n\tdpage->zone_device_data = rpage;\n';
const ALLOC_COUNT = '\t\tmdevice->calloc++;\n\t\tspin_unlock(&mdevice->lock);\n\t} else {';

export const RECIPE: readonly Recipe[] = [
  { subject: 'Documentation/mm/hmm: add a note on device memory', role: 'harmless', edits: [NOTE(1)] },
  {
    subject: 'mm/memremap: comment the copyright header',
    role: 'harmless',
    edits: [
      {
        path: 'mm/memremap.c',
        find: '/* Copyright(c) 2015 Intel Corporation. All rights reserved. */\n',
        with: '/* Copyright(c) 2015 Intel Corporation. All rights reserved. */\n/* ZONE_DEVICE page mapping (zdh test history). */\n',
      },
    ],
  },
  { subject: 'Documentation/mm/hmm: second note', role: 'harmless', edits: [NOTE(2)] },
  {
    subject: 'lib/test_hmm: reword the module comment',
    role: 'harmless',
    edits: [
      {
        path: 'lib/test_hmm.c',
        find: ' * This is a module to test the HMM (Heterogeneous Memory Management)\n',
        with: ' * This module tests the HMM (Heterogeneous Memory Management)\n',
      },
    ],
  },
  {
    subject: 'mm/hmm: point at the documentation',
    role: 'harmless',
    edits: [
      {
        path: 'mm/hmm.c',
        find: ' * management or HMM for short.\n',
        with: ' * management or HMM for short, and Documentation/mm/hmm.rst.\n',
      },
    ],
  },
  {
    subject: 'lib/test_hmm: count allocations in a new field',
    role: 'breaks-build',
    edits: [
      { path: 'lib/test_hmm.c', find: ALLOC_COUNT, with: ALLOC_COUNT.replace('calloc++', 'calloc_total++') },
    ],
  },
  {
    subject: 'lib/test_hmm: fix the build',
    role: 'fixes-build',
    edits: [
      { path: 'lib/test_hmm.c', find: ALLOC_COUNT.replace('calloc++', 'calloc_total++'), with: ALLOC_COUNT },
    ],
  },
  {
    subject: 'lib/test_hmm: expect the mirror reference on allocated device pages',
    role: 'breaks-refcount',
    edits: [
      {
        path: 'lib/test_hmm.c',
        find: ALLOC_INIT,
        with: `\tzone_device_page_init(dpage);\n\t/* The mirror holds a reference of its own on pages it hands out. */\n\tVM_WARN_ON_ONCE_PAGE(page_ref_count(dpage) != 2, dpage);\n\tdpage->zone_device_data = rpage;\n`,
      },
    ],
  },
  { subject: 'Documentation/mm/hmm: third note', role: 'harmless', edits: [NOTE(3)] },
  {
    subject: 'README: mention the zdh test history',
    role: 'harmless',
    edits: [{ path: 'README', find: '', with: '\nThis tree is a zdh bisect test history.\n' }],
  },
  { subject: 'Documentation/mm/hmm: fourth note', role: 'harmless', edits: [NOTE(4)] },
  {
    subject: 'mm/memremap: one more comment',
    role: 'harmless',
    edits: [
      {
        path: 'mm/memremap.c',
        find: '/* ZONE_DEVICE page mapping (zdh test history). */\n',
        with: '/* ZONE_DEVICE page mapping and refcounting (zdh test history). */\n',
      },
    ],
  },
  { subject: 'Documentation/mm/hmm: fifth note', role: 'harmless', edits: [NOTE(5)] },
];

export interface HistoryCommit {
  commit: string;
  subject: string;
  role: Role | 'base';
}

export interface History {
  repo: string;
  /** The base commit (good). */
  base: string;
  /** The last commit (bad). */
  head: string;
  /** The commit that breaks refcounting: the answer. */
  bad: string;
  /** The commit that does not build. */
  unbuildable: string;
  /** Base first. */
  commits: HistoryCommit[];
}

/** The unpacked Debian source in the zdh cache (`zdh build` makes it). */
export function pristineSource(cache: string = cacheRoot()): string {
  const dir = join(cache, 'sources');
  const name = existsSync(dir)
    ? readdirSync(dir).find(
        (n) => n.startsWith('tarball-') && !n.includes('.') && existsSync(join(dir, n, 'Makefile')),
      )
    : undefined;
  if (!name) throw new Error(`no unpacked kernel source under ${dir}: run \`npx zdh build\` once first`);
  return join(dir, name);
}

const ENV = {
  GIT_AUTHOR_NAME: 'zdh test',
  GIT_AUTHOR_EMAIL: 'zdh-test@invalid',
  GIT_COMMITTER_NAME: 'zdh test',
  GIT_COMMITTER_EMAIL: 'zdh-test@invalid',
  LC_ALL: 'C',
};

interface GitOptions {
  input?: string;
  env?: Record<string, string>;
  /** Keep stdout exactly (file contents). */
  raw?: boolean;
}

async function git(args: readonly string[], opts: GitOptions = {}): Promise<string> {
  const res = await execa('git', args, {
    env: { ...ENV, ...opts.env },
    stripFinalNewline: !opts.raw,
    ...(opts.input === undefined ? { stdin: 'ignore' as const } : { input: opts.input }),
    maxBuffer: 512 * 1024 * 1024,
  });
  return res.stdout;
}

/** The history, from the cache when it is there (keyed by the recipe and the source). */
export async function bisectHistory(cache: string = cacheRoot()): Promise<History> {
  const pristine = pristineSource(cache);
  const key = sha256(JSON.stringify({ v: HISTORY_VERSION, recipe: RECIPE, source: pristine })).slice(0, 16);
  const repo = join(cache, 'test-histories', `bisect-${key}`);
  const meta = join(repo, '.git', 'zdh-history.json');
  return withLock(repo, async () => {
    if (existsSync(meta)) {
      const h = JSON.parse(readFileSync(meta, 'utf8')) as History;
      // A test that died mid-bisect leaves git bisect state in the checkout.
      await git(['-C', repo, 'bisect', 'reset']).catch(() => '');
      await git(['-C', repo, 'checkout', '--quiet', '--force', 'main']);
      return h;
    }
    const tmp = `${repo}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const g = (args: readonly string[], o: GitOptions = {}): Promise<string> => git(['-C', tmp, ...args], o);
    await g(['init', '--quiet', '--initial-branch=main']);
    // The base: the pristine tree as it is (it is a `git archive`, so add ignored files too).
    await git(['--git-dir', join(tmp, '.git'), '--work-tree', pristine, 'add', '--all', '--force'], {
      env: {},
    });
    const commits: HistoryCommit[] = [];
    const commit = async (subject: string, n: number, parent: string | null): Promise<string> => {
      const tree = await g(['write-tree']);
      const date = `${1_700_000_000 + n * 3600} +0000`;
      const id = await g(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', subject], {
        env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
      });
      await g(['update-ref', 'refs/heads/main', id]);
      return id;
    };
    let head = await commit('base: Debian linux-source-6.1', 0, null);
    commits.push({ commit: head, subject: 'base: Debian linux-source-6.1', role: 'base' });
    for (const [i, r] of RECIPE.entries()) {
      for (const e of r.edits) {
        const before = await g(['cat-file', 'blob', `${head}:${e.path}`], { raw: true });
        const after = applyEdit(before, e, r.subject);
        const mode = (await g(['ls-files', '--stage', '--', e.path])).split(' ')[0] ?? '100644';
        const blob = await g(['hash-object', '-w', '--stdin'], { input: after });
        await g(['update-index', '--cacheinfo', `${mode},${blob},${e.path}`]);
      }
      head = await commit(r.subject, i + 1, head);
      commits.push({ commit: head, subject: r.subject, role: r.role });
    }
    // The user-style checkout, in full.
    await g(['reset', '--hard', '--quiet', 'main']);
    const history: History = {
      repo,
      base: commits[0]!.commit,
      head,
      bad: commits.find((c) => c.role === 'breaks-refcount')!.commit,
      unbuildable: commits.find((c) => c.role === 'breaks-build')!.commit,
      commits,
    };
    writeFileSync(
      join(tmp, '.git', 'zdh-history.json'),
      `${JSON.stringify({ ...history, repo }, null, 2)}\n`,
    );
    rmSync(repo, { recursive: true, force: true });
    renameSync(tmp, repo);
    return history;
  });
}

function applyEdit(content: string, e: Edit, subject: string): string {
  if (e.find === '') return content + e.with;
  const first = content.indexOf(e.find);
  if (first < 0 || content.indexOf(e.find, first + 1) >= 0) {
    throw new Error(
      `${subject}: ${e.path} has ${first < 0 ? 'no' : 'more than one'} match for ${JSON.stringify(e.find)}`,
    );
  }
  return content.slice(0, first) + e.with + content.slice(first + e.find.length);
}
