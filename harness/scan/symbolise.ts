/**
 * Edge: stack frames (`func+0x1a/0x40 [module]`) to `file:line`, with binutils, the way
 * scripts/decode_stacktrace.sh does it: the symbol's address from the symbol table, plus
 * the offset, through addr2line. Work is batched: one symbol-table read and one addr2line
 * per binary (per text section, for modules), however many frames and logs there are.
 * vmlinux symbols come from `nm`; a module's from `objdump -t`, which also names the
 * section each function is in (a .ko is relocatable: addresses are section offsets).
 * Return addresses are looked up one byte back, so the line is the call, not the next one.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { configError } from '../errors.ts';
import { runCapture } from '../process/run.ts';
import type { Finding, Frame } from './types.ts';

export interface SymbolOptions {
  /** vmlinux with debug info, for frames without a module. */
  vmlinux?: string;
  /** A folder holding the build's modules (*.ko, searched recursively). */
  modulesDir?: string;
  /**
   * Place a frame only where a function of its name has the size the kernel printed
   * (`func+off/SIZE`): for binaries of another build of the same code, such as a rebuild
   * with debug info, where a size that differs means the code differs.
   */
  exactSize?: boolean;
}

export interface SymbolEntry {
  address: bigint;
  size: bigint;
  /**
   * How far the next symbol of the binary's text (of the section, for a module) is, which is
   * the size kallsyms gives and a stack trace prints (`func+off/SIZE`): the symbol's size
   * plus alignment padding, or the length of an assembly label that has no size. Null for
   * the last symbol.
   */
  span: bigint | null;
  /** The section (modules); '' for vmlinux, whose addresses are absolute. */
  section: string;
}

/** Parses `nm -S --defined-only` output, keeping function symbols named in `wanted`. */
export function parseNm(text: string, wanted: ReadonlySet<string>): Map<string, SymbolEntry[]> {
  const out = new Map<string, SymbolEntry[]>();
  const starts = new Set<bigint>();
  for (const line of text.split('\n')) {
    // "ffffffff81234560 0000000000000040 T name" (size is absent for some symbols)
    const m = /^([0-9a-f]+) (?:([0-9a-f]+) )?([tTwW]) (\S+)$/.exec(line.trim());
    if (!m) continue;
    const address = BigInt(`0x${m[1]!}`);
    starts.add(address);
    if (!wanted.has(m[4]!)) continue;
    add(out, m[4]!, { address, size: BigInt(`0x${m[2] ?? '0'}`), span: null, section: '' });
  }
  withSpans(out, new Map([['', starts]]));
  return out;
}

/** Parses `objdump -t` output of a relocatable object, keeping functions named in `wanted`. */
export function parseObjdumpSymbols(text: string, wanted: ReadonlySet<string>): Map<string, SymbolEntry[]> {
  const out = new Map<string, SymbolEntry[]>();
  const bySection = new Map<string, Set<bigint>>();
  for (const line of text.split('\n')) {
    // "0000000000000120 l     F .text	0000000000000250 dmirror_devmem_fault"
    const m = /^([0-9a-f]+) (.{7}) (\S+)\t([0-9a-f]+) (?:\.hidden )?(\S+)$/.exec(line);
    if (!m || m[2]!.includes('d') || m[2]!.includes('f')) continue; // section and file symbols
    const address = BigInt(`0x${m[1]!}`);
    const addresses = bySection.get(m[3]!) ?? new Set<bigint>();
    addresses.add(address);
    bySection.set(m[3]!, addresses);
    if (!m[2]!.includes('F') || !wanted.has(m[5]!)) continue;
    add(out, m[5]!, { address, size: BigInt(`0x${m[4]!}`), span: null, section: m[3]! });
  }
  withSpans(out, bySection);
  return out;
}

/** Sets each entry's span: the distance to the next address of its section. */
function withSpans(
  entries: Map<string, SymbolEntry[]>,
  addresses: ReadonlyMap<string, ReadonlySet<bigint>>,
): void {
  const sorted = new Map(
    [...addresses].map(([k, v]) => [k, [...v].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))]),
  );
  for (const list of entries.values())
    for (const e of list) {
      const next = sorted.get(e.section)?.find((a) => a > e.address);
      e.span = next === undefined ? null : next - e.address;
    }
}

function add(map: Map<string, SymbolEntry[]>, name: string, entry: SymbolEntry): void {
  const list = map.get(name);
  if (list === undefined) map.set(name, [entry]);
  else list.push(entry);
}

/** Tail padding a section's last function may have in kallsyms' size: x86's largest alignment. */
const MAX_PADDING = 64n;

/**
 * Whether a symbol is the function a frame printed with this size: its own size, or its
 * span (what kallsyms prints), or, for the last function of a section, its size plus padding.
 */
export function sizeMatches(sym: SymbolEntry, printed: bigint): boolean {
  if (sym.size === printed || sym.span === printed) return true;
  return sym.span === null && printed >= sym.size && printed - sym.size < MAX_PADDING;
}

/** The address a frame's source line is at, or undefined when the symbol is unknown. */
export function frameAddress(
  frame: Frame,
  symbols: ReadonlyMap<string, SymbolEntry[]>,
  exactSize = false,
): SymbolEntry | undefined {
  if (frame.offset === null) return undefined;
  const list = symbols.get(frame.function);
  if (list === undefined || list.length === 0) return undefined;
  const [off, size] = frame.offset.split('/').map((h) => BigInt(h)) as [bigint, bigint];
  // Static functions can share a name: the printed size tells them apart.
  const sym = list.find((s) => sizeMatches(s, size)) ?? (exactSize ? undefined : list[0]);
  if (sym === undefined) return undefined;
  const address = sym.address + off - (frame.ip || off === 0n ? 0n : 1n);
  return { ...sym, address };
}

