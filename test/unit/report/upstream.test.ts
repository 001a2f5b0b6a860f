/**
 * `zdh report --upstream` on real run folders (test/fixtures/upstream/), symbols faked at
 * the Symboliser boundary. Each report is compared with its golden file, and each section
 * is asserted on its own so a wrong change fails a named assertion. To accept a deliberate
 * change, regenerate the goldens and review the diff:
 *   UPDATE_GOLDEN=1 npx vitest run --project unit test/unit/report/upstream.test.ts
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSymbols } from '../../../harness/report/upstream/checkout.ts';
import { MAX_COLUMNS } from '../../../harness/report/upstream/render.ts';
import type { BuildSymbols } from '../../../harness/report/upstream/types.ts';
import {
  type FakeCalls,
  fakeSymboliser,
  type Rendered,
  renderFixture,
  section,
  UPSTREAM_FIXTURES,
  type UpstreamFixture,
  unwrap,
  upstreamGoldenDir,
} from './upstream-helpers.ts';

const update = process.env['UPDATE_GOLDEN'] === '1';
const rendered = new Map<UpstreamFixture, Rendered[]>();
const reportsOf = async (name: UpstreamFixture): Promise<Rendered[]> => {
  let r = rendered.get(name);
  if (r === undefined) {
    r = await renderFixture(name);
    rendered.set(name, r);
  }
  return r;
};
const only = async (name: UpstreamFixture, title: string): Promise<string> => {
  const r = (await reportsOf(name)).find((x) => x.report.title === title);
  if (r === undefined) throw new Error(`no report ${title} in ${name}`);
  return r.text;
};

const flat = (s: string): string => s.replace(/\s+/g, ' ');
const EXT4 = 'HANG: missing wake-up in ext4_break_layouts';
const XFS = 'HANG: missing wake-up in xfs_break_dax_layouts';
const RMAP = 'BUG: kernel NULL pointer dereference in rmap_walk';
const KASAN = 'KASAN: use-after-free Read in dmirror_device_remove_chunks';
const BISECTED = 'WARNING: VM_WARN_ON_ONCE_PAGE(page_ref_count(dpage) != 2) in dmirror_migrate_to_device';

describe('golden reports', () => {
  const goldenNames = new Set<string>();
  for (const name of UPSTREAM_FIXTURES) {
    it(`${name}: every report is its golden file`, async () => {
      for (const r of await reportsOf(name)) {
        const file = join(upstreamGoldenDir, `${name}--${r.report.name}.txt`);
        goldenNames.add(`${name}--${r.report.name}.txt`);
        if (update) writeFileSync(file, r.text);
        expect(r.text).toBe(readFileSync(file, 'utf8'));
      }
    });
  }
  it('has no golden file without its report', async () => {
    for (const name of UPSTREAM_FIXTURES) await reportsOf(name);
    const all = UPSTREAM_FIXTURES.flatMap((n) => rendered.get(n)!.map((r) => `${n}--${r.report.name}.txt`));
    expect(readdirSync(upstreamGoldenDir).sort()).toEqual([...new Set([...all, ...goldenNames])].sort());
  });
});

describe('what counts as one bug', () => {
  it('the default 6.1 run: one report per sleeping function, the truncate and punch hole cases together', async () => {
    const r = await reportsOf('default-6.1');
    expect(r.map((x) => x.report.title)).toEqual([EXT4, XFS]);
    for (const x of r) {
      expect(x.bug.kind).toBe('probe');
      expect(
        x.bug.occurrences.map((o) => (o.kind === 'probe' ? `${o.workload} ${o.case.name}` : '')),
      ).toEqual(
        x.report.title === EXT4
          ? ['dax-ext4 truncate_vs_odirect', 'dax-ext4 punch_hole_vs_odirect']
          : ['dax-xfs truncate_vs_odirect', 'dax-xfs punch_hole_vs_odirect'],
      );
    }
  });

  it('a kernel finding is one report per title, however many times the log had it', async () => {
    const [r, ...rest] = await reportsOf('broken-rmap');
    expect(rest).toEqual([]);
    expect(r!.report.title).toBe(RMAP);
    expect(r!.bug.occurrences).toHaveLength(1);
    expect(section(r!.text, 'How often')).toContain('debian-6.1@default#1: 2 reports (hmm-stress)');
  });

  it('a bisect: one report per title across the steps, quoting the first bad commit’s cell', async () => {
    const [r, ...rest] = await reportsOf('bisect');
    expect(rest).toEqual([]);
    expect(r!.report.title).toBe(BISECTED);
    expect(r!.bug.occurrences.map((o) => o.cell.cell.id)).toEqual([
      's01-e69670db8608-bad@default#1',
      's05-abe3ec4028d6-bad@default#1',
      's06-2e807a774058-bad@default#1',
      's07-9b24b0330d71-first-bad@default#1',
    ]);
    expect(r!.bug.shown.cell.id).toBe('s07-9b24b0330d71-first-bad@default#1');
  });

  it('the file name comes from the title alone', async () => {
    const [ext4, xfs] = await reportsOf('default-6.1');
    expect(ext4!.report.name).toBe('hang-missing-wake-up-in-ext4-break-layouts-235af0b7');
    expect(xfs!.report.name).toMatch(/^hang-missing-wake-up-in-xfs-break-dax-layouts-[0-9a-f]{8}$/);
  });
});

describe('the sections of a probe hang (default 6.1, O_DIRECT truncate on ext4)', () => {
  it('title and summary', async () => {
    const text = await only('default-6.1', EXT4);
    expect(text.split('\n').slice(0, 2)).toEqual([EXT4, '='.repeat(EXT4.length)]);
    const opening = text.slice(0, text.indexOf('\nKernel\n'));
    expect(opening).toContain('The cases truncate_vs_odirect and punch_hole_vs_odirect of');
    expect(unwrap(opening).replace(/\n/g, ' ')).toContain(
      "zdh's probe zdh-dax (workload dax-ext4) hung on Linux 6.1.192 under QEMU with TCG, in zdh cell debian-6.1@default#1.",
    );
    expect(opening.replace(/\n/g, ' ')).toContain(
      "The probe's diagnosis, missing wake-up: the truncate finished",
    );
  });

  it('the kernel: release, tarball hash, no patches, config base and fragments', async () => {
    const kernel = section(await only('default-6.1', EXT4), 'Kernel');
    expect(kernel).toContain('Release:   6.1.192');
    expect(kernel).toContain('Source:    tarball /usr/src/linux-source-6.1.tar.xz, sha256');
    expect(kernel).toContain('cacdc3830989309d042083be3307969e55600ed7f908cf00df544c5ff50759a1');
    expect(kernel).toContain('Patches:   none');
    expect(kernel).toContain('Config:    tinyconfig + 3 zdh fragments (debug, qemu-boot, zone-device)');
    expect(kernel).toContain('hang-missing-wake-up-in-ext4-break-layouts-235af0b7.config');
  });

  it('the machine: QEMU, accelerator, NVDIMM and SPM layout, command line', async () => {
    const machine = section(await only('default-6.1', EXT4), 'Machine');
    expect(machine).toContain('QEMU:         QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)');
    expect(machine).toContain('Accelerator:  tcg (TCG: KVM is not available (/dev/kvm does not exist))');
    expect(machine).toContain('NVDIMM:       nv0: 2 GiB with a 2 MiB label area, 2 MiB aligned');
    expect(machine).toContain('SPM:          512 MiB at 0x40000000');
    expect(machine.replace(/\n\s+/g, ' ')).toContain(
      'Command line: console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 rdinit=/init panic=-1',
    );
  });

  it('the report: both cases’ lines as printed, the sleeping thread’s frames symbolised', async () => {
    const report = section(await only('default-6.1', EXT4), 'Report');
    expect(report).toContain('HANG: truncate did not finish 10 s after the last O_DIRECT pin was dropped\n');
    expect(report).toContain(
      'HANG: punch hole did not finish 10 s after the last O_DIRECT pin was dropped\n',
    );
    expect(report).toContain('[<0>] ext4_break_layouts+0x4c/0xd5 (fs/ext4/inode.c:3993)\n');
    expect(report).toContain('[<0>] ext4_punch_hole+0x138/0x395 (fs/ext4/inode.c:4026)\n');
    // What the fake could not place stays as printed.
    expect(report).toContain('[<0>] notify_change+0x22e/0x2f9\n');
    expect(report).toContain('DIAGNOSIS: missing wake-up: the punch hole finished as soon as');
    expect(report.replace(/\n/g, ' ')).toMatch(/\d+ stack frames of \d+ symbolised to file:line/);
  });

  it('the reproducer: zdh repro narrowed to the workload, the guest commands, each case alone', async () => {
    const repro = unwrap(section(await only('default-6.1', EXT4), 'Reproducer'));
    expect(repro).toContain(
      "  zdh repro /runs/default-6.1 --cell 'debian-6.1@default#1' --workload dax-ext4\n",
    );
    expect(repro).toContain('  # setup\n  zdh-pmem reset\n  zdh-pmem fsdax dax 512M dev\n');
    expect(repro).toContain('  zdh-pmem mount-dax ext4 dax /mnt/dax\n  zdh-pmem plain /mnt/plain\n');
    expect(repro).toContain('  # teardown\n  zdh-pmem clean\n');
    expect(repro.replace(/\n(?! {2})/g, ' ')).toContain('The probe is guests/probes/zdh-dax.c in zdh');
    expect(repro).toContain(
      '  zdh-dax --dir /mnt/dax --direct-dir /mnt/plain --duration 3 --hang-timeout 10 --only truncate_vs_odirect\n',
    );
    expect(repro).toContain(
      '  zdh-dax --dir /mnt/dax --direct-dir /mnt/plain --duration 3 --hang-timeout 10 --only punch_hole_vs_odirect\n',
    );
    // Each case in a fresh boot: the default kernel and machine need no flags.
    expect(repro).toContain(
      "  zdh boot --workload dax-ext4 -- sh -c 'zdh-pmem reset && zdh-pmem fsdax dax 512M dev && zdh-pmem mount-dax ext4 dax /mnt/dax && zdh-pmem plain /mnt/plain && zdh-dax --dir /mnt/dax --direct-dir /mnt/plain --duration 3 --hang-timeout 10 --only truncate_vs_odirect'\n",
    );
    expect(
      repro.match(/ {2}zdh boot --workload dax-ext4 -- sh -c '.*--only punch_hole_vs_odirect'\n/g),
    ).toHaveLength(1);
  });

  it('how often, and the expectation that documents it, attributed', async () => {
    const text = await only('default-6.1', EXT4);
    expect(section(text, 'How often').replace(/\n/g, ' ')).toContain(
      'Seen in 1 of 1 run of debian-6.1 (6.1.192) on machine default: debian-6.1@default#1: 2 cases (dax-ext4 truncate_vs_odirect, dax-ext4 punch_hole_vs_odirect).',
    );
    const known = section(text, 'Known to zdh').replace(/\n/g, ' ');
    expect(known).toContain('zdh expects this failure (configs/expectations/linux-6.1-tcg.yaml,');
    expect(known).toContain(
      "6.1.y's __bio_release_pages() (block/bio.c) drops an O_DIRECT bio's page references",
    );
  });

  it('the config as a fragment over tinyconfig, values from the run’s .config', async () => {
    const config = section(await only('default-6.1', EXT4), 'Kernel configuration');
    expect(config).toContain('make tinyconfig, then the options of the zdh fragments below merged in');
    expect(config).toContain('# configs/kconfig/zone-device.config\nCONFIG_BLOCK=y\n');
    expect(config).toContain('CONFIG_TEST_HMM=m\n');
    expect(config).toContain('# CONFIG_MICROCODE is not set\n');
    expect(config).not.toContain('changed since the build');
  });
});

describe('the sections of a kernel finding', () => {
  it('the oops: console lines without host stamps or syslog levels, frames and RIP symbolised', async () => {
    const text = await only('broken-rmap', RMAP);
    const report = section(text, 'Report');
    expect(flat(report)).toContain('console.log lines 214-258, printk timestamps and caller ids kept:');
    expect(report).toContain(
      '\n[    4.341409][   T60] BUG: kernel NULL pointer dereference, address: 0000000000000008\n',
    );
    expect(report).toContain(
      '[    4.343145][   T60] RIP: 0010:down_read_trylock+0xa/0x33 (kernel/locking/rwsem.c:1557)\n',
    );
    expect(report).toContain('[    4.343145][   T60]  rmap_walk+0x11/0x1a (mm/rmap.c:2523)\n');
    expect(report).toContain(
      '[    4.343145][   T60]  dmirror_device_evict_chunk+0x140/0x15c [test_hmm] (lib/test_hmm.c:186)\n',
    );
    expect(report).toContain('[    4.343145][   T60]  ? rmap_walk_anon+0x72/0x17b\n');
    expect(report).toContain('[    4.359375][   T60] ---[ end trace 0000000000000000 ]---\n');
    expect(report).not.toMatch(/2026-12-06T|<\d>\[/);
  });

  it('the opening: how many times, where, and how the machine ended', async () => {
    const opening = (await only('broken-rmap', RMAP)).split('\nKernel\n')[0]!.replace(/\n/g, ' ');
    expect(opening).toContain(
      "The kernel reported this while zdh's hmm-stress workload ran on Linux 6.1.192 under QEMU with TCG, in zdh cell debian-6.1@default#1: 2 times in one boot",
    );
    expect(opening).toContain("zdh's log scanner files it as null-deref; about a device-private page.");
    expect(opening).toContain("zdh then stopped the machine: hang: in step 'hmm-stress' the kernel oopsed");
  });

  it('the patch by subject, and the fixture patch’s description attributed', async () => {
    const text = await only('broken-rmap', RMAP);
    expect(flat(section(text, 'Kernel'))).toContain(
      'Patches: migrate-device-missing-put.patch: zdh able-to-fail fixture (hmm-stress, hmm-tests): migrate_device_finalize() misses the',
    );
    const known = section(text, 'Known to zdh').replace(/\n/g, ' ');
    expect(known).toContain(
      "The kernel had zdh's fixture patch test/fixtures/kernel-patches/migrate-device-missing-put.patch applied, which says:",
    );
    expect(known).toContain('unloading test_hmm waits forever in memunmap_pages()');
  });

  it('the guest commands: what ran, and the teardown the stopped step never got to', async () => {
    const repro = unwrap(section(await only('broken-rmap', RMAP), 'Reproducer'));
    expect(repro).toContain(
      "  zdh repro /runs/broken-rmap --cell 'debian-6.1@default#1' --workload hmm-stress\n",
    );
    expect(repro).toContain(
      '  # command\n  zdh-hmm-stress --private /dev/hmm_dmirror0 --coherent /dev/hmm_dmirror2 --duration 3 --hang-timeout 10\n',
    );
    expect(repro).toContain('  # teardown (planned)\n  zdh-hmm unload\n');
    expect(repro).toContain(
      '  zdh run --suite smoke --workload hmm-stress --patches /check/work/main/test/fixtures/kernel-patches/migrate-device-missing-put.patch --out /tmp/zdh-run-broken-Dz7N30\n',
    );
    expect(repro).not.toContain('--only');
    expect(repro).not.toContain('zdh boot');
  });

  it('KASAN: the kasan fragment, the page, the report up to its closing rule', async () => {
    const text = await only('kasan-uaf', KASAN);
    expect(section(text, 'Kernel')).toContain('tinyconfig + 4 zdh fragments (debug, qemu-boot, zone-device,');
    const kasan = section(text, 'Kernel configuration').split('# configs/kconfig/extra/kasan.config\n')[1]!;
    expect(kasan.split('\n')).toEqual(expect.arrayContaining(['CONFIG_SLUB=y', 'CONFIG_KASAN=y']));
    expect(text.replace(/\n/g, ' ')).toContain(
      'The page: pfn 0x15ef6, refcount 1, mapcount 0, no mapping, flags slab',
    );
    const report = section(text, 'Report');
    expect(report).toContain(
      '[    6.711679][  T154] BUG: KASAN: use-after-free in dmirror_device_remove_chunks+0x23d/0x351 [test_hmm]\n',
    );
    expect(report).toContain(
      '[    6.713789][  T154]  dmirror_device_remove_chunks+0x23d/0x351 [test_hmm] (lib/test_hmm.c:1286)\n',
    );
    expect(report).toMatch(/\[ {4}6\.713789\]\[ {2}T154\] =+\n/);
  });

  it('a bisect: the first bad commit with its subject, the bisect log, the good steps as not seen', async () => {
    const text = await only('bisect', BISECTED);
    const bisect = section(text, 'Bisection');
    expect(bisect.replace(/\n\s*/g, ' ')).toContain(
      'First bad commit: 9b24b0330d716e67d76c97b450930cd1fcb52208 ("lib/test_hmm: expect the mirror reference on allocated device pages")',
    );
    expect(bisect.replace(/\n/g, ' ')).toContain('It is this report.');
    expect(bisect).toContain(
      'git bisect log:\n\n# bad: [e69670db86081a8dd7920105c61eaf63e52ffcf6] Documentation/mm/hmm: fifth note\n',
    );
    expect(bisect).toContain(
      '# first bad commit: [9b24b0330d716e67d76c97b450930cd1fcb52208] lib/test_hmm: expect the mirror reference on allocated device pages\n',
    );
    const often = section(text, 'How often').replace(/\n/g, ' ');
    expect(often).toContain('Not seen on s02-1d4554f469d7-good (6.12.118+) on machine default: 1 run');
    expect(often).toContain('Not seen on s04-47684266fff2-good (6.12.118+) on machine default: 1 run');
    expect(often).not.toContain('s03-4b95e0ff0a45-skip');
    expect(flat(section(text, 'Kernel'))).toContain(
      'Source: git commit 9b24b0330d716e67d76c97b450930cd1fcb52208 of /root/.cache/zdh/bisect/fb9fd9c2b616f7be/clone.git',
    );
    expect(unwrap(section(text, 'Reproducer'))).toContain(
      "  zdh repro /runs/bisect --cell 's07-9b24b0330d71-first-bad@default#1' --workload hmm-stress\n",
    );
  });
});

