/**
 * The data of `zdh report --upstream`: what it reads of a run folder and of the zdh
 * checkout, what a bug is, and the report as typed sections before it becomes text.
 * Plain data; the accessors of a cell folder read its files on first use (run-folder.ts).
 */
import type { BisectReport } from '../../bisect/model.ts';
import type { ExpectationFile } from '../../expectations/match.ts';
import type { CaseResult, CellResult, RunSummary } from '../../model/result.ts';
import type { Finding, Frame } from '../../scan/types.ts';
import type { WorkloadDecl } from '../../workloads/types.ts';

/** What cell.json says about a cell that the reports use. */
export interface SavedCell {
  /** The cell's own id (a bisect's summary renames cells; cell.json keeps the step's). */
  id: string;
  workloads: { name: string; params: Readonly<Record<string, unknown>> }[];
  /** The --patches paths as given to the run. */
  patchPaths: string[];
  /** The cell's kernel spec, as `zdh boot` takes it in flags; null when cell.json has none. */
  kernel: SavedKernel | null;
  /** The --machine the cell was run with (a profile name or a file); null when not recorded. */
  machine: string | null;
  /** The accelerator the run asked for (`auto`, `kvm`, `tcg`); null when not recorded. */
  accel: string | null;
}

/** cell.json's kernel spec (build/kernel-spec.ts KernelSpec), the fields `zdh boot` has flags for. */
export interface SavedKernel {
  source:
    | { kind: 'tarball'; path: string }
    | { kind: 'tree'; path: string }
    | { kind: 'git'; repo: string; ref: string }
    | null;
  /** Absolute paths, in order. */
  patches: string[];
  base: string | null;
  /** Fragment references (names or paths), in order. */
  fragments: string[];
  /** The same, with the layer each was given at (kconfig/fragments.ts LAYER), as a build takes them. */
  fragmentSpecs: { ref: string; layer: number }[];
  defaultFragments: boolean;
}

/** The machine a cell booted, from machine.json (else cell.json's profile). */
export interface SavedMachine {
  name: string;
  cpus: number | null;
  memory: number | null;
  maxmem: number | null;
  slots: number | null;
  nvdimms: { id: string; size: number; label: number; align: number; node: number | null }[];
  legacyPmem: { start: number; size: number }[];
  spm: { start: number; size: number; dev0: number; dev1: number } | null;
  numa: { id: number; cpus: number; memory: number }[] | null;
}

/** A step's output file, and the nonce its part markers carry (result.json), when known. */
export interface StepFile {
  text: string;
  nonce: string | null;
}

/** One cell of the run and its folder. The accessors read the files once, on first use. */
export interface CellFolder {
  cell: CellResult;
  /** The cell's folder (absolute), or null when the run recorded none. */
  dir: string | null;
  saved: SavedCell | null;
  machine: SavedMachine | null;
  /** The run's copy of the final .config (absolute), when the cell folder has one. */
  configFile: string | null;
  config(): string | null;
  /** console.log's lines as written (host timestamps included); null when there is none. */
  consoleLines(): readonly string[] | null;
  stepOutput(workload: string): StepFile | null;
}

export interface BisectFacts {
  record: BisectReport;
  /** bisect.log (`git bisect log` of zdh's clone), when the folder has it. */
  log: string | null;
}

/** A run folder as the upstream reports read it. */
export interface RunFolder {
  /** Absolute. */
  dir: string;
  summary: RunSummary;
  cells: CellFolder[];
  bisect: BisectFacts | null;
}

/** A probe case's own account of a hang (guests/probes: `HANG:`, `DIAGNOSIS:`, task stacks). */
export interface ProbeHang {
  /** The `HANG:` line after its tag; null when the case printed none. */
  hang: string | null;
  /** `DIAGNOSIS: <verdict>: <text>`; null when the case printed none. */
  diagnosis: { verdict: string; text: string } | null;
  /** The kernel stacks the probe printed, in order. */
  stacks: { label: string; state: string | null; frames: Frame[] }[];
  /** The sleeping task's function: the first frame of its stack that is not a wait primitive. */
  sleeper: string | null;
  /** The case's diagnostic lines, as the probe printed them (without KTAP's `# `). */
  log: string[];
}

