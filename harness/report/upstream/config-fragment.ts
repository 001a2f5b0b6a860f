/**
 * A kernel's configuration as a maintainer rebuilds it: the base target, then the options
 * of the zdh fragments that were applied (merge_config.sh style), each with the value the
 * built kernel ended up with (the run's own copy of the final .config), then olddefconfig.
 * The full .config goes beside the report; this is what to read. Pure.
 *
 * The fragments are read from the checkout now. When one is missing, or its text is no
 * longer what the build hashed, that is said in a comment: the values still come from the
 * run's .config, only the choice of options may differ from the build's.
 */
import { optionValue, parseConfigText, parseDotConfig } from '../../kconfig/dotconfig.ts';
import type { FragmentFacts } from './types.ts';

export interface FragmentOption {
  name: string;
  /** The value in the built kernel's .config ('n' when absent or not set); the requested one without a .config. */
  value: string;
  /** What the fragment asked for, when the kernel ended with something else. */
  requested: string | null;
}

export interface FragmentPart {
  name: string;
  state: 'same' | 'changed' | 'missing';
  /** sha256 recorded by the build, and of the text now (null when missing). */
  recorded: string;
  now: string | null;
  options: FragmentOption[];
}

export interface ConfigFragment {
  /** The base: a make target (tinyconfig) or a .config file. */
  base: string;
  parts: FragmentPart[];
  /** False when the run kept no final .config: values are the requested ones. */
  finalKnown: boolean;
}

export function configFragment(
  base: string,
  fragments: readonly FragmentFacts[],
  finalConfig: string | null,
): ConfigFragment {
  const final = finalConfig === null ? null : parseDotConfig(finalConfig);
  // A later fragment overrides an earlier one: list each option once, under the last to set it.
  const owner = new Map<string, number>();
  const entries = fragments.map((f) => (f.text === null ? [] : parseConfigText(f.text).entries));
  entries.forEach((list, i) => {
    for (const e of list) owner.set(e.name, i);
  });
  const parts = fragments.map((f, i): FragmentPart => {
    const seen = new Set<string>();
    const options: FragmentOption[] = [];
    for (const e of entries[i]!) {
      if (owner.get(e.name) !== i || seen.has(e.name)) continue;
      seen.add(e.name);
      const value = final === null ? e.value : optionValue(final, e.name);
      options.push({ name: e.name, value, requested: value === e.value ? null : e.value });
    }
    return {
      name: f.name,
      state: f.text === null ? 'missing' : f.same ? 'same' : 'changed',
      recorded: f.sha256,
      now: f.nowSha256,
      options,
    };
  });
  return { base, parts, finalKnown: final !== null };
}

/** `CONFIG_X=y` / `# CONFIG_X is not set`, as a .config writes it. */
export function configLine(name: string, value: string): string {
  return value === 'n' ? `# CONFIG_${name} is not set` : `CONFIG_${name}=${value}`;
}
