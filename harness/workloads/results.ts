/**
 * One result per test case from a workload step's output. Pure.
 *
 * The output is what the step script (script.ts) printed: its part markers, and between
 * them the set-up's, the command's (KTAP) and the checks' output. Cases:
 *   - the command's TAP cases, one each; cases it was expected to report but did not are
 *     'missing', with why (the command timed out, hung, crashed, or the machine stopped);
 *   - 'setup', only when a set-up command failed (every expected case is then missing);
 *   - 'check.<name>' for each check (e.g. unloading test_hmm: a hang there is a failure).
 */

import type { StepState } from '../machine/steps.ts';
import { type TapCase, tapCases } from '../tap/cases.ts';
import { cleanLine, parseTap } from '../tap/parse.ts';
import type { ResolvedWorkload } from './plan.ts';
import { WORKLOAD_MARKER } from './script.ts';

export interface StepOutcome {
  state: StepState;
  status: number | undefined;
  output: string;
  /** The run's nonce: only part markers that carry it count (script.ts). */
  nonce: string;
}

export interface WorkloadOutcome {
  name: string;
  cases: TapCase[];
  /** The command's exit: a status, 'timeout', 'hang', or undefined when it never ended. */
  commandEnd: string | undefined;
  /** Things worth a line in a report that are not cases (teardown failures, TAP oddities). */
  notes: string[];
}

interface Section {
  part: string;
  label: string;
  begun: boolean;
  rc: string | undefined;
  lines: string[];
}

/** A case zdh makes itself (set-up, checks, a workload's own verdict): no TAP number or directive. */
function makeCase(
  name: string,
  status: TapCase['status'],
  reason: string | undefined,
  log: string[] = [],
): TapCase {
  return { name, status, reason, number: undefined, directive: undefined, log };
}

/** A check (`check.<name>`) as a case: its section of the output, or why there is none. */
function checkCase(
  check: { name: string; timeoutS: number },
  sections: ReturnType<typeof splitSections>,
  commandUnfinished: boolean,
  stoppedMachine: string,
): TapCase {
  const s = sections.find((x) => x.part === 'check' && x.label === check.name);
  const name = `check.${check.name}`;
  const c = (status: TapCase['status'], reason: string | undefined, log: string[] = []): TapCase =>
    makeCase(name, status, reason, log);
  if (!s) return c('missing', commandUnfinished ? `not run: ${stoppedMachine}` : 'not run');
  if (s.rc === '0') return c('pass', undefined, tail(s.lines));
  if (s.rc === undefined)
    return c('missing', `started but never finished (${stoppedMachine})`, tail(s.lines));
  return c('fail', rcText(s.rc, check.timeoutS), tail(s.lines));
}

/** Part markers of the run with this nonce; any other line, marker-like or not, is output. */
function markRe(nonce: string): RegExp {
  if (!/^[A-Za-z0-9]+$/.test(nonce)) throw new Error(`bad workload marker nonce: '${nonce}'`);
  return new RegExp(
    `^${WORKLOAD_MARKER}${nonce} (setup|command|check|teardown) (\\S+) (begin|end)(?::| |$)\\s*(\\S*)`,
  );
}

export function splitSections(output: string, nonce: string): Section[] {
  const mark = markRe(nonce);
  const sections: Section[] = [];
  let current: Section | undefined;
  for (const raw of output.split('\n')) {
    const line = cleanLine(raw);
    const m = mark.exec(line);
    if (m) {
      const [, part, label, what, rc] = m;
      if (what === 'begin') {
        current = { part: part!, label: label!, begun: true, rc: undefined, lines: [] };
        sections.push(current);
      } else {
        const s = current && current.part === part && current.label === label ? current : undefined;
        if (s) s.rc = rc === '' ? undefined : rc;
        else sections.push({ part: part!, label: label!, begun: false, rc: rc || undefined, lines: [] });
        current = undefined;
      }
      continue;
    }
    current?.lines.push(line);
  }
  return sections;
}

function rcText(rc: string, timeoutS: number | undefined): string {
  if (rc === 'timeout') return `did not finish within ${timeoutS ?? '?'} s and was killed`;
  if (rc === 'hang')
    return `did not finish within ${timeoutS ?? '?'} s and could not be killed (stuck in the kernel)`;
  const n = Number(rc);
  if (n > 128 && n < 160) return `was killed by signal ${n - 128}`;
  return `exited with status ${rc}`;
}

const tail = (lines: readonly string[], n = 60): string[] => lines.filter((l) => l.trim() !== '').slice(-n);

