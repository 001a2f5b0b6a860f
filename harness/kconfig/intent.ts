import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { configError } from '../errors.ts';
import { kconfigDir, projectRoot } from '../util/paths.ts';
import type { ConfigMap } from './dotconfig.ts';
import { explainDropped } from './explain.ts';
import type { KconfigDb } from './kconfig-tree.ts';
import type { Dropped } from './survival.ts';

/**
 * Why the default fragments ask for each option (configs/kconfig/intent.yaml): *required*
 * (a workload, the guest or the scanner needs it) or a *preference* (a size or speed
 * choice). The list changes no .config, so it is in no cache key; it only decides whether
 * an option that did not survive olddefconfig stops the build or is a note.
 */
export interface OptionIntent {
  /** Option name (no CONFIG_) → why a workload needs it. */
  required: ReadonlyMap<string, string>;
  /** Option name → why it is only a preference. */
  preferences: ReadonlyMap<string, string>;
}

export const INTENT_FILE = join(kconfigDir, 'intent.yaml');

export function loadOptionIntent(file: string = INTENT_FILE): OptionIntent {
  return parseOptionIntent(readFileSync(file, 'utf8'), relative(projectRoot, file));
}

export function parseOptionIntent(text: string, name = 'intent.yaml'): OptionIntent {
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const list = (key: 'required' | 'preferences'): Map<string, string> => {
    const raw = doc[key] ?? {};
    const out = new Map<string, string>();
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${key}: expected a map of OPTION: reason`);
      return out;
    }
    for (const [k, v] of Object.entries(raw)) {
      if (!/^[A-Z0-9_]+$/.test(k) || k.startsWith('CONFIG_'))
        problems.push(`${key}: ${k} is not an option name (no CONFIG_ prefix)`);
      else if (typeof v !== 'string' || v.trim() === '') problems.push(`${key}: ${k} needs a reason`);
      else out.set(k, v);
    }
    return out;
  };
  for (const k of Object.keys(doc)) {
    if (k !== 'required' && k !== 'preferences') problems.push(`unknown key ${k} (required, preferences)`);
  }
  const required = list('required');
  const preferences = list('preferences');
  for (const k of required.keys()) {
    if (preferences.has(k)) problems.push(`${k} is both required and a preference`);
  }
  if (problems.length > 0)
    throw configError(`${name} has ${problems.length} problem(s)`, {
      details: problems,
      hint: 'each option is in one list, as OPTION: reason',
    });
  return { required, preferences };
}

/** What the survival check concluded: errors stop the build, notes go to build.log, the record and the run. */
export interface SurvivalVerdict {
  errors: string[];
  notes: string[];
}

/**
 * Sorts the options that did not survive olddefconfig. A preference the kernel forces or
 * lacks is a note. An option of the default fragments that the kernel's Kconfig does not
 * define at all (renamed or removed there) is a note too: the workloads' `needs:` decide
 * from the final .config what can run. Anything else — a required option dropped by a
 * dependency, or an option no list names (a user's fragment: a typo is an error) — is an
 * error with the explanation of what dropped it.
 */
export function judgeDropped(
  dropped: readonly Dropped[],
  intent: OptionIntent,
  db: KconfigDb,
  final: ConfigMap,
): SurvivalVerdict {
  const errors: string[] = [];
  const notes: string[] = [];
  for (const d of dropped) {
    const name = d.requested.name;
    const text = explainDropped(db, final, d);
    const preference = intent.preferences.get(name);
    const known = preference !== undefined || intent.required.has(name);
    const absent = (db.definitions.get(name) ?? []).length === 0;
    if (preference !== undefined) notes.push(`${text} (a preference: ${preference}; the build goes on)`);
    else if (known && absent)
      notes.push(`${text} (required here for: ${intent.required.get(name)}; workloads that need it say so)`);
    else errors.push(text);
  }
  return { errors, notes };
}
