import { type ConfigMap, optionValue } from './dotconfig.ts';
import type { Requested } from './merge.ts';

/**
 * After olddefconfig, every requested option must hold the requested value. Kconfig
 * drops an option silently when its dependencies are not met (TEST_HMM without
 * RUNTIME_TESTING_MENU); this finds each one.
 */
export interface Dropped {
  requested: Requested;
  /** The value the final .config holds ('n' when absent). */
  actual: string;
}

export function checkSurvival(requested: readonly Requested[], final: ConfigMap): Dropped[] {
  const dropped: Dropped[] = [];
  for (const r of requested) {
    const actual = optionValue(final, r.name);
    if (!sameValue(r.value, actual)) dropped.push({ requested: r, actual });
  }
  return dropped;
}

function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  // Kconfig writes hex in lower case and keeps numbers as typed; compare numerically.
  const na = Number(a);
  const nb = Number(b);
  return a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb) && na === nb;
}
