import type { ExitReason } from '../machine/exit-reason.ts';

/**
 * Version 1 summaries (zdh before 2026-12-06) kept a cell's machine exit as
 * `{kind, message}`: the kind and describeExit()'s words, not the reason's fields. Version
 * 2 keeps the typed reason (`{reason, message}`). These functions turn a version 1 summary
 * into a version 2 one, reading the fields back out of the words: the one place where
 * prose is parsed, and only for files written before the fields were kept. Pure.
 */

const num = (re: RegExp, text: string): number | undefined => {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
};

const withoutPrefix = (text: string, prefix: string): string =>
  text.startsWith(prefix) ? text.slice(prefix.length) : text;

/** The typed reason behind a version 1 exit, or undefined for a kind zdh never wrote. */
export function reasonFromV1(kind: string, message: string): ExitReason | undefined {
  switch (kind) {
    case 'done':
      return { kind: 'done' };
    case 'interrupted':
      return { kind: 'interrupted' };
    case 'panic':
      return { kind: 'panic', message: withoutPrefix(message, 'kernel panic: ') };
    case 'infrastructure':
      return { kind: 'infrastructure', message: withoutPrefix(message, 'infrastructure failure: ') };
    case 'guest-exit':
      return { kind: 'guest-exit', detail: withoutPrefix(message, 'the guest stopped before it finished: ') };
    case 'boot-timeout':
      return {
        kind: 'boot-timeout',
        stage: /no kernel banner/.test(message) ? 'banner' : 'init',
        timeoutS: num(/within (\d+(?:\.\d+)?) s/, message) ?? 0,
      };
    case 'run-timeout': {
      const step = /\(in step '([^']+)'\)/.exec(message)?.[1];
      return {
        kind: 'run-timeout',
        timeoutS: num(/longer than (\d+(?:\.\d+)?) s/, message) ?? 0,
        step,
      };
    }
    case 'hang':
      return hangFromV1(message);
    default:
      return undefined;
  }
}

function hangFromV1(message: string): ExitReason {
  const step = /step '([^']+)'/.exec(message)?.[1] ?? '';
  const wedged = /the kernel oopsed \((.*)\) and then reported a stall \((.*)\); stopped at once/.exec(
    message,
  );
  if (wedged) return { kind: 'hang', step, timeoutS: 0, wedged: { oops: wedged[1]!, stall: wedged[2]! } };
  const silent = num(/no heartbeat for (\d+(?:\.\d+)?) s/, message);
  if (silent !== undefined) return { kind: 'hang', step, timeoutS: 0, unresponsiveS: silent };
  const stalled = /ended \(status (-?\d+), says the kernel log\).* within (\d+(?:\.\d+)?) s/.exec(message);
  if (stalled)
    return {
      kind: 'hang',
      step,
      timeoutS: 0,
      resultsStalled: { status: Number(stalled[1]), waitedS: Number(stalled[2]) },
    };
  return { kind: 'hang', step, timeoutS: num(/did not finish within (\d+(?:\.\d+)?) s/, message) ?? 0 };
}

/**
 * A version 1 summary as version 2, or the name of the first exit it cannot read.
 * Everything but the cells' exits and the version is the same in both.
 */
export function upgradeSummaryV1(
  v1: Record<string, unknown>,
): { summary: Record<string, unknown> } | { unreadable: string } {
  const cells = Array.isArray(v1['cells']) ? (v1['cells'] as unknown[]) : [];
  const upgraded: unknown[] = [];
  for (const [i, c] of cells.entries()) {
    const cell = typeof c === 'object' && c !== null ? (c as Record<string, unknown>) : {};
    const exit = cell['exit'];
    if (exit === null || typeof exit !== 'object') {
      upgraded.push(c);
      continue;
    }
    const { kind, message } = exit as { kind?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : '';
    const reason = typeof kind === 'string' ? reasonFromV1(kind, text) : undefined;
    if (!reason) return { unreadable: `cells.${i}.exit.kind ${JSON.stringify(kind)}` };
    upgraded.push({ ...cell, exit: { reason, message: text } });
  }
  return { summary: { ...v1, version: 2, cells: upgraded } };
}
