/** The upstream-report fixtures (test/fixtures/upstream/) rendered as `zdh report --upstream` does, symbols faked. */
import { join } from 'node:path';
import { checkoutFacts, openCheckout } from '../../../harness/report/upstream/checkout.ts';
import { composeReport } from '../../../harness/report/upstream/compose.ts';
import { layoutReport, type ReportLine, renderReport } from '../../../harness/report/upstream/render.ts';
import { readRunFolder } from '../../../harness/report/upstream/run-folder.ts';
import { findBugs } from '../../../harness/report/upstream/select.ts';
import { type SymboliserFor, symbolsFor } from '../../../harness/report/upstream/symbols.ts';
import type { Bug, BuildSymbols, RunFolder, UpstreamReport } from '../../../harness/report/upstream/types.ts';
import type { Frame } from '../../../harness/scan/types.ts';
import { projectRoot } from '../../../harness/util/paths.ts';

export const upstreamDir = join(projectRoot, 'test', 'fixtures', 'upstream');
export const upstreamGoldenDir = join(upstreamDir, 'golden');
export const UPSTREAM_FIXTURES = ['default-6.1', 'broken-rmap', 'kasan-uaf', 'bisect'] as const;
export type UpstreamFixture = (typeof UPSTREAM_FIXTURES)[number];

/**
 * The fake symboliser: each function to its definition's line in the Debian 6.1.192
 * sources (the real call sites need a vmlinux with debug info, which the runs' builds lack).
 * Functions not listed stay unresolved, as addr2line leaves what it cannot place.
 */
export const FAKE_LINES: Readonly<Record<string, string>> = {
  ext4_break_layouts: 'fs/ext4/inode.c:3993',
  ext4_punch_hole: 'fs/ext4/inode.c:4026',
  ext4_setattr: 'fs/ext4/inode.c:5504',
  xfs_break_dax_layouts: 'fs/xfs/xfs_file.c:847',
  down_read_trylock: 'kernel/locking/rwsem.c:1557',
  rmap_walk: 'mm/rmap.c:2523',
  remove_migration_ptes: 'mm/migrate.c:277',
  migrate_device_finalize: 'mm/migrate_device.c:830',
  dmirror_device_evict_chunk: 'lib/test_hmm.c:186',
  dmirror_fops_release: 'lib/test_hmm.c:223',
  dmirror_device_remove_chunks: 'lib/test_hmm.c:1286',
  dmirror_fops_unlocked_ioctl: 'lib/test_hmm.c:1317',
  dmirror_migrate_to_device: 'lib/test_hmm.c:1015',
};

/** What the fake was asked: the build it was made for, and every frame it was given. */
export interface FakeCalls {
  builds: { vmlinux: string; modulesDir: string | null; exactSize: boolean }[];
  frames: Frame[];
}

export function fakeSymboliser(calls: FakeCalls = { builds: [], frames: [] }): SymboliserFor {
  return (build) => {
    calls.builds.push(build);
    return {
      symboliseFrames: async (frames) => {
        for (const f of frames) {
          calls.frames.push({ ...f });
          f.source = FAKE_LINES[f.function] ?? null;
        }
      },
    };
  };
}

export const FOUND: BuildSymbols = {
  kind: 'found',
  vmlinux: '/cache/builds/k/vmlinux',
  modulesDir: '/cache/builds/k/modules',
};

/** A fixture run folder, as if it were at /runs/<name> (stable paths in the goldens). */
export function loadUpstreamRun(name: UpstreamFixture): RunFolder {
  return { ...readRunFolder(join(upstreamDir, name)), dir: `/runs/${name}` };
}

export interface Rendered {
  bug: Bug;
  report: UpstreamReport;
  text: string;
  lines: ReportLine[];
}

const checkout = openCheckout(join(upstreamDir, 'checkout'));

export async function renderFixture(
  name: UpstreamFixture,
  build: BuildSymbols = FOUND,
  symboliser: SymboliserFor = fakeSymboliser(),
): Promise<Rendered[]> {
  const run = loadUpstreamRun(name);
  const out: Rendered[] = [];
  for (const bug of findBugs(run)) {
    const symbols = await symbolsFor(bug, build, symboliser);
    const report = composeReport(run, bug, checkoutFacts(checkout, bug.shown), symbols);
    out.push({ bug, report, text: renderReport(report), lines: layoutReport(report) });
  }
  return out;
}

/** A section of a rendered report: from its heading to the next one. */
export function section(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l, i) => l === heading && /^-+$/.test(lines[i + 1] ?? ''));
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = lines.findIndex((l, i) => i > start + 1 && /^-+$/.test(lines[i + 1] ?? '') && l !== '');
  return lines.slice(start, end < 0 ? lines.length : end).join('\n');
}

/** Commands as one line each: ` \` continuations joined. */
export const unwrap = (text: string): string => text.replace(/ \\\n\s+/g, ' ');
