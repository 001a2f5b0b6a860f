import type { ConfigEntry } from './dotconfig.ts';

/**
 * Merging kconfig fragments. Fragments come in layers (the project's defaults, then a
 * suite's, then the command line's); a later layer may override an earlier one, and the
 * override is recorded. Two fragments of the same layer that set one option differently
 * are a conflict: the user must say which wins.
 */
export interface Fragment {
  /** Name for messages: a path relative to the repo, or the user's path. */
  name: string;
  /** 0 = project defaults, 1 = suite, 2 = command line. Higher wins. */
  layer: number;
  entries: readonly ConfigEntry[];
}

export interface Origin {
  fragment: string;
  line: number;
  value: string;
}

export interface Requested {
  name: string;
  value: string;
  from: Origin;
}

export interface Conflict {
  name: string;
  origins: Origin[];
}

export interface Override {
  name: string;
  winner: Origin;
  overridden: Origin[];
}

export interface MergeResult {
  /** The winning value of every option any fragment set, in first-seen order. */
  requested: Requested[];
  conflicts: Conflict[];
  overrides: Override[];
}

export function mergeFragments(fragments: readonly Fragment[]): MergeResult {
  const byName = new Map<string, { layer: number; origin: Origin }[]>();
  for (const frag of fragments) {
    for (const e of frag.entries) {
      const list = byName.get(e.name) ?? [];
      list.push({ layer: frag.layer, origin: { fragment: frag.name, line: e.line, value: e.value } });
      byName.set(e.name, list);
    }
  }
  const requested: Requested[] = [];
  const conflicts: Conflict[] = [];
  const overrides: Override[] = [];
  for (const [name, settings] of byName) {
    const top = Math.max(...settings.map((s) => s.layer));
    const winners = settings.filter((s) => s.layer === top);
    const values = new Set(winners.map((w) => w.origin.value));
    if (values.size > 1) {
      conflicts.push({ name, origins: winners.map((w) => w.origin) });
      continue;
    }
    const winner = winners[winners.length - 1]!.origin;
    const losers = settings
      .filter((s) => s.layer < top && s.origin.value !== winner.value)
      .map((s) => s.origin);
    if (losers.length > 0) overrides.push({ name, winner, overridden: losers });
    requested.push({ name, value: winner.value, from: winner });
  }
  return { requested, conflicts, overrides };
}

/**
 * The .config that olddefconfig should start from: the base config with every requested
 * value written last, as merge_config.sh does (for a choice, the last `=y` read wins).
 */
export function overlayConfig(
  base: readonly { name: string; value: string }[],
  requested: readonly { name: string; value: string }[],
): { name: string; value: string }[] {
  const values = new Map<string, string>(base.map((e) => [e.name, e.value]));
  for (const r of requested) {
    values.delete(r.name);
    values.set(r.name, r.value);
  }
  return [...values].map(([name, value]) => ({ name, value }));
}
