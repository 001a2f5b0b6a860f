import { CPIO_TRAILER } from '../../harness/image/cpio.ts';

// A newc reader for the tests: writeCpio's output read back by a second implementation.

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** One entry as read back from an archive . */
export interface CpioRecord {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
  data: Buffer;
}

/** Reads a newc archive (possibly several concatenated ones, as the kernel accepts). */
export function readCpio(buf: Buffer): CpioRecord[] {
  const out: CpioRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    // Concatenated archives may be separated by zero padding.
    if (buf[off] === 0) {
      off++;
      continue;
    }
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`bad cpio magic at ${off}: ${JSON.stringify(magic)}`);
    const field = (i: number): number =>
      Number.parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const namesize = field(11);
    const nameStart = off + 110;
    const name = buf.toString('utf8', nameStart, nameStart + namesize - 1);
    const dataStart = nameStart + namesize + pad4(110 + namesize);
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + size + pad4(size);
    if (name === CPIO_TRAILER) continue;
    out.push({
      name,
      mode,
      uid: field(2),
      gid: field(3),
      nlink: field(4),
      rdevMajor: field(9),
      rdevMinor: field(10),
      data,
    });
  }
  return out;
}
