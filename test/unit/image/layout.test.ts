import { describe, expect, it } from 'vitest';
import { type LayoutInputs, manifestLines, planImageLayout } from '../../../harness/image/layout.ts';

const base: LayoutInputs = {
  busybox: '/usr/bin/busybox',
  applets: ['bin/busybox', 'bin/sh', 'sbin/modprobe', 'usr/sbin/mkfs.ext4'],
  rootfs: [{ guestPath: '/init', host: '/repo/guests/rootfs/init', mode: 0o755 }],
  modules: {
    release: '6.1.192',
    files: [
      { rel: 'kernel/lib/test_hmm.ko', host: '/b/test_hmm.ko' },
      { rel: 'modules.dep', host: '/b/modules.dep' },
    ],
  },
  programs: [{ guestPath: '/usr/sbin/mkfs.ext4', host: '/usr/sbin/mke2fs' }],
  libraries: [
    { guestPath: '/lib64/ld-linux-x86-64.so.2', host: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
  ],
  etc: [{ guestPath: '/etc/mke2fs.conf', host: '/etc/mke2fs.conf', mode: 0o644 }],
  extra: [],
  libraryPath: [],
};

describe('planImageLayout', () => {
  it('puts busybox, its links, init, modules, tools, libraries and config where the guest expects them', () => {
    const entries = planImageLayout(base);
    const by = new Map(entries.map((e) => [e.path, e]));
    expect(by.get('bin/busybox')).toMatchObject({ type: 'file', source: { host: '/usr/bin/busybox' } });
    expect(by.get('bin/sh')).toEqual({ type: 'symlink', path: 'bin/sh', target: '/bin/busybox' });
    expect(by.get('init')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(by.get('lib/modules/6.1.192/kernel/lib/test_hmm.ko')).toMatchObject({ type: 'file' });
    expect(by.get('lib/modules/6.1.192/modules.dep')).toMatchObject({ type: 'file' });
    expect(by.get('lib64/ld-linux-x86-64.so.2')).toMatchObject({ type: 'file' });
    expect(by.get('dev/console')).toEqual({
      type: 'char',
      path: 'dev/console',
      major: 5,
      minor: 1,
      mode: 0o600,
    });
    expect(by.get('tmp')).toMatchObject({ type: 'dir', mode: 0o1777 });
    // A host program replaces the busybox applet of the same path.
    expect(by.get('usr/sbin/mkfs.ext4')).toMatchObject({
      type: 'file',
      source: { host: '/usr/sbin/mke2fs' },
    });
  });

  it("adds a later stage's files, which win over ours, and refuses relative or ambiguous ones", () => {
    const entries = planImageLayout({
      ...base,
      extra: [
        { guestPath: '/init', data: '#!/bin/sh\n' },
        { guestPath: '/opt/probe', hostPath: '/b/probe' },
      ],
    });
    const by = new Map(entries.map((e) => [e.path, e]));
    expect(by.get('init')).toMatchObject({ mode: 0o644, source: { data: Buffer.from('#!/bin/sh\n') } });
    expect(by.get('opt/probe')).toMatchObject({ mode: 0o755, source: { host: '/b/probe' } });
    expect(() => planImageLayout({ ...base, extra: [{ guestPath: 'rel', data: 'x' }] })).toThrow(/absolute/);
    expect(() =>
      planImageLayout({ ...base, extra: [{ guestPath: '/x', data: 'x', hostPath: '/y' }] }),
    ).toThrow(/exactly one/);
  });

  it('writes the extra library folders for LD_LIBRARY_PATH', () => {
    const entries = planImageLayout({ ...base, libraryPath: ['/opt/lib', '/usr/local/lib'] });
    const e = entries.find((x) => x.path === 'etc/zdh/ld-library-path');
    expect(e?.type === 'file' && 'data' in e.source && Buffer.from(e.source.data).toString()).toBe(
      '/opt/lib:/usr/local/lib\n',
    );
  });
});

describe('manifestLines', () => {
  it('is sorted, covers every entry, and changes with a file content hash', () => {
    const entries = planImageLayout(base);
    const a = manifestLines(entries, () => 'h1');
    const b = manifestLines(entries, (e) => (e.path === 'init' ? 'h2' : 'h1'));
    expect(a).toHaveLength(entries.length);
    expect([...a].sort()).toEqual(a);
    expect(a).not.toEqual(b);
    expect(a).toContain('l bin/sh /bin/busybox');
    expect(a).toContain('c dev/console 5:1 600');
  });
});
