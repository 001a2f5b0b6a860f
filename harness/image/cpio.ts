/**
 * A cpio "newc" (SVR4, no CRC) writer, the format the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). No root needed: owners,
 * modes and device numbers are written as data. Output is deterministic: inode numbers
 * count up from 1 in entry order, mtime is 0 unless given.
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char' | 'block'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

export const CPIO_TRAILER = 'TRAILER!!!';

/** Archive paths are relative, without a leading '/' or './' (as the kernel's own gen_init_cpio writes them). */
export function normaliseArchivePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new Error(`cpio path must not contain '..': ${path}`);
  if (parts.length === 0) throw new Error(`empty cpio path: '${path}'`);
  return parts.join('/');
}

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  name: string;
}

function header(h: Header): Uint8Array {
  const name = Buffer.from(`${h.name}\0`, 'utf8');
  const fields = [
    h.ino,
    h.mode,
    0, // uid
    0, // gid
    h.nlink,
    0, // mtime
    h.size,
    0, // devmajor
    0, // devminor
    h.rdevMajor,
    h.rdevMinor,
    name.length,
    0, // check
  ];
  const text = `070701${fields.map(hex8).join('')}`;
  return Buffer.concat([Buffer.from(text, 'ascii'), name, Buffer.alloc(pad4(110 + name.length))]);
}

function entryBody(e: CpioEntry): {
  mode: number;
  data: Uint8Array;
  nlink: number;
  major: number;
  minor: number;
} {
  switch (e.type) {
    case 'dir':
      return { mode: S_IFDIR | (e.mode ?? 0o755), data: new Uint8Array(0), nlink: 2, major: 0, minor: 0 };
    case 'file':
      return { mode: S_IFREG | (e.mode ?? 0o644), data: e.data, nlink: 1, major: 0, minor: 0 };
    case 'symlink':
      return { mode: S_IFLNK | 0o777, data: Buffer.from(e.target, 'utf8'), nlink: 1, major: 0, minor: 0 };
    case 'char':
    case 'block':
      return {
        mode: (e.type === 'char' ? S_IFCHR : S_IFBLK) | (e.mode ?? 0o600),
        data: new Uint8Array(0),
        nlink: 1,
        major: e.major,
        minor: e.minor,
      };
  }
}

/**
 * Serialises entries in the given order, followed by the trailer. Parents must come
 * before their children (see sortForArchive); duplicate paths are an error.
 */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const chunks: Uint8Array[] = [];
  const seen = new Set<string>();
  let ino = 1;
  for (const e of entries) {
    const name = normaliseArchivePath(e.path);
    if (seen.has(name)) throw new Error(`duplicate cpio path: ${name}`);
    seen.add(name);
    const body = entryBody(e);
    chunks.push(
      header({
        ino: ino++,
        mode: body.mode,
        nlink: body.nlink,
        size: body.data.length,
        rdevMajor: body.major,
        rdevMinor: body.minor,
        name,
      }),
    );
    chunks.push(body.data, Buffer.alloc(pad4(body.data.length)));
  }
  chunks.push(header({ ino: 0, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0, name: CPIO_TRAILER }));
  return Buffer.concat(chunks);
}

/**
 * Adds the missing parent directories and orders entries so that every directory comes
 * before what it contains; otherwise by path, so the archive does not depend on input order.
 */
export function sortForArchive(entries: readonly CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const e of entries) {
    const p = normaliseArchivePath(e.path);
    if (byPath.has(p)) throw new Error(`duplicate cpio path: ${p}`);
    byPath.set(p, { ...e, path: p });
  }
  for (const p of [...byPath.keys()]) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const existing = byPath.get(dir);
      if (existing === undefined) byPath.set(dir, { type: 'dir', path: dir });
      else if (existing.type !== 'dir')
        throw new Error(`cpio path ${p} is inside ${dir}, which is not a directory`);
    }
  }
  // Sorting by path components puts every directory before its contents.
  const key = (p: string): string[] => p.split('/');
  return [...byPath.values()].sort((a, b) => {
    const ka = key(a.path);
    const kb = key(b.path);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const x = ka[i]!;
      const y = kb[i]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return ka.length - kb.length;
  });
}
