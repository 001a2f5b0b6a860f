/**
 * What makes a cold kernel build faster on the build host without changing what it builds:
 * make variables and environment for `make bzImage modules`. Both were found by profiling
 * a cold build of the default kernel (`perf record -a`, docs/build-speed.md):
 *
 * - **nm and the bfd plugins.** binutils' nm loads every plugin in `bfd-plugins` to look
 *   for LTO objects. With LLVM's linker tools installed that is LLVMgold.so and libLLVM,
 *   76 ms for each nm, and 6.1's kbuild runs nm on every object it compiles
 *   (scripts/check-local-export): 10 % of a cold build's CPU. `nm --plugin <gcc's
 *   liblto_plugin.so>` loads that one plugin only: 6.7 ms, the same output, and GCC's LTO
 *   objects still readable.
 * - **Transparent huge pages.** With the host's THP in `madvise` mode (Debian's default),
 *   cc1's heap is faulted in 4 KiB at a time; on a VM where a fault is slow that is a
 *   quarter of a compile. A small LD_PRELOAD library (hugepage-preload-source.ts) advises
 *   the compiler's large anonymous mappings MADV_HUGEPAGE and glibc's malloc does the same
 *   for its arenas (`glibc.malloc.hugetlb=1`). `ZDH_BUILD_HUGEPAGES=0` turns it off.
 *
 * The pure parts (parsing, merging) are exported for tests; the rest asks the host.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { runCapture } from '../process/run.ts';
import { sha256 } from '../util/hash.ts';
import { HUGEPAGE_PRELOAD_C } from './hugepage-preload-source.ts';

export type ThpMode = 'always' | 'madvise' | 'never';

export const THP_ENABLED_FILE = '/sys/kernel/mm/transparent_hugepage/enabled';
const MALLOC_HUGEPAGES = 'glibc.malloc.hugetlb=1';

/** The selected mode of /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"). */
export function parseThpMode(text: string): ThpMode | undefined {
  const m = /\[(always|madvise|never)\]/.exec(text);
  return m ? (m[1] as ThpMode) : undefined;
}

/**
 * The NM make variable for gcc's own LTO plugin, given what `gcc -print-file-name=liblto_plugin.so`
 * printed: gcc prints the bare name back when it has no such file, and then nm stays as it is.
 */
export function nmMakeArg(printed: string, exists: (path: string) => boolean): string | undefined {
  const path = printed.trim();
  if (!isAbsolute(path) || !exists(path)) return undefined;
  return `NM=nm --plugin ${path}`;
}

/**
 * LD_PRELOAD and GLIBC_TUNABLES with the huge-page library and malloc tunable added to what
 * the user's environment already has (LD_PRELOAD's entries are separated by spaces or
 * colons, GLIBC_TUNABLES's by colons).
 */
export function hugepageEnv(
  preload: string,
  current: { LD_PRELOAD?: string | undefined; GLIBC_TUNABLES?: string | undefined },
): Record<string, string> {
  const preloads = (current.LD_PRELOAD ?? '').split(/[\s:]+/).filter(Boolean);
  const tunables = (current.GLIBC_TUNABLES ?? '').split(':').filter(Boolean);
  const userMalloc = tunables.some((t) => t.startsWith('glibc.malloc.hugetlb='));
  return {
    LD_PRELOAD: [preload, ...preloads.filter((p) => p !== preload)].join(' '),
    GLIBC_TUNABLES: (userMalloc ? tunables : [...tunables, MALLOC_HUGEPAGES]).join(':'),
  };
}

/** The NM make variable for every make of a build with `cc`, and a note for the build log. */
export async function nmTuning(cc = 'gcc'): Promise<{ makeArgs: string[]; notes: string[] }> {
  const printed = await runCapture(cc, ['-print-file-name=liblto_plugin.so']).catch(() => '');
  const nm = nmMakeArg(printed, existsSync);
  return nm === undefined
    ? { makeArgs: [], notes: [] }
    : { makeArgs: [nm], notes: [`nm loads only gcc's LTO plugin (${nm.slice(3)})`] };
}

/**
 * The environment that gives the compiling make huge pages on this host, and a note for the
 * build log. `toolchain` (toolchainId) keys the library kept under `<cache>/tools/`.
 */
export async function hugepageTuning(
  cache: string,
  toolchain: string,
  cc = 'gcc',
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ env: Record<string, string>; note: string }> {
  if (env['ZDH_BUILD_HUGEPAGES'] === '0')
    return { env: {}, note: 'huge pages for the compiler: off (ZDH_BUILD_HUGEPAGES=0)' };
  let mode: ThpMode | undefined;
  try {
    mode = parseThpMode(readFileSync(THP_ENABLED_FILE, 'utf8'));
  } catch {
    mode = undefined;
  }
  if (mode !== 'madvise') {
    return {
      env: {},
      note: `huge pages for the compiler: not needed (transparent huge pages: ${mode ?? 'unknown'})`,
    };
  }
  try {
    const preload = await hugepagePreload(cache, toolchain, cc);
    return {
      env: hugepageEnv(preload, { LD_PRELOAD: env['LD_PRELOAD'], GLIBC_TUNABLES: env['GLIBC_TUNABLES'] }),
      note: `huge pages for the compiler: on (${preload}, ${MALLOC_HUGEPAGES})`,
    };
  } catch (error) {
    return {
      env: {},
      note: `huge pages for the compiler: off, the preload library did not build (${(error as Error).message.split('\n')[0]})`,
    };
  }
}

/** The preload library, built once per source and toolchain into `<cache>/tools/`. */
async function hugepagePreload(cache: string, toolchain: string, cc: string): Promise<string> {
  const dir = join(cache, 'tools');
  const stem = `hugepage-preload-${sha256(`${toolchain}\n${HUGEPAGE_PRELOAD_C}`).slice(0, 16)}`;
  const out = join(dir, `${stem}.so`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${stem}.tmp-${process.pid}`);
  try {
    writeFileSync(`${tmp}.c`, HUGEPAGE_PRELOAD_C);
    await runCapture(cc, ['-O2', '-shared', '-fPIC', '-Wall', '-Werror', '-o', tmp, `${tmp}.c`, '-ldl']);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.c`, { force: true });
  }
  return out;
}
