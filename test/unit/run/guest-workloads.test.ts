/**
 * `zdh boot --workload W` / `zdh shell --workload W`: the names checked, the run's plan
 * turned into image files and the step's environment (a fake PlanCell, then the real one
 * compiling zdh-dax against the 6.1.192 headers), the guest command's step, and the CLI's
 * usage error before anything is built.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BuildRecord } from '../../../harness/build/types.ts';
import { commands } from '../../../harness/cli/commands/index.ts';
import { buildProgram, main } from '../../../harness/cli/main.ts';
import { ZdhError } from '../../../harness/errors.ts';
import { renderStepScript } from '../../../harness/machine/plan.ts';
import { loadProfile } from '../../../harness/machine/profile.ts';
import { defaultPlanCell } from '../../../harness/run/default-plan.ts';
import {
  checkWorkloadNames,
  commandStep,
  planGuestWorkloads,
  SHELL_PROFILE,
} from '../../../harness/run/guest-workloads.ts';
import type { CellPlan, PlanCell } from '../../../harness/run/workload-plan.ts';
import { loadWorkloads } from '../../../harness/workloads/load.ts';
import { renderWorkloadScript } from '../../../harness/workloads/script.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures');
const profile = loadProfile(undefined);
const build = {
  ksrc: join(fixtures, 'tap', 'ksrc-6.1.192'),
  config: join(fixtures, 'kconfig-final-6.1.config'),
} as BuildRecord;

const cache = mkdtempSync(join(tmpdir(), 'zdh-guest-workloads-'));
const savedCache = process.env['ZDH_CACHE_DIR'];
beforeAll(() => {
  // Programs (and, were the usage checks wrong, kernels) land here, not in the user's cache.
  process.env['ZDH_CACHE_DIR'] = cache;
});
afterAll(() => {
  if (savedCache === undefined) delete process.env['ZDH_CACHE_DIR'];
  else process.env['ZDH_CACHE_DIR'] = savedCache;
  rmSync(cache, { recursive: true, force: true });
});

const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof ZdhError ? `${e.kind}: ${e.message} | ${e.hint}` : String(e);
  }
  return 'no error';
};

describe('--workload names', () => {
  const known = ['hmm-tests', 'dax-ext4', 'dax-xfs'];

  it('are kept in order, each once', () => {
    expect(checkWorkloadNames(['dax-xfs', 'dax-ext4', 'dax-xfs'], known)).toEqual(['dax-xfs', 'dax-ext4']);
  });

  it('an unknown one is a usage error that lists the known ones', () => {
    expect(usage(() => checkWorkloadNames(['dax-ext4', 'dax-ext5'], known))).toBe(
      'usage: unknown workload dax-ext5 | --workload takes one of: dax-ext4, dax-xfs, hmm-tests (docs/workloads.md)',
    );
    expect(usage(() => checkWorkloadNames(['a', 'b', 'a'], known))).toMatch(
      /^usage: unknown workloads a, b \|/,
    );
  });
});

describe('the plan of the workloads, as image files and an environment', () => {
  const fakePlan = (plan: CellPlan, calls: Parameters<PlanCell>[0][] = []): PlanCell => {
    return async (args) => {
      calls.push(args);
      return plan;
    };
  };
  const cases = () => [];

  it('the PlanCell’s files and command-line extras, /root/.profile with the step’s PATH, for the names asked', async () => {
    const calls: Parameters<PlanCell>[0][] = [];
    const planCell = fakePlan(
      {
        workloads: [{ name: 'dax-ext4', steps: [], cases }],
        files: [{ guestPath: '/usr/lib/zdh/bin/zdh-dax', hostPath: '/cache/probes/k/zdh-dax' }],
        cmdlineExtra: ['x=1'],
      },
      calls,
    );
    const guest = await planGuestWorkloads({
      names: ['dax-ext4'],
      build,
      profile,
      planCell,
      onProgress: () => {},
    });
    expect(calls.map((c) => [c.workloads, c.build, c.profile])).toEqual([
      [[{ name: 'dax-ext4' }], build, profile],
    ]);
    expect(guest.names).toEqual(['dax-ext4']);
    expect(guest.cmdlineExtra).toEqual(['x=1']);
    expect(guest.env).toEqual(['export PATH=/usr/lib/zdh/bin:$PATH', 'export ZDH_WORKLOAD=dax-ext4']);
    expect(guest.files).toEqual([
      { guestPath: '/usr/lib/zdh/bin/zdh-dax', hostPath: '/cache/probes/k/zdh-dax' },
      {
        guestPath: SHELL_PROFILE,
        data: "# zdh --workload dax-ext4: the environment of the workloads' steps\nexport PATH=/usr/lib/zdh/bin:$PATH\nexport ZDH_WORKLOAD=dax-ext4\n",
        mode: 0o644,
      },
    ]);
    // The very lines a workload's step script starts with.
    const script = renderWorkloadScript({
      name: 'dax-ext4',
      setup: [],
      command: { command: 'true', timeoutS: 1 },
      checks: [],
      teardown: [],
      teardownTimeoutS: 1,
    });
    expect(script.split('\n').slice(1, 3)).toEqual(guest.env);
  });

  it('two workloads: PATH, no ZDH_WORKLOAD', async () => {
    const planCell = fakePlan({ workloads: [], files: [], cmdlineExtra: [] });
    const guest = await planGuestWorkloads({
      names: ['dax-ext4', 'dax-xfs'],
      build,
      profile,
      planCell,
      onProgress: () => {},
    });
    expect(guest.env).toEqual(['export PATH=/usr/lib/zdh/bin:$PATH']);
  });

  it('a workload the machine or kernel cannot run (a run would skip it) is a config error with its reasons', async () => {
    const planCell = fakePlan({
      workloads: [{ name: 'hmm-tests', steps: [], skipReason: 'needs machine device-coherent', cases }],
      files: [],
      cmdlineExtra: [],
    });
    const error = await planGuestWorkloads({
      names: ['hmm-tests'],
      build,
      profile,
      planCell,
      onProgress: () => {},
    })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZdhError);
    expect((error as ZdhError).kind).toBe('config');
    expect((error as ZdhError).message).toBe('hmm-tests cannot run on machine default with this kernel');
    expect((error as ZdhError).details).toEqual(['hmm-tests: needs machine device-coherent']);
  });

  it('with the run’s own PlanCell: zdh-dax built (cached by content) and the helper scripts, as a run has them', async () => {
    const guest = await planGuestWorkloads({
      names: ['dax-ext4'],
      build,
      profile,
      planCell: defaultPlanCell,
      onProgress: () => {},
    });
    const paths = guest.files.map((f) => f.guestPath);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/usr/lib/zdh/bin/zdh-dax',
        '/usr/lib/zdh/bin/zdh-pmem',
        '/usr/lib/zdh/bin/zdh-hmm',
      ]),
    );
    expect(guest.files.find((f) => f.guestPath === '/usr/lib/zdh/bin/zdh-dax')!.hostPath).toContain(
      join(cache, 'probes'),
    );
    expect(paths.at(-1)).toBe(SHELL_PROFILE);
  }, 120_000);
});

describe('the guest command’s step', () => {
  it('without workloads: the argv as before', () => {
    expect(commandStep(['uname', '-r'], 600)).toEqual({
      name: 'command',
      argv: ['uname', '-r'],
      timeoutS: 600,
    });
  });

  it('with them: the step’s environment, then the command exec’d with its words intact', () => {
    const step = commandStep(
      ['sh', '-c', 'echo "$PATH"; echo "$ZDH_WORKLOAD"; printf "<%s>" "$@"', 'x', "it's", 'a b'],
      600,
      ['export PATH=/usr/lib/zdh/bin:$PATH', 'export ZDH_WORKLOAD=dax-ext4'],
    );
    expect(step.argv).toBeUndefined();
    const out = execFileSync('sh', ['-c', renderStepScript(step)], { encoding: 'utf8' }).split('\n');
    expect(out[0]).toMatch(/^\/usr\/lib\/zdh\/bin:/);
    expect(out[1]).toBe('dax-ext4');
    expect(out[2]).toBe("<it's><a b>");
  });
});

describe('zdh boot / zdh shell --workload', () => {
  it('is an option of both', async () => {
    const program = await buildProgram({ code: 0 }, commands);
    for (const name of ['boot', 'shell']) {
      const cmd = program.commands.find((c) => c.name() === name)!;
      expect(cmd.options.map((o) => o.long)).toContain('--workload');
    }
  });

  // --kernel names no build: were the names not checked first, that would be the error.
  for (const argv of [
    ['boot', '--kernel', '/nonexistent', '--workload', 'dax-ext4', '--workload', 'nope', '--', 'true'],
    ['shell', '--kernel', '/nonexistent', '--workload', 'nope'],
  ]) {
    it(`zdh ${argv.join(' ')}: exit 2 before any build, listing the workloads`, async () => {
      let stderr = '';
      vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
        stderr += String(s);
        return true;
      });
      try {
        expect(await main(argv)).toBe(2);
      } finally {
        vi.restoreAllMocks();
      }
      const known = loadWorkloads()
        .map((w) => w.name)
        .sort();
      expect(stderr).toBe(
        `zdh: unknown workload nope\n  fix: --workload takes one of: ${known.join(', ')} (docs/workloads.md)\n`,
      );
    });
  }

  it('a known workload passes the check: the next error is the kernel’s', async () => {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
    try {
      expect(await main(['boot', '--kernel', '/nonexistent', '--workload', 'dax-ext4', '--', 'true'])).toBe(
        2,
      );
    } finally {
      vi.restoreAllMocks();
    }
    expect(stderr).toMatch(/^zdh: --kernel \/nonexistent is neither a build folder nor a cached build key/);
  });
});
