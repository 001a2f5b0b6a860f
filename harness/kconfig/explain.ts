import { type ConfigMap, optionValue } from './dotconfig.ts';
import { type Expr, evalExpr, renderWithValues, unmetConjuncts } from './kconfig-expr.ts';
import type { KconfigDb } from './kconfig-tree.ts';
import type { Dropped } from './survival.ts';

/**
 * Says, for one dropped option, which dependency dropped it, e.g.
 *   CONFIG_TEST_HMM=m was dropped (now n): depends on RUNTIME_TESTING_MENU (=n) [lib/Kconfig.debug:2513]
 */
export function explainDropped(db: KconfigDb, final: ConfigMap, dropped: Dropped): string {
  const { name, value } = dropped.requested;
  const get = (s: string): string => optionValue(final, s);
  const defs = db.definitions.get(name) ?? [];
  const head = `CONFIG_${name}=${value} (${dropped.requested.from.fragment}:${dropped.requested.from.line}) ended up ${describe(dropped.actual)}`;
  if (defs.length === 0)
    return `${head}: no such option in this kernel's Kconfig (misspelt, or removed in this version)`;

  const need = value === 'y' ? 2 : value === 'm' ? 1 : 0;
  if (need === 0) {
    const selectors = activeSelectors(db, name, get);
    if (selectors.length > 0) return `${head}: selected by ${selectors.join(', ')}`;
    return `${head}: forced on by a default or another option; check its defaults`;
  }

  const reasons: string[] = [];
  for (const def of defs) {
    const unmet = def.deps.flatMap((d) => unmetConjuncts(d, get, need));
    if (unmet.length > 0) {
      const what = unmet.map((e) => withHint(db, e, get)).join(' && ');
      const limited = need === 2 && def.deps.every((d) => evalExpr(d, get) >= 1);
      reasons.push(`${limited ? 'limited to m by' : 'depends on'} ${what} [${def.file}:${def.line}]`);
    }
  }
  if (reasons.length === defs.length) return `${head}: ${reasons.join('; or ')}`;
  if (!defs.some((d) => d.hasPrompt)) {
    const selectors = (db.selectedBy.get(name) ?? []).map((s) => s.by);
    const list = selectors.length > 0 ? `: set one of ${unique(selectors).slice(0, 6).join(', ')}` : '';
    return `${head}: it has no prompt, so only a select can set it${list}`;
  }
  if (value === 'm' && get('MODULES') !== 'y')
    return `${head}: depends on MODULES (=${get('MODULES')}) for =m`;
  const choice = defs.find((d) => d.choice !== undefined)?.choice;
  if (choice !== undefined) {
    const chosen = (db.choices.get(choice) ?? []).filter((m) => m !== name && get(m) === 'y');
    return `${head}: it is one choice of several and ${chosen.length ? chosen.map((c) => `${c} (=y)`).join(', ') : 'another'} was chosen; set that one to n`;
  }
  return `${head}: olddefconfig changed it (a range, a choice or a select)`;
}

function describe(v: string): string {
  return v === 'n' ? 'not set' : `=${v}`;
}

function withHint(db: KconfigDb, e: Expr, get: (s: string) => string): string {
  const text = renderWithValues(e, get);
  if (e.op !== 'sym') return text;
  const defs = db.definitions.get(e.name) ?? [];
  if (defs.length > 0 && !defs.some((d) => d.hasPrompt)) {
    const selectors = unique((db.selectedBy.get(e.name) ?? []).map((s) => s.by));
    if (selectors.length > 0) return `${text}, which only ${selectors.slice(0, 4).join(' or ')} can select`;
  }
  return text;
}

function activeSelectors(db: KconfigDb, name: string, get: (s: string) => string): string[] {
  return (db.selectedBy.get(name) ?? [])
    .filter((s) => get(s.by) !== 'n' && s.cond.every((c) => evalExpr(c, get) > 0))
    .map((s) => `${s.by} (=${get(s.by)})`);
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
