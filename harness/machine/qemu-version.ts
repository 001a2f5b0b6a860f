import { runCapture } from '../process/run.ts';
import { QEMU_BINARY } from './qemu-args.ts';

/** The first line of `qemu-system-x86_64 --version`, or null when QEMU cannot say. */
export async function qemuVersion(): Promise<string | null> {
  return runCapture(QEMU_BINARY, ['--version'])
    .then((v) => v.split('\n')[0] ?? null)
    .catch(() => null);
}