describe('mailing-list form', () => {
  it('no line wider than 80 columns but the title, quoted log lines and unbreakable words; no escapes', async () => {
    for (const name of UPSTREAM_FIXTURES) {
      for (const r of await reportsOf(name)) {
        for (const l of r.lines) {
          if (l.text.length > MAX_COLUMNS)
            expect(
              l.kind === 'quote' ||
                l.kind === 'title' ||
                (l.kind === 'word' && !l.text.trim().replace(/ \\$/, '').includes(' ')),
              `${name} ${r.report.name}: ${l.text}`,
            ).toBe(true);
        }
        expect(r.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
        expect(r.text).not.toMatch(/<\/?(?:html|body|p|br|pre|b|a)\b[^>]*>|&(?:lt|gt|amp);/i);
        expect(r.text.endsWith('\n')).toBe(true);
      }
    }
  });

  it('quoted lines are the log’s: every long console quote starts with its printk timestamp', async () => {
    for (const name of ['broken-rmap', 'kasan-uaf'] as const) {
      const r = (await reportsOf(name))[0]!;
      const report = section(r.text, 'Report').split('\n');
      const quoted = report.filter((l) => l.length > MAX_COLUMNS);
      expect(quoted.length).toBeGreaterThan(0);
      for (const l of quoted) expect(l).toMatch(/^\[ *\d+\.\d{6}\]\[ *T\d+\] /);
    }
  });
});

describe('symbols', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'zdh-upstream-cache-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the fake gets the build’s vmlinux and modules, and each printed frame once, module frames with their module', async () => {
    const calls: FakeCalls = { builds: [], frames: [] };
    await renderFixture('broken-rmap', undefined, fakeSymboliser(calls));
    expect(calls.builds).toEqual([
      { vmlinux: '/cache/builds/k/vmlinux', modulesDir: '/cache/builds/k/modules', exactSize: false },
    ]);
    const names = calls.frames.map(
      (f) => `${f.function}${f.module ? ` [${f.module}]` : ''}${f.ip ? ' ip' : ''}`,
    );
    expect(names).toContain('down_read_trylock ip');
    expect(names).toContain('dmirror_fops_release [test_hmm]');
    expect(names).toContain('rmap_walk_anon');
    expect(new Set(names).size).toBe(names.length);
  });

  it('when the build is gone from the cache: said so, and the raw frames kept', async () => {
    const run = await renderFixture('broken-rmap', undefined, fakeSymboliser());
    const kernel = run[0]!.bug.shown.cell.kernel;
    const gone = buildSymbols(kernel, tmp);
    expect(gone.kind).toBe('unavailable');
    const calls: FakeCalls = { builds: [], frames: [] };
    const [r] = await renderFixture('broken-rmap', gone, fakeSymboliser(calls));
    expect(calls.builds).toEqual([]);
    const report = section(r!.text, 'Report');
    expect(report).toContain('[    4.343145][   T60]  rmap_walk+0x11/0x1a\n');
    expect(report).not.toContain('(mm/rmap.c:');
    expect(report.replace(/\n/g, ' ')).toContain(
      "Stack frames are as the kernel printed them: the build (zdh cache key cee0345fd3be) is no longer in zdh's cache",
    );
  });

  it('with a debug-info rebuild: frames placed only at the printed function size, and the report says which build', async () => {
    const calls: FakeCalls = { builds: [], frames: [] };
    const rebuilt: BuildSymbols = {
      kind: 'found',
      vmlinux: '/cache/builds/r/vmlinux',
      modulesDir: '/cache/builds/r/modules',
      rebuilt: { cacheKey: '8409a1987e4cfb65aaaa' },
    };
    const [r] = await renderFixture('broken-rmap', rebuilt, fakeSymboliser(calls));
    expect(calls.builds).toEqual([
      { vmlinux: '/cache/builds/r/vmlinux', modulesDir: '/cache/builds/r/modules', exactSize: true },
    ]);
    const report = section(r!.text, 'Report');
    expect(report).toContain('rmap_walk+0x11/0x1a (mm/rmap.c:2523)');
    const note = report.replace(/\s+/g, ' ');
    expect(note).toContain(
      '6 stack frames of 15 symbolised to file:line with the vmlinux and modules of the same kernel built again with debug info',
    );
    expect(note).toContain('zdh cache key 8409a1987e4c');
    expect(note).toContain('only where its function has the size the kernel printed');
    const none = await renderFixture('broken-rmap', rebuilt, () => ({ symboliseFrames: async () => {} }));
    expect(section(none[0]!.text, 'Report').replace(/\s+/g, ' ')).toContain(
      'Stack frames are as the kernel printed them: no function of theirs has the printed size in the vmlinux and modules of the same kernel built again',
    );
  });

  it('a symboliser that fails leaves the frames raw and says why', async () => {
    const failing = () => ({
      symboliseFrames: async () => {
        throw new Error('nm: vmlinux: file format not recognized');
      },
    });
    const [r] = await renderFixture('broken-rmap', undefined, failing);
    expect(section(r!.text, 'Report').replace(/\n/g, ' ')).toContain(
      'symbolising them failed (nm: vmlinux: file format not recognized)',
    );
  });
});
