/** The pure parts of `zdh report --upstream`, each on small inputs of its own. */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseResult, CellResult } from '../../../harness/model/result.ts';
import { checkoutFacts, openCheckout } from '../../../harness/report/upstream/checkout.ts';
import { reportName } from '../../../harness/report/upstream/compose.ts';
import { configFragment } from '../../../harness/report/upstream/config-fragment.ts';
import {
  declaredParts,
  guestCommands,
  markerParts,
  stepNonce,
} from '../../../harness/report/upstream/guest-commands.ts';
import { kernelGroups } from '../../../harness/report/upstream/occurrences.ts';
import { patchText } from '../../../harness/report/upstream/patch-text.ts';
import { probeHang, probeTitle } from '../../../harness/report/upstream/probe.ts';
import { frameKey, quoteFinding } from '../../../harness/report/upstream/quote.ts';
import { layoutReport, shellTokens } from '../../../harness/report/upstream/render.ts';
import { expectationOf } from '../../../harness/report/upstream/sections-history.ts';
import {
  bootKernelFlags,
  bootWords,
  groupedCommand,
} from '../../../harness/report/upstream/sections-reproducer.ts';
import { findBugs } from '../../../harness/report/upstream/select.ts';
import type { Bug, CellFolder, FragmentFacts, SavedKernel } from '../../../harness/report/upstream/types.ts';
import type { Finding } from '../../../harness/scan/types.ts';
import { sha256 } from '../../../harness/util/hash.ts';
import { projectRoot } from '../../../harness/util/paths.ts';
import type { WorkloadDecl } from '../../../harness/workloads/types.ts';
import { loadUpstreamRun, upstreamDir } from './upstream-helpers.ts';

describe('probe hangs', () => {
  const dax = [
    ' RUN           truncate_vs_odirect ...',
    'HANG: truncate did not finish 10 s after the last O_DIRECT pin was dropped',
    'thread 3073 state S, kernel stack:',
    '[<0>] xfs_break_dax_layouts+0x94/0xbe',
    '[<0>] xfs_break_layouts+0x21/0x42',
    '[<0>] xfs_vn_setattr+0x54/0x9f',
    'the truncate waits in: xfs_break_dax_layouts, xfs_break_layouts',
    'DIAGNOSIS: leaked page reference: the truncate still waits after every page of the file was referenced',
  ];

  it('reads the HANG and DIAGNOSIS lines and the stack; the title names the verdict and the sleeper', () => {
    const h = probeHang(dax)!;
    expect(h.hang).toBe('truncate did not finish 10 s after the last O_DIRECT pin was dropped');
    expect(h.diagnosis).toEqual({
      verdict: 'leaked page reference',
      text: 'the truncate still waits after every page of the file was referenced',
    });
    expect(h.stacks).toHaveLength(1);
    expect(h.stacks[0]!.frames.map((f) => [f.function, f.offset, f.ip])).toEqual([
      ['xfs_break_dax_layouts', '0x94/0xbe', false],
      ['xfs_break_layouts', '0x21/0x42', false],
      ['xfs_vn_setattr', '0x54/0x9f', false],
    ]);
    expect(h.log[0]).toBe('HANG: truncate did not finish 10 s after the last O_DIRECT pin was dropped');
    expect(probeTitle(h, { workload: 'dax-xfs', caseName: 'truncate_vs_odirect' })).toBe(
      'HANG: leaked page reference in xfs_break_dax_layouts',
    );
  });

  it("reads zdh-dax's stall verdict (a truncate never woken) as it printed it on 6.1.192", () => {
    // dax-ext4 truncate_vs_odirect, the default run of 2026-12-06, without the KTAP '# '.
    const h = probeHang([
      'HANG: truncate asleep in ext4_break_layouts (state S) and not woken for 3.0 s after the last O_DIRECT pin was dropped',
      'thread 2434 state S, kernel stack:',
      '[<0>] ext4_break_layouts+0x4c/0xd5',
      '[<0>] ext4_setattr+0x27b/0x6c2',
      '[<0>] notify_change+0x22e/0x2f9',
      '[<0>] do_truncate+0x8a/0xab',
      'the truncate waits in: ext4_break_layouts',
      "DIAGNOSIS: missing wake-up: the truncate finished as soon as the file's pages were referenced and released again",
    ])!;
    expect(h.hang).toMatch(/^truncate asleep in ext4_break_layouts/);
    expect(h.diagnosis?.verdict).toBe('missing wake-up');
    expect(probeTitle(h, { workload: 'dax-ext4', caseName: 'truncate_vs_odirect' })).toBe(
      'HANG: missing wake-up in ext4_break_layouts',
    );
  });

  it('takes the task in D state when several were dumped, and looks past wait primitives', () => {
    const h = probeHang([
      'HANG: unloading test_hmm did not finish within 30 s',
      'task 70 state S, kernel stack:',
      '[<0>] futex_wait_queue+0x60/0x90',
      'task 71 state D, kernel stack:',
      '[<0>] __schedule+0x300/0x900',
      '[<0>] schedule+0x5a/0xc0',
      '[<0>] memunmap_pages+0x1a0/0x2d0',
      '[<0>] dmirror_device_remove+0x40/0x80 [test_hmm]',
    ])!;
    expect(h.sleeper).toBe('memunmap_pages');
    expect(probeTitle(h, { workload: 'hmm-stress', caseName: 'rmmod_with_migrated_process' })).toBe(
      'HANG in memunmap_pages',
    );
  });

  it('without a stack the workload and case stand in; without HANG or DIAGNOSIS there is no hang', () => {
    const h = probeHang(['HANG: the migrate worker did not stop within 30 s'])!;
    expect(probeTitle(h, { workload: 'hmm-stress', caseName: 'concurrent_private' })).toBe(
      'HANG in hmm-stress concurrent_private',
    );
    expect(probeHang(['# check failed: expected 0, got 1', 'TIMEOUT: x did not finish'])).toBeNull();
  });
});