/**
 * Parses `addr2line -a -f -i` output: per address, `0x…` then (function, file:line) pairs,
 * innermost inline first. Returns the innermost location per address, kernel-relative.
 */
export function parseAddr2line(text: string): Map<bigint, string | null> {
  const out = new Map<bigint, string | null>();
  let current: bigint | undefined;
  let expectLocation = false;
  for (const line of text.split('\n')) {
    if (/^0x[0-9a-f]+$/.test(line)) {
      current = BigInt(line);
      out.set(current, null);
      expectLocation = false;
      continue;
    }
    if (current === undefined) continue;
    if (!expectLocation) {
      expectLocation = true; // a function name line
      continue;
    }
    expectLocation = false;
    if (out.get(current) === null) out.set(current, sourceOf(line));
  }
  return out;
}

const KERNEL_DIRS =
  /(?:^|\/)((?:arch|block|certs|crypto|drivers|fs|include|init|io_uring|ipc|kernel|lib|mm|net|rust|samples|security|sound|tools|usr|virt)\/.*)$/;

/** `/build/linux/mm/gup.c:123 (discriminator 2)` → `mm/gup.c:123`; null for `??:0`. */
export function sourceOf(location: string): string | null {
  const m = /^(.*?):(\d+)/.exec(location.trim());
  if (!m || m[1] === '??' || m[2] === '0') return null;
  const rel = KERNEL_DIRS.exec(m[1]!);
  return `${rel ? rel[1]! : m[1]!}:${m[2]!}`;
}

/** Finds every `<name>.ko` under a folder; module names use `_` where file names may use `-`. */
export function indexModules(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    throw configError(`cannot read modules folder ${dir}`, {
      hint: 'pass the build folder that holds the *.ko files',
    });
  }
  for (const rel of entries) {
    if (!rel.endsWith('.ko')) continue;
    const name = basename(rel, '.ko').replaceAll('-', '_');
    if (!out.has(name)) out.set(name, join(dir, rel));
  }
  return out;
}

/** A binary's frames to look up. */
interface Batch {
  path: string;
  module: boolean;
  frames: Frame[];
}

const ADDR2LINE_ARGS_PER_CALL = 2000;

/** Symbolises findings' frames in place (frames whose `source` is already set are left alone). */
export class Symboliser {
  readonly #options: SymbolOptions;
  #modules: Map<string, string> | undefined;

  constructor(options: SymbolOptions) {
    this.#options = options;
  }

  async symbolise(findings: readonly Finding[]): Promise<void> {
    await this.symboliseFrames(findings.flatMap((f) => f.frames));
  }

  /** Symbolises frames in place, wherever they came from (a finding, a task's kernel stack). */
  async symboliseFrames(frames: readonly Frame[]): Promise<void> {
    const batches = new Map<string, Batch>();
    for (const frame of frames) {
      if (frame.source !== null || frame.offset === null) continue;
      const path = this.#binaryFor(frame);
      if (path === undefined) continue;
      let batch = batches.get(path);
      if (batch === undefined) {
        batch = { path, module: frame.module !== null, frames: [] };
        batches.set(path, batch);
      }
      batch.frames.push(frame);
    }
    for (const batch of batches.values()) await this.#symboliseBatch(batch);
  }

  #binaryFor(frame: Frame): string | undefined {
    if (frame.module === null) return this.#options.vmlinux;
    if (this.#options.modulesDir === undefined) return undefined;
    this.#modules ??= indexModules(this.#options.modulesDir);
    return this.#modules.get(frame.module.replaceAll('-', '_'));
  }

  async #symboliseBatch(batch: Batch): Promise<void> {
    const wanted = new Set(batch.frames.map((f) => f.function));
    const symbols = batch.module
      ? parseObjdumpSymbols(await runCapture('objdump', ['-t', batch.path]), wanted)
      : parseNm(await runCapture('nm', ['-S', '--defined-only', batch.path]), wanted);
    // Group addresses by section: addr2line takes one section per call.
    const bySection = new Map<string, { frame: Frame; address: bigint }[]>();
    for (const frame of batch.frames) {
      const at = frameAddress(frame, symbols, this.#options.exactSize === true);
      if (at === undefined) continue;
      const list = bySection.get(at.section) ?? [];
      list.push({ frame, address: at.address });
      bySection.set(at.section, list);
    }
    for (const [section, items] of bySection) {
      const unique = [...new Set(items.map((i) => i.address))];
      const sources = new Map<bigint, string | null>();
      for (let i = 0; i < unique.length; i += ADDR2LINE_ARGS_PER_CALL) {
        const part = unique.slice(i, i + ADDR2LINE_ARGS_PER_CALL).map((a) => `0x${a.toString(16)}`);
        const args = [
          '-a',
          '-f',
          '-i',
          '-e',
          batch.path,
          ...(section === '' ? [] : ['-j', section]),
          ...part,
        ];
        for (const [a, s] of parseAddr2line(await runCapture('addr2line', args))) sources.set(a, s);
      }
      for (const { frame, address } of items) frame.source = sources.get(address) ?? null;
    }
  }
}
