/**
 * A probe case's account of a hang, from the lines it printed (guests/probes/zdh-probe.h
 * and the probes' own diagnostics, KTAP `# ` lines):
 *
 *   HANG: truncate did not finish 10 s after the last O_DIRECT pin was dropped
 *   thread 2080 state S, kernel stack:
 *   [<0>] ext4_break_layouts+0x4c/0xd5
 *   ...
 *   DIAGNOSIS: missing wake-up: the truncate finished as soon as ...
 *
 * and the title an upstream report gives it, `HANG: <verdict> in <function>`, where the
 * function is the sleeping task's (its stack's first frame that is not a wait primitive,
 * as the scanner titles a hung-task report). Pure.
 */
import { parseFrame, titleFrame } from '../../scan/frames.ts';
import type { Frame } from '../../scan/types.ts';
import type { ProbeHang } from './types.ts';

const HANG_RE = /^HANG: (.+)$/;
const DIAGNOSIS_RE = /^DIAGNOSIS: ([^:]+): (.+)$/;
// zdh-probe.h: "task 123 state D, kernel stack:"; zdh-dax.c: "thread 2080 state S, kernel stack:".
const STACK_RE = /^(.*\S) state (\S), kernel stack:$/;
// kselftest_harness / zdh-probe.h RUN lines carry no diagnosis.
const RUN_RE = /^\s*RUN\s/;

/** The case's hang, or null when its lines have neither a HANG nor a DIAGNOSIS line. */
export function probeHang(caseLog: readonly string[]): ProbeHang | null {
  const log = caseLog.map((l) => l.trimEnd()).filter((l) => l !== '' && !RUN_RE.test(l));
  let hang: string | null = null;
  let diagnosis: ProbeHang['diagnosis'] = null;
  const stacks: ProbeHang['stacks'] = [];
  let stack: ProbeHang['stacks'][number] | undefined;
  for (const line of log) {
    const frame = stack === undefined ? undefined : parseFrame(line);
    if (stack !== undefined && frame !== undefined) {
      stack.frames.push(stackFrame(frame));
      continue;
    }
    stack = undefined;
    const text = line.trim();
    const h = HANG_RE.exec(text);
    if (h && hang === null) hang = h[1]!;
    const d = DIAGNOSIS_RE.exec(text);
    if (d && diagnosis === null) diagnosis = { verdict: d[1]!.trim(), text: d[2]!.trim() };
    const s = STACK_RE.exec(text);
    if (s) {
      stack = { label: s[1]!, state: s[2]!, frames: [] };
      stacks.push(stack);
    }
  }
  if (hang === null && diagnosis === null) return null;
  return { hang, diagnosis, stacks, sleeper: sleeper(stacks), log };
}

/** A /proc/<tid>/stack line holds return addresses. */
function stackFrame(f: Frame): Frame {
  return { function: f.function, offset: f.offset, module: f.module, source: f.source, ip: false };
}

/** The stuck task's function: from the first task in D state, else the first stack printed. */
function sleeper(stacks: ProbeHang['stacks']): string | null {
  const withFrames = stacks.filter((s) => s.frames.length > 0);
  const stuck = withFrames.find((s) => s.state === 'D') ?? withFrames[0];
  if (stuck === undefined) return null;
  const name = titleFrame(stuck.frames, 'hung-task');
  return name === '' ? null : name;
}

/**
 * `HANG: missing wake-up in ext4_break_layouts`, `HANG in memunmap_pages`; without a stack,
 * the workload and case stand in for the function.
 */
export function probeTitle(h: ProbeHang, where: { workload: string; caseName: string }): string {
  const kind = h.hang !== null ? 'HANG' : 'DIAGNOSIS';
  const head = h.diagnosis === null ? kind : `${kind}: ${h.diagnosis.verdict}`;
  const at = h.sleeper ?? `${where.workload} ${where.caseName}`;
  return `${head} in ${at}`;
}