export type Occurrence =
  | { kind: 'finding'; cell: CellFolder; workload: string; finding: Finding }
  | { kind: 'probe'; cell: CellFolder; workload: string; case: CaseResult; hang: ProbeHang };

/** One distinct bug of the run: one upstream report. */
export interface Bug {
  title: string;
  kind: 'finding' | 'probe';
  /** Every occurrence in the run, in cell order. */
  occurrences: Occurrence[];
  /** The cell whose occurrences the report quotes. */
  shown: CellFolder;
}

/** A patch the cell's kernel had applied, as far as the checkout still has it. */
export interface PatchFacts {
  /** As the run recorded it. */
  name: string;
  sha256: string;
  /** The file its text was read from (relative to the checkout when inside it); null when none was found. */
  file: string | null;
  /** The file read has the content the run applied. */
  same: boolean;
  subject: string | null;
  /** The patch's description (its text before the diff), trimmed; null when it has none. */
  description: string | null;
  /** One of zdh's own fixtures (test/fixtures/kernel-patches/): its description says what it plants. */
  fixture: boolean;
}

/** A kconfig fragment the cell's kernel was configured with, as the checkout has it now. */
export interface FragmentFacts {
  name: string;
  /** What the build recorded. */
  sha256: string;
  /** The fragment's text now, and its sha256; null when the checkout has no such file. */
  text: string | null;
  nowSha256: string | null;
  /** The text now hashes to what the build recorded. */
  same: boolean;
}

/** Where the symbols of a build are, or why there are none. */
export type BuildSymbols =
  | {
      kind: 'found';
      vmlinux: string;
      modulesDir: string | null;
      /**
       * Set when these binaries are not the run's own build but the cell's kernel built
       * again with debug info (`zdh report --upstream --debug-info`, rebuild.ts): frames are
       * then placed only where the function has the size the kernel printed.
       */
      rebuilt?: { cacheKey: string };
    }
  | { kind: 'unavailable'; reason: string };

/** What the checkout and the cache say about the cell a report quotes (checkout.ts reads them). */
export interface CheckoutFacts {
  patches: PatchFacts[];
  fragments: FragmentFacts[];
  /** configs/expectations/, as now; [] when unreadable. */
  expectations: ExpectationFile[];
  /** The workload declarations, as now; [] when unreadable. */
  workloads: WorkloadDecl[];
  /** Paths are given relative to this folder (the zdh checkout). */
  root: string;
}

/** How the stack frames of a report were symbolised. */
export interface Symbols {
  build: BuildSymbols;
  /** `frameKey(frame)` → `file:line`, for the frames that were found. */
  sources: ReadonlyMap<string, string>;
}

/** A report's text before layout: headed sections of typed blocks (render.ts lays them out). */
export type Block =
  /** Prose, wrapped at the report's width. */
  | { kind: 'prose'; text: string }
  /** `Label: value` rows; values wrap under themselves. */
  | { kind: 'fields'; rows: [string, string][] }
  /**
   * A shell command as argv, each word quoted as needed, wrapped with `\` continuations.
   * `script`: shell commands that make one more, last word, a `sh -c` script: joined with
   * `&&`, single-quoted, each command from the second on starting a line with `&&`, and
   * wrapped between the script's own words (inside the quotes, a ` \` line end is a line
   * continuation to the inner sh, so the script runs as if on one line).
   */
  | { kind: 'argv'; words: string[]; script?: string[] }
  /** Shell command lines as written (guest commands): wrapped between words with `\`. */
  | { kind: 'shell'; lines: string[] }
  /** Lines quoted from a log or a file, never wrapped (mailing lists take long log lines). */
  | { kind: 'quote'; lines: string[] };

export interface Section {
  /** null for the opening paragraph. */
  heading: string | null;
  blocks: Block[];
}

export interface UpstreamReport {
  title: string;
  /** The report's file name without extension (`<name>.txt`, `<name>.config`). */
  name: string;
  sections: Section[];
}
