/**
 * Host programs the guest image carries, each copied with every shared library it
 * needs. Debian package names are for the error hint when one is missing.
 */
export interface HostTool {
  /** The command name, looked up in PATH and the sbin folders. */
  name: string;
  package: string;
  /** Configuration files or folders copied to the same path in the guest. */
  etc?: readonly string[];
  /** Where the guest finds it; default /usr/bin/<name>. */
  guestPath?: string;
}

/** The busybox that becomes the guest's /bin/busybox; it must be statically linked. */
export const BUSYBOX: HostTool = { name: 'busybox', package: 'busybox-static', guestPath: '/bin/busybox' };

export const DEFAULT_TOOLS: readonly HostTool[] = [
  { name: 'ndctl', package: 'ndctl', etc: ['/etc/ndctl.conf.d', '/etc/ndctl'] },
  { name: 'daxctl', package: 'daxctl', etc: ['/etc/daxctl.conf.d'] },
  { name: 'mkfs.ext4', package: 'e2fsprogs', etc: ['/etc/mke2fs.conf'], guestPath: '/usr/sbin/mkfs.ext4' },
  { name: 'mkfs.xfs', package: 'xfsprogs', guestPath: '/usr/sbin/mkfs.xfs' },
];

/** Folders searched for a tool, after $PATH: mkfs.* live in sbin, which a user's PATH may lack. */
export const TOOL_DIRS: readonly string[] = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];
