import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { planSelection, stepDeps } from '../../bisect/deps.ts';
import { STEP_EXIT, type StepEnd, stepExitCode } from '../../bisect/exit.ts';
import { repoTop } from '../../bisect/git.ts';
import { renderStep } from '../../bisect/render.ts';
import { DEFAULT_STEP_SIGNATURE, parseMatch, signatureFromFlags } from '../../bisect/signature.ts';
import { runStep } from '../../bisect/step.ts';
import { judgeStep } from '../../bisect/verdict.ts';
import { formatError } from '../../errors.ts';
import { qemuVersion } from '../../machine/qemu-version.ts';
import { interrupted } from '../../process/interrupt.ts';
import { createProgress, type Progress } from '../../progress/progress.ts';
import { resolveRef } from '../../source/git.ts';
import { cacheRoot } from '../../util/paths.ts';
import { VERSION } from '../version.ts';
import { addSelectionOptions, type SelectionFlags, selectionFromFlags } from './bisect.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `zdh bisect-step`: one bisect step on the commit checked out where it runs, for
 * `git bisect run npx zdh bisect-step ...`. Exit 0 good, 1 bad, 125 skip; 128 aborts the
 * bisect on purpose when the set-up is broken (bad flags, unknown suite, missing tools:
 * the same for every commit), 130 when interrupted. A zdh error must never come out as
 * 1–127, or git would take it for a verdict; so parse errors exit 128 here too.
 */
export const registerBisectStep: RegisterCommand = (program, result) => {
  const cmd = program
    .command('bisect-step')
    .description(
      'test the commit checked out here (for `git bisect run npx zdh bisect-step ...`): exit 0 good, 1 bad, 125 skip',
    )
    .addHelpText(
      'after',
      `
Builds HEAD of the repository in the current folder (in zdh's own clone: the checkout is
only read), boots it and runs the selected workloads --repeat times.
  bad (1)    the signature showed in any run (default signature: any kernel finding or hang)
  good (0)   every run was clean
  skip (125) the kernel did not build, the infrastructure failed, or another failure showed
Exit 128 aborts the bisect on purpose (broken set-up); 130 means interrupted.
Example: git bisect start BAD GOOD && git bisect run npx zdh bisect-step --workload hmm-tests --match '/dmirror/'`,
    )
    .configureOutput({
      outputError: (message, write) => {
        write(`zdh bisect-step: ${message}`);
        write(
          `  (exit ${STEP_EXIT.abort}: a bad command line aborts the bisect instead of marking this commit)\n`,
        );
        process.exit(STEP_EXIT.abort);
      },
    });
  addSelectionOptions(cmd).action(async (flags: SelectionFlags) => {
    const progress = createProgress();
    const say = (s: string): void => {
      progress.done();
      process.stderr.write(`${s}\n`);
    };
    let end: StepEnd;
    try {
      end = await (async (): Promise<StepEnd> => {
        // Set-up: what fails here fails the same way for every commit, so it aborts.
        let setup: Awaited<ReturnType<typeof setUp>>;
        try {
          setup = await setUp(flags, progress);
        } catch (error) {
          say(formatError(error));
          say(`zdh bisect-step: the set-up is broken; exit ${STEP_EXIT.abort} aborts the bisect`);
          return interrupted() ? { kind: 'interrupted' } : { kind: 'abort', why: 'set-up' };
        }
        const { selection, plan, signature, tolerate, repo, head, deps } = setup;
        const stamp = new Date()
          .toISOString()
          .replace(/[:]/g, '-')
          .replace(/\.\d+Z$/, 'Z');
        const dir = resolve(
          flags.out ?? join(cacheRoot(), 'runs', 'bisect-step', `${stamp}-${head.commit.slice(0, 12)}`),
        );
        const judge = (buildError: string | null, cells: Parameters<typeof judgeStep>[0]['cells']) =>
          judgeStep({ buildError, cells, signature, tolerate });
        const out = await runStep(
          {
            index: 1,
            role: 'bisect',
            repo,
            commit: head.commit,
            subject: head.subject,
            plan,
            accel: selection.accel,
            dir,
            baseDir: dir,
            command: process.argv.slice(2),
            decided: (cells) => judge(null, cells).verdict === 'bad',
            judge,
          },
          deps,
        );
        writeFileSync(join(dir, 'step.json'), `${JSON.stringify({ signature, ...out.record }, null, 2)}\n`);
        say(renderStep(out.record, dir));
        if (flags.json)
          process.stdout.write(`${JSON.stringify({ signature, ...out.record, runDir: dir })}\n`);
        return out.record.verdict === 'interrupted'
          ? { kind: 'interrupted' }
          : { kind: 'verdict', verdict: out.record.verdict };
      })();
    } catch (error) {
      // Not a verdict about this commit: a zdh fault or a broken host would repeat on every commit.
      say(formatError(error));
      end = interrupted() ? { kind: 'interrupted' } : { kind: 'abort', why: 'unexpected error' };
      if (end.kind === 'abort') say(`zdh bisect-step: exit ${STEP_EXIT.abort} aborts the bisect`);
    } finally {
      progress.done();
    }
    result.code = stepExitCode(end);
  });
  return cmd;
};

/** Everything that is the same for every commit: flags, suite, signature, repository, tools. */
async function setUp(flags: SelectionFlags, progress: Progress) {
  const selection = selectionFromFlags(flags);
  const signature = signatureFromFlags(selection.match) ?? DEFAULT_STEP_SIGNATURE;
  const tolerate = selection.ignore.map(parseMatch);
  const repo = await repoTop(process.cwd());
  const head = await resolveRef(repo, 'HEAD');
  const plan = planSelection(selection);
  const deps = stepDeps({ progress, toolVersion: VERSION, qemuVersion: await qemuVersion() });
  return { selection, plan, signature, tolerate, repo, head, deps };
}