export function parseWorkloadOutput(
  w: Pick<ResolvedWorkload, 'name' | 'expectedCases' | 'checks' | 'setupCommands' | 'commandTimeoutS'>,
  step: StepOutcome,
  /** Why the machine stopped (describeExit: a hang, a panic), when it did, for missing cases. */
  machineStop?: string,
): WorkloadOutcome {
  const notes: string[] = [];
  const cases: TapCase[] = [];
  const make = makeCase;
  // Why cases are missing: the machine's own reason when it stopped early (a later workload
  // is then blocked by the hang or panic of an earlier one, and says so).
  const stoppedMachine =
    machineStop ??
    (step.state === 'timeout'
      ? 'the step ran past its time limit'
      : step.state === 'incomplete'
        ? 'the machine stopped while the workload ran'
        : 'the machine stopped before the workload');
  const missingAll = (reason: string): void => {
    const names = w.expectedCases.length > 0 ? w.expectedCases : [w.name];
    for (const n of names) cases.push(make(n, 'missing', reason));
  };
  const missingChecks = (reason: string): void => {
    for (const c of w.checks) cases.push(make(`check.${c.name}`, 'missing', reason));
  };

  if (step.state === 'not-run') {
    missingAll(`not run: ${stoppedMachine}`);
    missingChecks(`not run: ${stoppedMachine}`);
    return { name: w.name, cases, commandEnd: undefined, notes };
  }

  const sections = splitSections(step.output, step.nonce);
  const setups = sections.filter((s) => s.part === 'setup');
  for (const s of setups) {
    if (s.rc === '0') continue;
    const i = Number(s.label);
    const cmd = w.setupCommands[i - 1] ?? '?';
    const reason =
      s.rc === undefined
        ? `set-up command ${i} never finished (${stoppedMachine}): ${cmd}`
        : `set-up command ${i} ${rcText(s.rc, undefined)}: ${cmd}`;
    cases.push(make('setup', s.rc === undefined ? 'missing' : 'fail', reason, tail(s.lines)));
    missingAll('not run: the set-up failed');
    missingChecks('not run: the set-up failed');
    return { name: w.name, cases, commandEnd: undefined, notes };
  }
  if (setups.length < w.setupCommands.length && !sections.some((s) => s.part === 'command')) {
    // The step ended before every set-up command began.
    cases.push(make('setup', 'missing', `the set-up did not complete (${stoppedMachine})`));
    missingAll(`not run: ${stoppedMachine}`);
    missingChecks(`not run: ${stoppedMachine}`);
    return { name: w.name, cases, commandEnd: undefined, notes };
  }

  const command = sections.find((s) => s.part === 'command');
  const rc = command?.rc;
  let stopped: string | undefined;
  if (!command) stopped = stoppedMachine;
  else if (rc === undefined) stopped = stoppedMachine;
  else if (rc === 'timeout' || rc === 'hang') stopped = `the command ${rcText(rc, w.commandTimeoutS)}`;
  else if (rc !== '0') stopped = `the command ${rcText(rc, w.commandTimeoutS)}`;

  const doc = parseTap((command?.lines ?? []).join('\n'));
  notes.push(...doc.warnings.map((x) => `${w.name}: TAP: ${x}`));
  const tap = tapCases(doc, { expected: w.expectedCases, ...(stopped ? { stopped } : {}) });
  if (tap.length === 0) {
    const why = command
      ? rc === undefined
        ? `the command never finished (${stoppedMachine}) and reported no case`
        : `the command ${rcText(rc, w.commandTimeoutS)} and reported no test case`
      : `the command never started (${stoppedMachine})`;
    cases.push(
      make(w.name, command && rc !== undefined ? 'fail' : 'missing', why, tail(command?.lines ?? [])),
    );
  } else {
    cases.push(...tap);
    const failed = tap.some((c) => c.status === 'fail' || c.status === 'missing');
    if (rc !== undefined && rc !== '0' && !failed) {
      // A crash after the last case, or an exit status the cases do not explain.
      cases.push(
        make(
          w.name,
          'fail',
          `every case passed but the command ${rcText(rc, w.commandTimeoutS)}`,
          tail(doc.trailing),
        ),
      );
    }
  }

  for (const c of w.checks) cases.push(checkCase(c, sections, command?.rc === undefined, stoppedMachine));

  for (const s of sections.filter((x) => x.part === 'teardown')) {
    if (s.rc !== '0')
      notes.push(
        `${w.name}: teardown ${s.label} ${s.rc === undefined ? 'never finished' : rcText(s.rc, undefined)}`,
      );
  }
  return { name: w.name, cases, commandEnd: rc, notes };
}
