/**
 * What goes where in the guest image, as data: the skeleton, busybox and its applet
 * links, the files under guests/rootfs, the build's modules, host tools with their
 * libraries, and the files the caller adds (workload programs, helper scripts). Pure: the edge (assemble.ts) gathers the
 * inputs and turns host paths into bytes.
 */
import { posix } from 'node:path';

export type ImageEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; source: { host: string } | { data: Uint8Array } }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode: number };

/** A file the caller adds to the image (a workload's program, a helper script). */
export interface ImageFile {
  /** Absolute path in the guest. */
  guestPath: string;
  /** Host file to copy, or the bytes themselves. */
  hostPath?: string;
  data?: string | Uint8Array;
  /** Default 0755 for hostPath files, 0644 for data. */
  mode?: number;
}

export interface LayoutInputs {
  busybox: string;
  /** `busybox --list-full` lines, e.g. 'bin/sh', 'sbin/modprobe'. */
  applets: readonly string[];
  /** Files under guests/rootfs, by guest path. */
  rootfs: readonly { guestPath: string; host: string; mode: number }[];
  modules: { release: string; files: readonly { rel: string; host: string }[] } | undefined;
  /** Host programs: guest path and host file (symlinks already resolved). */
  programs: readonly { guestPath: string; host: string }[];
  /** Libraries and loaders: same path in the guest as where they were found on the host. */
  libraries: readonly { guestPath: string; host: string }[];
  /** Configuration files copied to the same path. */
  etc: readonly { guestPath: string; host: string; mode: number }[];
  extra: readonly ImageFile[];
  /** Library folders the guest's ld.so does not search by itself (written to /etc/zdh/ld-library-path). */
  libraryPath: readonly string[];
}

const SKELETON = [
  'bin',
  'sbin',
  'usr/bin',
  'usr/sbin',
  'lib',
  'etc',
  'dev',
  'proc',
  'sys',
  'tmp',
  'mnt',
  'run',
  'root',
];

const norm = (p: string): string => posix.normalize(`/${p}`).replace(/^\/+/, '');

/**
 * Builds the entry list. Later sources win over earlier ones at the same path in this
 * order: skeleton, applet links, rootfs, libraries, programs, etc, extra files. (So a
 * host tool replaces a busybox applet of the same name, and a stage's file replaces ours.)
 */
export function planImageLayout(inputs: LayoutInputs): ImageEntry[] {
  const byPath = new Map<string, ImageEntry>();
  const put = (e: ImageEntry): void => {
    const path = norm(e.path);
    byPath.set(path, { ...e, path });
  };
  for (const d of SKELETON) put({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 });
  put({ type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 });
  put({ type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });
  put({ type: 'file', path: 'bin/busybox', mode: 0o755, source: { host: inputs.busybox } });
  for (const applet of inputs.applets) {
    const path = norm(applet.trim());
    if (path === '' || path === 'bin/busybox') continue;
    put({ type: 'symlink', path, target: '/bin/busybox' });
  }
  for (const f of inputs.rootfs)
    put({ type: 'file', path: f.guestPath, mode: f.mode, source: { host: f.host } });
  if (inputs.modules) {
    for (const f of inputs.modules.files) {
      put({
        type: 'file',
        path: posix.join('lib/modules', inputs.modules.release, f.rel),
        mode: 0o644,
        source: { host: f.host },
      });
    }
  }
  for (const l of inputs.libraries)
    put({ type: 'file', path: l.guestPath, mode: 0o755, source: { host: l.host } });
  for (const p of inputs.programs)
    put({ type: 'file', path: p.guestPath, mode: 0o755, source: { host: p.host } });
  for (const e of inputs.etc)
    put({ type: 'file', path: e.guestPath, mode: e.mode, source: { host: e.host } });
  put({
    type: 'file',
    path: 'etc/zdh/ld-library-path',
    mode: 0o644,
    source: { data: Buffer.from(inputs.libraryPath.join(':') + '\n') },
  });
  for (const x of inputs.extra) {
    if (!x.guestPath.startsWith('/')) throw new Error(`image file path must be absolute: ${x.guestPath}`);
    if ((x.hostPath === undefined) === (x.data === undefined)) {
      throw new Error(`image file ${x.guestPath} needs exactly one of hostPath and data`);
    }
    const source = x.hostPath !== undefined ? { host: x.hostPath } : { data: Buffer.from(x.data!) };
    put({
      type: 'file',
      path: x.guestPath,
      mode: x.mode ?? (x.hostPath !== undefined ? 0o755 : 0o644),
      source,
    });
  }
  return [...byPath.values()];
}

/** The lines the cache key is computed from: one per entry, file contents by their sha256. */
export function manifestLines(
  entries: readonly ImageEntry[],
  contentHash: (e: ImageEntry) => string,
): string[] {
  const line = (e: ImageEntry): string => {
    switch (e.type) {
      case 'dir':
        return `d ${e.path} ${e.mode.toString(8)}`;
      case 'symlink':
        return `l ${e.path} ${e.target}`;
      case 'char':
        return `c ${e.path} ${e.major}:${e.minor} ${e.mode.toString(8)}`;
      case 'file':
        return `f ${e.path} ${e.mode.toString(8)} ${contentHash(e)}`;
    }
  };
  return entries.map(line).sort();
}