describe('patch subjects', () => {
  it('a plain patch: the first line of its description, the description up to the diff', () => {
    const p = patchText(
      'mm: fix the thing\n\nBecause it was broken.\n\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n',
    );
    expect(p).toEqual({
      subject: 'mm: fix the thing',
      description: 'mm: fix the thing\n\nBecause it was broken.',
    });
    expect(patchText('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n')).toEqual({
      subject: null,
      description: null,
    });
  });

  it('a git format-patch mail: the Subject without its [PATCH] tag, folded lines joined, the body to ---', () => {
    const mail = [
      'From 3c83015dfc83ea92df5fabc5be3d374ec3db33ed Mon Sep 17 00:00:00 2001',
      'From: A Developer <a@example.org>',
      'Date: Tue, 2 Dec 2025 10:00:00 +0000',
      'Subject: [PATCH v2 3/7] lib/test_hmm: expect the mirror reference on',
      ' allocated device pages',
      '',
      'The mirror holds a reference.',
      '',
      'Signed-off-by: A Developer <a@example.org>',
      '---',
      ' lib/test_hmm.c | 2 +-',
      '',
      'diff --git a/lib/test_hmm.c b/lib/test_hmm.c',
    ].join('\n');
    const p = patchText(mail);
    expect(p.subject).toBe('lib/test_hmm: expect the mirror reference on allocated device pages');
    expect(p.description).toBe(
      'lib/test_hmm: expect the mirror reference on allocated device pages\n\nThe mirror holds a reference.\n\nSigned-off-by: A Developer <a@example.org>',
    );
  });
});

describe('the config fragment', () => {
  const frag = (name: string, text: string | null, same = true): FragmentFacts => ({
    name,
    sha256: text === null ? 'f'.repeat(64) : same ? sha256(text) : 'e'.repeat(64),
    text,
    nowSha256: text === null ? null : sha256(text),
    same: text !== null && same,
  });

  it('the final value of each option a fragment set, once, under the last fragment to set it', () => {
    const f = configFragment(
      'tinyconfig',
      [
        frag('configs/kconfig/a.config', 'CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\n'),
        frag('configs/kconfig/extra/kasan.config', 'CONFIG_B=m\nCONFIG_D=y\n'),
      ],
      'CONFIG_A=y\nCONFIG_B=m\nCONFIG_C=y\n',
    );
    expect(f.parts.map((p) => [p.name, p.state, p.options])).toEqual([
      [
        'configs/kconfig/a.config',
        'same',
        [
          { name: 'A', value: 'y', requested: null },
          { name: 'C', value: 'y', requested: 'n' },
        ],
      ],
      [
        'configs/kconfig/extra/kasan.config',
        'same',
        [
          { name: 'B', value: 'm', requested: null },
          { name: 'D', value: 'n', requested: 'y' },
        ],
      ],
    ]);
    expect(f.finalKnown).toBe(true);
  });

  it('a fragment that changed or is missing says so; without a .config the requested values stand', () => {
    const f = configFragment(
      'defconfig',
      [frag('configs/kconfig/gone.config', null), frag('configs/kconfig/b.config', 'CONFIG_X=y\n', false)],
      null,
    );
    expect(f.parts.map((p) => p.state)).toEqual(['missing', 'changed']);
    expect(f.parts[1]!.options).toEqual([{ name: 'X', value: 'y', requested: null }]);
    expect(f.finalKnown).toBe(false);
  });
});

