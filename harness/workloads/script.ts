/**
 * The guest step script of one workload (busybox sh). Pure.
 *
 * It runs the set-up commands in order (the first failure stops the workload), then the
 * command, then the checks, then the teardown whatever happened. Each runs in its own
 * session with its own time limit; a command still there after its limit and a SIGKILL
 * is stuck in the kernel: its tasks' kernel stacks are printed, it is left behind, and the
 * script goes on (so the next workloads still run and the hang is a reported result).
 *
 * The script brackets every part with lines the result parser (results.ts) reads:
 *   zdh-workload:<nonce> <part> <label> begin[: <command>]
 *   zdh-workload:<nonce> <part> <label> end <rc>
 * part: setup | command | check | teardown; label: the set-up/teardown index, the check's
 * name, or 'main'; rc: the exit status, 'timeout' (killed after its limit) or 'hang'
 * (still running after SIGKILL).
 *
 * The markers share stdout with the commands, so they carry the run's random nonce: a
 * command that prints marker-like text (its own log, a file it cats) cannot close its
 * section or hide its status. The step script (machine/plan.ts) holds the nonce in
 * `zdh_nonce`, a shell variable no command inherits; none of them ever sees it.
 */
import { shellQuote } from '../machine/plan.ts';
import { GUEST_BIN } from './types.ts';

export const WORKLOAD_MARKER = 'zdh-workload:';

/** Seconds the script waits for a killed command to go away before calling it a hang. */
export const KILL_GRACE_S = 10;

export interface ScriptPart {
  command: string;
  timeoutS: number;
}

export interface ScriptInput {
  name: string;
  setup: readonly ScriptPart[];
  command: ScriptPart;
  checks: readonly (ScriptPart & { name: string })[];
  teardown: readonly string[];
  teardownTimeoutS: number;
  env?: Readonly<Record<string, string>>;
}

/**
 * zdh_run SECONDS COMMAND: COMMAND under sh -c in its own session. Sets zdh_rc to its exit
 * status, 'timeout' or 'hang'.
 */
const RUNNER = `zdh_run() {
	setsid sh -c "$2" &
	zdh_pid=$!
	zdh_end=$(($(zdh_up) + $1))
	while :; do
		zdh_st=$(zdh_state "$zdh_pid")
		if [ -z "$zdh_st" ] || [ "$zdh_st" = Z ]; then
			wait "$zdh_pid"
			zdh_rc=$?
			return
		fi
		[ "$(zdh_up)" -ge "$zdh_end" ] && break
		usleep 100000
	done
	echo "${WORKLOAD_MARKER} not finished after $1 s; its tasks:"
	zdh_tasks "$zdh_pid"
	kill -KILL -"$zdh_pid" 2>/dev/null
	kill -KILL "$zdh_pid" 2>/dev/null
	zdh_i=0
	while [ "$zdh_i" -lt "$((\${ZDH_KILL_GRACE_S:-${KILL_GRACE_S}} * 10))" ]; do
		zdh_st=$(zdh_state "$zdh_pid")
		if [ -z "$zdh_st" ] || [ "$zdh_st" = Z ]; then
			wait "$zdh_pid"
			zdh_rc=timeout
			return
		fi
		usleep 100000
		zdh_i=$((zdh_i + 1))
	done
	echo "${WORKLOAD_MARKER} still there \${ZDH_KILL_GRACE_S:-${KILL_GRACE_S}} s after SIGKILL (stuck in the kernel); its tasks:"
	zdh_tasks "$zdh_pid"
	zdh_rc=hang
}
# State and kernel stack of every task in process group $1.
zdh_tasks() {
	for zdh_d in /proc/[0-9]*; do
		zdh_f=$(sed 's/^.*) //' "$zdh_d/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- "$1" $zdh_f
		[ "$4" = "$1" ] || continue
		echo "  task \${zdh_d#/proc/} ($(cat "$zdh_d/comm" 2>/dev/null)) state $2:"
		sed 's/^/    /' "$zdh_d/stack" 2>/dev/null
	done
}
`;

/** The first line of a command, shortened, for the begin marker. */
export function markerHeadline(command: string): string {
  const first = command.trim().split('\n')[0] ?? '';
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

function part(kind: string, label: string, p: ScriptPart, indent: string): string[] {
  return [
    `${indent}printf '${WORKLOAD_MARKER}%s %s\\n' "$zdh_nonce" ${shellQuote(`${kind} ${label} begin: ${markerHeadline(p.command)}`)}`,
    `${indent}zdh_run ${Math.ceil(p.timeoutS)} ${shellQuote(p.command)}`,
    `${indent}printf '\\n${WORKLOAD_MARKER}%s ${kind} ${label} end %s\\n' "$zdh_nonce" "$zdh_rc"`,
  ];
}

/**
 * The environment a workload's step gives its commands, as the shell lines that start its
 * script: the programs' folder first in PATH, and the workload's name. `zdh boot --workload`
 * and `zdh shell --workload` give a guest command the same (run/guest-workloads.ts).
 */
export function stepEnvironment(workload: string | undefined): string[] {
  return [
    `export PATH=${GUEST_BIN}:$PATH`,
    ...(workload === undefined ? [] : [`export ZDH_WORKLOAD=${shellQuote(workload)}`]),
  ];
}

export function renderWorkloadScript(input: ScriptInput): string {
  const lines: string[] = [
    `# zdh workload ${input.name} (rendered by harness/workloads/script.ts)`,
    ...stepEnvironment(input.name),
  ];
  for (const [k, v] of Object.entries(input.env ?? {})) lines.push(`export ${k}=${shellQuote(v)}`);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
  lines.push('zdh_up() {', '\tread -r zdh_u _ </proc/uptime', '\techo "${zdh_u%.*}"', '}');
  lines.push('# The one-letter state of a task; empty when it is gone.');
  lines.push('zdh_state() {', `\tsed -n 's/^.*) \\(.\\) .*/\\1/p' "/proc/$1/stat" 2>/dev/null`, '}');
  lines.push(RUNNER.trimEnd());
  lines.push('zdh_ok=1', 'zdh_exit=0');
  for (const [i, s] of input.setup.entries()) {
    lines.push('if [ "$zdh_ok" = 1 ]; then');
    lines.push(...part('setup', String(i + 1), s, '\t'));
    lines.push('\t[ "$zdh_rc" = 0 ] || { zdh_ok=0; zdh_exit=1; }', 'fi');
  }
  lines.push('if [ "$zdh_ok" = 1 ]; then');
  lines.push(...part('command', 'main', input.command, '\t'));
  lines.push('\t[ "$zdh_rc" = 0 ] || zdh_exit=1');
  for (const c of input.checks) {
    lines.push(...part('check', c.name, c, '\t'));
    lines.push('\t[ "$zdh_rc" = 0 ] || zdh_exit=1');
  }
  lines.push('fi');
  for (const [i, t] of input.teardown.entries()) {
    lines.push(...part('teardown', String(i + 1), { command: t, timeoutS: input.teardownTimeoutS }, ''));
  }
  lines.push('exit "$zdh_exit"');
  return `${lines.join('\n')}\n`;
}

/** Seconds the whole script can take when every part runs to its limit and then some. */
export function scriptBudgetS(input: ScriptInput): number {
  const parts = [...input.setup, input.command, ...input.checks];
  const grace = KILL_GRACE_S + 2;
  return (
    parts.reduce((s, p) => s + Math.ceil(p.timeoutS) + grace, 0) +
    input.teardown.length * (input.teardownTimeoutS + grace)
  );
}
