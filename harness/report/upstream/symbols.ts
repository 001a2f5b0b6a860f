/**
 * Edge: a report's stack frames to `file:line`, with the scanner's Symboliser (the same
 * nm/objdump + addr2line batching `zdh scan --vmlinux --modules` uses) over the build's
 * vmlinux and modules. The Symboliser is the boundary: tests give a fake that maps
 * functions to lines, and no binutils run.
 */
import { Symboliser } from '../../scan/symbolise.ts';
import type { Frame } from '../../scan/types.ts';
import { bugFrames, frameKey } from './quote.ts';
import type { Bug, BuildSymbols, Symbols } from './types.ts';

/** What symbolises frames in place (scan/symbolise.ts Symboliser, or a test's fake). */
export interface FrameSymboliser {
  symboliseFrames(frames: readonly Frame[]): Promise<void>;
}

/** exactSize: the binaries are another build of the same code (scan/symbolise.ts SymbolOptions). */
export type SymboliserFor = (build: {
  vmlinux: string;
  modulesDir: string | null;
  exactSize: boolean;
}) => FrameSymboliser;

export const binutilsSymboliser: SymboliserFor = (build) =>
  new Symboliser({
    vmlinux: build.vmlinux,
    ...(build.modulesDir === null ? {} : { modulesDir: build.modulesDir }),
    exactSize: build.exactSize,
  });

/** The sources of a bug's quoted frames, keyed by frameKey; none when the build is gone. */
export async function symbolsFor(
  bug: Bug,
  build: BuildSymbols,
  symboliserFor: SymboliserFor,
): Promise<Symbols> {
  if (build.kind !== 'found') return { build, sources: new Map() };
  const frames = new Map<string, Frame>();
  for (const f of bugFrames(bug)) {
    if (f.source !== null || f.offset === null) continue;
    frames.set(frameKey(f), { ...f });
  }
  if (frames.size === 0) return { build, sources: new Map() };
  try {
    await symboliserFor({
      vmlinux: build.vmlinux,
      modulesDir: build.modulesDir,
      exactSize: build.rebuilt !== undefined,
    }).symboliseFrames([...frames.values()]);
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { build: { kind: 'unavailable', reason: `symbolising them failed (${why})` }, sources: new Map() };
  }
  const sources = new Map<string, string>();
  for (const [key, f] of frames) if (f.source !== null) sources.set(key, f.source);
  return { build, sources };
}