describe('guest commands', () => {
  const nonce = 'abc123';
  const out = [
    `zdh-workload:${nonce} setup 1 begin: zdh-pmem reset`,
    'disabled 1 region',
    `zdh-workload:${nonce} setup 1 end 0`,
    'zdh-workload:forged setup 2 begin: rm -rf /',
    `zdh-workload:${nonce} command main begin: ${'x'.repeat(157)}...`,
    `zdh-workload:${nonce} command main end 1`,
  ].join('\n');
  const decl = {
    name: 'w',
    description: '',
    params: { duration: { default: 3 } },
    setup: ['zdh-pmem reset'],
    command: 'zdh-dax --duration {{duration}}',
    checks: [{ name: 'unload', command: 'zdh-hmm unload' }],
    teardown: ['zdh-pmem clean'],
    timeoutSec: 60,
    parser: 'ktap',
  } satisfies WorkloadDecl;

  it('reads the begin markers of the run’s nonce only; without one, the first marker’s', () => {
    expect(markerParts(out, nonce).map((p) => `${p.part} ${p.label}`)).toEqual(['setup 1', 'command main']);
    expect(stepNonce(out)).toBe(nonce);
    expect(markerParts(out, null).map((p) => p.label)).toEqual(['1', 'main']);
  });

  it('the declaration with the cell’s parameters, whole where the marker agrees, cut where it does not', () => {
    expect(declaredParts(decl, { duration: 7 }).map((p) => p.command)).toEqual([
      'zdh-pmem reset',
      'zdh-dax --duration 7',
      'zdh-hmm unload',
      'zdh-pmem clean',
    ]);
    const parts = guestCommands({ output: out, nonce }, declaredParts(decl, { duration: 7 }));
    expect(parts.map((p) => [p.part, p.from, p.cut])).toEqual([
      ['setup', 'run', false],
      ['command', 'run', true],
      ['check', 'declaration', false],
      ['teardown', 'declaration', false],
    ]);
    expect(guestCommands(null, declaredParts(decl, {})).every((p) => p.from === 'declaration')).toBe(true);
  });
});

describe('layout', () => {
  it('splits shell lines between words only, quotes and escapes kept', () => {
    expect(shellTokens(`sed -n 's/a b/c/p' "x y" a\\ b  $(zdh-pmem dev ddax)`)).toEqual([
      'sed',
      '-n',
      "'s/a b/c/p'",
      '"x y"',
      'a\\ b',
      '$(zdh-pmem',
      'dev',
      'ddax)',
    ]);
  });

  it('quotes argv words for sh, wraps commands with \\ and prose at 72; quotes are never touched', () => {
    const lines = layoutReport({
      title: 'T',
      name: 't',
      sections: [
        {
          heading: 'S',
          blocks: [
            {
              kind: 'argv',
              words: ['zdh', 'repro', `/runs/${'r'.repeat(50)}`, '--cell', 'k@m#1', '--workload', 'w'],
            },
            { kind: 'prose', text: `${'word '.repeat(30)}end` },
            {
              kind: 'quote',
              lines: [`[    1.000000][    T1] ${'q'.repeat(100)}`, 'colour \u001b[31mred\u001b[0m'],
            },
          ],
        },
      ],
    });
    const text = lines.map((l) => l.text);
    expect(text).toContain(`  zdh repro /runs/${'r'.repeat(50)} \\`);
    expect(text).toContain("      --cell 'k@m#1' --workload w");
    expect(text.filter((t) => t.startsWith('word')).every((t) => t.length <= 72)).toBe(true);
    expect(lines.find((l) => l.text.includes('qqq'))!.kind).toBe('quote');
    expect(text).toContain('colour red');
  });

  it('a report’s file name is its title’s words and a hash of the title', () => {
    expect(reportName('BUG: kernel NULL pointer dereference in rmap_walk')).toBe(
      `bug-kernel-null-pointer-dereference-in-rmap-walk-${sha256('BUG: kernel NULL pointer dereference in rmap_walk').slice(0, 8)}`,
    );
    expect(reportName('WARNING in f')).not.toBe(reportName('WARNING: in f'));
  });
});

