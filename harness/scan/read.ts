/**
 * Edge: streams a log file through a Scanner, a chunk at a time (never the whole file in
 * memory). A file that cannot be read is a config error naming it.
 */
import { createReadStream } from 'node:fs';
import { configError } from '../errors.ts';
import { Scanner } from './scanner.ts';
import type { Finding, ScanOptions } from './types.ts';

/** Read size: large enough that per-chunk overhead vanishes, small enough to stay cache-friendly. */
export const CHUNK_BYTES = 1 << 20;

export async function scanFile(path: string, options: ScanOptions = {}): Promise<Finding[]> {
  const scanner = new Scanner(options);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      scanner.push(chunk as Buffer);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : String(error);
    throw configError(`cannot read log ${path}: ${why}`);
  }
  return scanner.finish();
}
