/**
 * A run's initrd: the cached guest image with a small second archive appended (the
 * step plan and the machine's module options). The kernel unpacks concatenated cpio
 * archives in order, later files replacing earlier ones, so the big image is never rebuilt
 * for a new command.
 */
import { appendFile, copyFile } from 'node:fs/promises';
import { type CpioEntry, sortForArchive, writeCpio } from './cpio.ts';

export async function writeRunInitrd(
  baseImage: string,
  extra: readonly CpioEntry[],
  out: string,
): Promise<void> {
  await copyFile(baseImage, out);
  await appendFile(out, writeCpio(sortForArchive(extra)));
}