describe('quoting the console', () => {
  const finding = (extra: Partial<Finding>): Finding => ({
    title: 't',
    category: 'warning',
    refcount: false,
    pageKind: null,
    page: null,
    workload: 'w',
    firstLine: 2,
    lastLine: 6,
    count: 1,
    corrupted: false,
    frames: [],
    excerpt: '',
    ...extra,
  });
  const log = [
    '2026-12-06T07:06:53.000Z <6>[    1.000000][    T1] before',
    '2026-12-06T07:06:53.001Z <4>[    4.000000][   T60] WARNING: CPU: 0 PID: 60 at mm/x.c:1 f+0x1/0x2',
    '2026-12-06T07:06:53.002Z <6>[    4.000001][   T61] another task',
    '2026-12-06T07:06:53.003Z user space output',
    '2026-12-06T07:06:53.004Z <12>[    4.000002][   T62] zdh: step end w',
    '2026-12-06T07:06:53.005Z <4>[    4.000003][   T60]  g+0x10/0x20 [mod]',
  ];

  it('keeps the report’s own lines, without host stamps or syslog levels, with their frames', () => {
    const q = quoteFinding(log, finding({}));
    expect(q.map((l) => l.text)).toEqual([
      '[    4.000000][   T60] WARNING: CPU: 0 PID: 60 at mm/x.c:1 f+0x1/0x2',
      '[    4.000003][   T60]  g+0x10/0x20 [mod]',
    ]);
    expect(q[1]!.frame).toEqual({
      function: 'g',
      offset: '0x10/0x20',
      module: 'mod',
      source: null,
      ip: false,
    });
    expect(frameKey(q[1]!.frame!)).toBe('mod|g+0x10/0x20|ret');
  });

  it('a stall keeps other CPUs’ lines (its NMI backtraces), never user space’s', () => {
    const q = quoteFinding(log, finding({ category: 'rcu-stall' }));
    expect(q.map((l) => l.text)).toEqual([
      '[    4.000000][   T60] WARNING: CPU: 0 PID: 60 at mm/x.c:1 f+0x1/0x2',
      '[    4.000001][   T61] another task',
      '[    4.000003][   T60]  g+0x10/0x20 [mod]',
    ]);
  });
});

describe('how often, and expectations', () => {
  const run = loadUpstreamRun('default-6.1');
  const base = run.cells[0]!;
  const cellAs = (id: string, kernel: string, release: string, status: CaseResult['status']): CellFolder => {
    const cell: CellResult = {
      ...base.cell,
      id,
      kernel: { ...base.cell.kernel, name: kernel, release },
      workloads: base.cell.workloads.map((w) => ({
        ...w,
        cases: w.cases.map((c) => (c.name === 'truncate_vs_odirect' ? { ...c, status } : c)),
      })),
    };
    return { ...base, cell };
  };

  it('counts per kernel and machine the runs that showed it and those that ran the case and did not', () => {
    const other = cellAs('debian-6.12@default#1', 'debian-6.12', '6.12.118', 'pass');
    const skipped = cellAs('debian-6.12@default#2', 'debian-6.12', '6.12.118', 'missing');
    const bug: Bug = {
      title: 'HANG: missing wake-up in ext4_break_layouts',
      kind: 'probe',
      shown: base,
      occurrences: [
        {
          kind: 'probe',
          cell: base,
          workload: 'dax-ext4',
          case: base.cell.workloads.find((w) => w.name === 'dax-ext4')!.cases[6]!,
          hang: probeHang(['HANG: x'])!,
        },
      ],
    };
    const groups = kernelGroups([base, other, skipped], bug);
    expect(groups.map((g) => [g.kernel, g.seen.map((s) => s.cell.id), g.clean.map((c) => c.id)])).toEqual([
      ['debian-6.1', ['debian-6.1@default#1'], []],
      ['debian-6.12', [], ['debian-6.12@default#1']],
    ]);
  });

  it('an expectation counts only when its reason is the one the run recorded', () => {
    const o = {
      kind: 'probe' as const,
      cell: base,
      workload: 'dax-ext4',
      case: base.cell.workloads
        .find((w) => w.name === 'dax-ext4')!
        .cases.find((c) => c.name === 'truncate_vs_odirect')!,
      hang: probeHang(['HANG: x'])!,
    };
    const file = {
      file: '/zdh/configs/expectations/linux-6.1-tcg.yaml',
      kernel: '6.1',
      accel: 'tcg' as const,
      expectations: [
        {
          workload: 'dax-*',
          cases: ['truncate_vs_odirect'],
          status: 'fail' as const,
          reason: 'another reason',
        },
      ],
    };
    expect(expectationOf(o, [file], '/zdh')).toEqual({ file: null, reason: o.case.message, links: [] });
    const reason = o.case.message!.replace(/^expected failure: /, '').replace(/ \[DIAGNOSIS:.*\]$/, '');
    const same = {
      ...file,
      expectations: [{ ...file.expectations[0]!, reason, links: ['https://lore.example/x'] }],
    };
    expect(expectationOf(o, [same], '/zdh')).toEqual({
      file: 'configs/expectations/linux-6.1-tcg.yaml',
      reason,
      links: ['https://lore.example/x'],
    });
  });
});

