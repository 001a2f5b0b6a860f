/**
 * Workload parameters: the values a suite passes (e.g. a stress duration), checked
 * against the declaration, and put into commands and timeouts. Pure.
 */
import type { ParamDecl, WorkloadDecl } from './types.ts';

export type ParamValues = Record<string, number | string>;

/** A string parameter may not carry shell syntax unless its declaration allows it. */
const SAFE_WORD = /^[A-Za-z0-9_.,:/=+@-]*$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export interface ResolvedParams {
  values: ParamValues;
  errors: string[];
}

/** Defaults, overridden by `given`; every problem is reported at once. */
export function resolveParams(
  decl: Pick<WorkloadDecl, 'name' | 'params'>,
  given: Readonly<Record<string, unknown>> = {},
): ResolvedParams {
  const declared = decl.params ?? {};
  const values: ParamValues = {};
  const errors: string[] = [];
  for (const key of Object.keys(given)) {
    if (!(key in declared)) {
      const known = Object.keys(declared);
      errors.push(
        `workload ${decl.name}: unknown parameter '${key}'${known.length > 0 ? ` (it takes: ${known.join(', ')})` : ' (it takes none)'}`,
      );
    }
  }
  for (const [key, p] of Object.entries(declared)) {
    const raw = key in given ? given[key] : p.default;
    const checked = checkValue(decl.name, key, p, raw);
    if ('error' in checked) errors.push(checked.error);
    else values[key] = checked.value;
  }
  return { values, errors };
}

function checkValue(
  workload: string,
  key: string,
  p: ParamDecl,
  raw: unknown,
): { value: number | string } | { error: string } {
  const at = `workload ${workload}: parameter ${key}`;
  if (typeof p.default === 'number') {
    const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n))
      return { error: `${at} must be an integer, not ${JSON.stringify(raw)}` };
    if (p.minimum !== undefined && n < p.minimum)
      return { error: `${at} is ${n}, below its minimum ${p.minimum}` };
    if (p.maximum !== undefined && n > p.maximum)
      return { error: `${at} is ${n}, above its maximum ${p.maximum}` };
    return { value: n };
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') return { error: `${at} must be a string` };
  const s = String(raw);
  const re = p.pattern !== undefined ? new RegExp(`^(?:${p.pattern})$`) : SAFE_WORD;
  if (!re.test(s)) return { error: `${at}: ${JSON.stringify(s)} does not match ${re.source}` };
  return { value: s };
}

/** Replaces {{name}}; an unknown name is an error (a typo must not reach the guest). */
export function substitute(
  template: string,
  values: Readonly<ParamValues>,
): { text: string; unknown: string[] } {
  const unknown: string[] = [];
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!(name in values)) {
      unknown.push(name);
      return whole;
    }
    return String(values[name]);
  });
  return { text, unknown };
}

/** A timeout: a number, or a sum such as '{{duration}} + 120'. */
export function evalSeconds(
  expr: number | string,
  values: Readonly<ParamValues>,
): { seconds: number | undefined; error?: string } {
  if (typeof expr === 'number') return { seconds: expr };
  const { text, unknown } = substitute(expr, values);
  if (unknown.length > 0)
    return { seconds: undefined, error: `unknown parameter(s) ${unknown.join(', ')} in '${expr}'` };
  const terms = text.split('+').map((t) => t.trim());
  if (terms.some((t) => !/^\d+$/.test(t)))
    return { seconds: undefined, error: `'${expr}' is not a sum of whole seconds` };
  const seconds = terms.reduce((a, t) => a + Number(t), 0);
  return seconds > 0 ? { seconds } : { seconds: undefined, error: `'${expr}' is not positive` };
}

/** Every {{name}} used by a declaration's commands and timeout. */
export function placeholders(decl: WorkloadDecl): string[] {
  const texts = [
    ...(decl.setup ?? []),
    decl.command,
    ...(decl.checks ?? []).map((c) => c.command),
    ...(decl.teardown ?? []),
    typeof decl.timeoutSec === 'string' ? decl.timeoutSec : '',
  ];
  const names = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(PLACEHOLDER)) names.add(m[1]!);
  return [...names].sort();
}
