import { InvalidArgumentError } from 'commander';

/**
 * Option value parsers. They throw commander's InvalidArgumentError, which commander words
 * with the option's name; every command then exits 2 (usage), and bisect-step with its
 * abort code.
 */

/** A whole number of at least 1 (`--jobs`, `--repeat`, `--runs`). */
export function positiveCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive whole number, got "${v}"`);
  return n;
}

/** A number of seconds above 0 (`--timeout`). */
export function positiveSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number of seconds, got "${v}"`);
  return n;
}

/** A whole number, 0 or more (`cache prune --keep`). */
export function wholeCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${v}"`);
  return n;
}

/** A number of days, 0 or more (`cache prune --older-than`). */
export function days(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number of days, got "${v}"`);
  return n;
}

/** A repeatable option: each use adds its value to the list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