describe('the stand-alone reproducer in a fresh boot', () => {
  const rendered = (words: string[], script: string[]): string[] =>
    layoutReport({
      title: 'T',
      name: 't',
      sections: [{ heading: null, blocks: [{ kind: 'argv', words, script }] }],
    })
      .slice(3)
      .map((l) => l.text);

  it('the cell’s kernel spec as zdh boot’s flags, the defaults left out', () => {
    const run = loadUpstreamRun('kasan-uaf');
    const cell = run.cells[0]!;
    expect(cell.saved?.kernel).toEqual({
      source: { kind: 'tarball', path: '/usr/src/linux-source-6.1.tar.xz' },
      patches: ['/work/main/test/fixtures/kernel-patches/test-hmm-chunk-use-after-free.patch'],
      base: 'tinyconfig',
      fragments: ['kasan'],
      fragmentSpecs: [{ ref: 'kasan', layer: 2 }],
      defaultFragments: true,
    });
    expect(bootWords(cell, 'hmm-tests')).toEqual([
      'zdh',
      'boot',
      '--workload',
      'hmm-tests',
      '--patches',
      '/work/main/test/fixtures/kernel-patches/test-hmm-chunk-use-after-free.patch',
      '--config',
      'kasan',
      '--',
      'sh',
      '-c',
    ]);
    expect(bootWords(loadUpstreamRun('default-6.1').cells[0]!, 'dax-ext4')).toEqual([
      'zdh',
      'boot',
      '--workload',
      'dax-ext4',
      '--',
      'sh',
      '-c',
    ]);
    // No cell.json: no way to say which kernel it was.
    expect(bootWords({ ...cell, saved: null }, 'hmm-tests')).toBeNull();
  });

  it('another tarball, a tree, a git commit the build recorded, a base, no default fragments; machine and accelerator', () => {
    const cell = loadUpstreamRun('default-6.1').cells[0]!;
    const saved = cell.saved!;
    const info = cell.cell.kernel;
    const flags = (kernel: SavedKernel, kernelInfo = info): string[] | null =>
      bootKernelFlags({ ...saved, kernel }, kernelInfo);
    const plain: SavedKernel = { ...saved.kernel!, patches: [], fragments: [] };
    expect(
      flags({ ...plain, source: { kind: 'tarball', path: '/usr/src/linux-source-6.12.tar.xz' } }),
    ).toEqual(['--tarball', '/usr/src/linux-source-6.12.tar.xz']);
    expect(
      flags({
        ...plain,
        source: { kind: 'tree', path: '/src/linux' },
        base: 'defconfig',
        defaultFragments: false,
      }),
    ).toEqual(['--tree', '/src/linux', '--base', 'defconfig', '--no-default-fragments']);
    const git: SavedKernel = { ...plain, source: { kind: 'git', repo: '/src/linux', ref: 'my-series' } };
    expect(
      flags(git, {
        ...info,
        source: { kind: 'git', location: '/src/linux', id: null, ref: 'my-series', commit: 'abc123' },
      }),
    ).toEqual(['--git', '/src/linux', '--ref', 'abc123']);
    expect(
      flags(git, { ...info, source: { kind: 'git', location: '/src/linux', id: null, ref: 'my-series' } }),
    ).toEqual(['--git', '/src/linux', '--ref', 'my-series']);
    expect(flags({ ...plain, source: null })).toBeNull();
    const onMachine = { ...cell, saved: { ...saved, machine: 'numa', accel: 'tcg' } };
    expect(bootWords(onMachine, 'dax-ext4')).toEqual([
      'zdh',
      'boot',
      '--workload',
      'dax-ext4',
      '--machine',
      'numa',
      '--accel',
      'tcg',
      '--',
      'sh',
      '-c',
    ]);
  });

  it('a command with operators of its own is braced before it is joined with &&', () => {
    expect(groupedCommand('zdh-pmem reset')).toBe('zdh-pmem reset');
    expect(groupedCommand('test -e /x || { echo no; exit 1; }')).toBe(
      '{ test -e /x || { echo no; exit 1; }; }',
    );
  });

  it('the script is one single-quoted word, wrapped between its words within 80 columns, each command on a line', () => {
    const lines = rendered(
      ['zdh', 'boot', '--workload', 'dax-ext4', '--', 'sh', '-c'],
      [
        'zdh-pmem reset',
        'zdh-pmem fsdax dax 512M dev',
        `zdh-dax --dir /mnt/dax ${'--flag value '.repeat(6)}--only x`,
      ],
    );
    expect(lines).toEqual([
      "  zdh boot --workload dax-ext4 -- sh -c 'zdh-pmem reset \\",
      '      && zdh-pmem fsdax dax 512M dev \\',
      '      && zdh-dax --dir /mnt/dax --flag value --flag value --flag value \\',
      "      --flag value --flag value --flag value --only x'",
    ]);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
  });

  it('is sh that gives zdh the words, and the inner sh the commands, whatever quotes they hold', () => {
    const script = [
      `printf '<%s>\\n' "a  b" "it's"`,
      groupedCommand('test -e /nonexistent || echo "no such file"'),
      `echo ${'word '.repeat(20)}end`,
    ];
    const text = rendered(['zdh', 'boot', '--workload', 'w', '--', 'sh', '-c'], script).join('\n');
    for (const sh of ['sh', 'busybox']) {
      // A stand-in zdh: prints its words but the script, then runs `sh -c SCRIPT`.
      const stub = 'zdh() { printf "[%s]" "$1" "$2" "$3" "$4" "$5" "$6"; echo; shift 5; sh "$@"; }';
      const out = execFileSync(
        sh,
        sh === 'busybox' ? ['sh', '-c', `${stub}\n${text}`] : ['-c', `${stub}\n${text}`],
        {
          encoding: 'utf8',
        },
      );
      expect(out.split('\n')).toEqual([
        '[boot][--workload][w][--][sh][-c]',
        '<a  b>',
        "<it's>",
        'no such file',
        `${'word '.repeat(20)}end`,
        '',
      ]);
    }
  });
});

