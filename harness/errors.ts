/**
 * The error every stage throws for a condition a user can act on. `kind` says whose
 * fault it is; the CLI maps kinds to exit codes in one place (cli/exit-codes.ts).
 */
export type ErrorKind =
  /** Bad command line. */
  | 'usage'
  /** Bad input file: YAML, kconfig fragment, patch, machine profile. */
  | 'config'
  /** The machine or a tool failed: missing package, make failed, QEMU would not start. */
  | 'infrastructure';

export class ZdhError extends Error {
  readonly kind: ErrorKind;
  /** What the user should do about it, shown on its own line. */
  readonly hint: string | undefined;
  /** Extra lines (compiler errors, dropped options), shown after the message. */
  readonly details: readonly string[];

  constructor(
    kind: ErrorKind,
    message: string,
    opts: { hint?: string; details?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ZdhError';
    this.kind = kind;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }
}

export const usageError = (message: string, hint?: string): ZdhError =>
  new ZdhError('usage', message, hint === undefined ? {} : { hint });

export const configError = (
  message: string,
  opts: { hint?: string; details?: readonly string[] } = {},
): ZdhError => new ZdhError('config', message, opts);

export const infraError = (
  message: string,
  opts: { hint?: string; details?: readonly string[]; cause?: unknown } = {},
): ZdhError => new ZdhError('infrastructure', message, opts);

/** Renders an error for stderr: message, details indented, then the hint. */
export function formatError(error: unknown): string {
  if (error instanceof ZdhError) {
    const lines = [`zdh: ${error.message}`];
    for (const d of error.details) lines.push(`  ${d}`);
    if (error.hint) lines.push(`  fix: ${error.hint}`);
    return lines.join('\n');
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `zdh: internal error: ${message}`;
}
