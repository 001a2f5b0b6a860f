/**
 * Parses `readelf -W -h -l -d FILE...` output into the facts the dependency resolver
 * needs. Pure: the edge (tools.ts) runs readelf; tests feed golden text.
 */

export interface ElfInfo {
  /** 'ELF32' or 'ELF64'. */
  elfClass: string;
  /** e_machine as readelf names it, e.g. 'Advanced Micro Devices X86-64'. */
  machine: string;
  /** PT_INTERP: the dynamic loader, absent for static binaries and libraries. */
  interp: string | undefined;
  needed: string[];
  rpath: string[];
  runpath: string[];
}

const splitPath = (s: string): string[] => s.split(':').filter((p) => p !== '');

/**
 * Splits output for several files at its `File: <name>` lines; with a single file readelf
 * prints no such line, so the text is attributed to `files[0]`. A file readelf could not
 * read as ELF is absent from the result.
 */
export function parseReadelf(text: string, files: readonly string[]): Map<string, ElfInfo> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  if (files.length === 1) {
    current = [];
    sections.set(files[0]!, current);
  }
  for (const line of text.split('\n')) {
    const m = /^File: (.+)$/.exec(line);
    if (m) {
      current = [];
      sections.set(m[1]!, current);
      continue;
    }
    current?.push(line);
  }
  const out = new Map<string, ElfInfo>();
  for (const [file, lines] of sections) {
    const info = parseOne(lines);
    if (info) out.set(file, info);
  }
  return out;
}

function parseOne(lines: readonly string[]): ElfInfo | undefined {
  let elfClass: string | undefined;
  let machine: string | undefined;
  let interp: string | undefined;
  const needed: string[] = [];
  const rpath: string[] = [];
  const runpath: string[] = [];
  for (const line of lines) {
    let m = /^\s*Class:\s+(\S+)/.exec(line);
    if (m) {
      elfClass = m[1]!;
      continue;
    }
    m = /^\s*Machine:\s+(.+?)\s*$/.exec(line);
    if (m) {
      machine = m[1]!;
      continue;
    }
    m = /\[Requesting program interpreter: (.+)\]/.exec(line);
    if (m) {
      interp = m[1]!;
      continue;
    }
    m = /\(NEEDED\)\s+Shared library: \[(.+)\]/.exec(line);
    if (m) {
      needed.push(m[1]!);
      continue;
    }
    m = /\(RPATH\)\s+Library rpath: \[(.*)\]/.exec(line);
    if (m) {
      rpath.push(...splitPath(m[1]!));
      continue;
    }
    m = /\(RUNPATH\)\s+Library runpath: \[(.*)\]/.exec(line);
    if (m) runpath.push(...splitPath(m[1]!));
  }
  if (elfClass === undefined || machine === undefined) return undefined;
  return { elfClass, machine, interp, needed, rpath, runpath };
}
