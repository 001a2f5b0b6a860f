import { runCapture } from '../process/run.ts';

/** The compiler and linker that make the build, as one string for cache keys and manifests. */
export async function toolchainId(cc = 'gcc'): Promise<string> {
  const [gcc, ld] = await Promise.all([
    runCapture(cc, ['--version']).then((s) => s.split('\n')[0] ?? ''),
    runCapture('ld', ['--version']).then((s) => s.split('\n')[0] ?? ''),
  ]);
  return `${gcc} | ${ld}`;
}

/** ccache when installed; the build works without it, only slower. */
export async function hasCcache(): Promise<boolean> {
  try {
    await runCapture('ccache', ['--version']);
    return true;
  } catch {
    return false;
  }
}