describe('where an applied patch is found', () => {
  const fake = openCheckout(join(upstreamDir, 'checkout'));
  const withPaths = (paths: string[]): CellFolder => {
    const bug = findBugs(loadUpstreamRun('broken-rmap'))[0];
    if (bug === undefined) throw new Error('broken-rmap has no bug');
    const shown = bug.shown;
    if (shown.saved === null) throw new Error('broken-rmap has no saved cell');
    return { ...shown, saved: { ...shown.saved, patchPaths: paths } };
  };
  const NAME = 'migrate-device-missing-put.patch';

  it('a fixture patch run from another zdh checkout is named by its path in zdh’s tree', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'zdh-other-checkout-'));
    try {
      const dir = join(elsewhere, 'test', 'fixtures', 'kernel-patches');
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(projectRoot, 'test', 'fixtures', 'kernel-patches', NAME), join(dir, NAME));
      const [p] = checkoutFacts(fake, withPaths([join(dir, NAME)])).patches;
      expect(p).toMatchObject({ file: `test/fixtures/kernel-patches/${NAME}`, fixture: true, same: true });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a patch of the user’s own keeps the path the run gave; one that is gone falls back to the fixtures', () => {
    const own = mkdtempSync(join(tmpdir(), 'zdh-own-patch-'));
    try {
      copyFileSync(join(projectRoot, 'test', 'fixtures', 'kernel-patches', NAME), join(own, NAME));
      const [mine] = checkoutFacts(fake, withPaths([join(own, NAME)])).patches;
      expect(mine).toMatchObject({ file: join(own, NAME), fixture: false, same: true });
      const [gone] = checkoutFacts(fake, withPaths([join(own, 'gone', NAME)])).patches;
      expect(gone).toMatchObject({ file: `test/fixtures/kernel-patches/${NAME}`, fixture: true });
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
