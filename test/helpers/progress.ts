import type { Progress } from '../../harness/progress/progress.ts';

/** A Progress that prints nothing. */
export const silentProgress: Progress = { step() {}, detail() {}, warn() {}, done() {} };
