/**
 * Assembles the guest initramfs (cpio newc, uncompressed) and caches it by content under
 * <cache>/images/<key>.cpio. The edge of the image stage: finds the host tools, runs
 * busybox and readelf, reads files; the decisions are in layout.ts, elf-deps.ts, cpio.ts.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, relative } from 'node:path';
import type { BuildRecord } from '../build/types.ts';
import { infraError } from '../errors.ts';
import { runCapture, runLogged } from '../process/run.ts';
import { sha256 } from '../util/hash.ts';
import { cacheRoot, projectRoot } from '../util/paths.ts';
import { type CpioEntry, sortForArchive, writeCpio } from './cpio.ts';
import { resolveElfClosure } from './elf-deps.ts';
import { BUSYBOX, DEFAULT_TOOLS, type HostTool, TOOL_DIRS } from './host-tools.ts';
import { type ImageEntry, type ImageFile, manifestLines, planImageLayout } from './layout.ts';
import { DEFAULT_LIB_DIRS, parseLdConf } from './ldconf.ts';
import { type ElfInfo, parseReadelf } from './readelf.ts';

/** Files copied verbatim into the guest: guests/rootfs/init becomes /init. */
export const GUEST_ROOTFS = join(projectRoot, 'guests', 'rootfs');

/** Bumped when the layout changes in a way the inputs do not show. */
const IMAGE_FORMAT = 'zdh-image-1';

export interface ImageSpec {
  build: Pick<BuildRecord, 'modulesDir' | 'kernelRelease'>;
  /** Host programs to carry; default DEFAULT_TOOLS. */
  tools?: readonly HostTool[];
  /** Files the caller adds: a run cell's workload programs and helper scripts. */
  files?: readonly ImageFile[];
}

export interface GuestImage {
  path: string;
  key: string;
  cached: boolean;
  entries: number;
  bytes: number;
}

export function imagesDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'images');
}

/** Finds a host program by name in $PATH and the sbin folders. */
export function findTool(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), ...TOOL_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function inspectElf(paths: readonly string[]): Promise<Map<string, ElfInfo | null>> {
  const present = paths.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  const out = new Map<string, ElfInfo | null>(paths.map((p) => [p, null]));
  if (present.length === 0) return out;
  const lines: string[] = [];
  await runLogged('readelf', ['-W', '-h', '-l', '-d', ...present], {
    onLine: (l) => lines.push(l),
    keepLines: 1,
  });
  for (const [file, info] of parseReadelf(lines.join('\n'), present)) out.set(file, info);
  return out;
}

function walkFiles(
  root: string,
  skip: (rel: string) => boolean = () => false,
): { rel: string; host: string }[] {
  const out: { rel: string; host: string }[] = [];
  const visit = (dir: string): void => {
    for (const ent of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const host = join(dir, ent.name);
      const rel = relative(root, host);
      if (skip(rel)) continue;
      if (ent.isDirectory()) visit(host);
      else if (ent.isFile()) out.push({ rel, host });
    }
  };
  visit(root);
  return out;
}

function hostLibDirs(): string[] {
  const dirs = parseLdConf('/etc/ld.so.conf', {
    read: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    glob: (pattern) => {
      // ld.so.conf only ever uses "<dir>/*.conf"-style globs.
      const dir = dirname(pattern);
      const re = new RegExp(
        `^${pattern
          .slice(dir.length + 1)
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      try {
        return readdirSync(dir)
          .filter((f) => re.test(f))
          .sort()
          .map((f) => join(dir, f));
      } catch {
        return [];
      }
    },
  });
  return [...new Set([...dirs, ...DEFAULT_LIB_DIRS])];
}

/** The folders glibc's loader searches without help (so they need no LD_LIBRARY_PATH). */
const LOADER_DIRS = new Set([
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib',
  '/usr/lib',
  '/lib64',
]);

function isStatic(info: ElfInfo | null | undefined): boolean {
  return info != null && info.interp === undefined && info.needed.length === 0;
}

/** Gathers every input and returns the image layout (no bytes read yet). */
export async function planImage(spec: ImageSpec): Promise<ImageEntry[]> {
  const busybox = findTool(BUSYBOX.name);
  if (busybox === undefined) {
    throw infraError('busybox is not installed', { hint: `apt-get install ${BUSYBOX.package}` });
  }
  const busyboxReal = realpathSync(busybox);
  const bbInfo = (await inspectElf([busyboxReal])).get(busyboxReal);
  if (!isStatic(bbInfo)) {
    throw infraError(`${busybox} is not statically linked; the guest has no libc for it`, {
      hint: `apt-get install ${BUSYBOX.package}`,
    });
  }
  const applets = (await runCapture(busyboxReal, ['--list-full'])).split('\n').filter((l) => l.trim() !== '');

  if (!existsSync(GUEST_ROOTFS)) throw infraError(`guest files missing: ${GUEST_ROOTFS}`);
  const rootfs = walkFiles(GUEST_ROOTFS).map((f) => ({
    guestPath: `/${f.rel}`,
    host: f.host,
    mode: statSync(f.host).mode & 0o111 ? 0o755 : 0o644,
  }));

  const release = spec.build.kernelRelease;
  const modRoot = join(spec.build.modulesDir, 'lib', 'modules', release);
  if (!existsSync(join(modRoot, 'modules.dep'))) {
    throw infraError(`the build has no modules.dep in ${modRoot}`, {
      hint: 'rebuild with zdh build (modules_install runs depmod), or run depmod -b on the staging folder',
    });
  }
  const modules = {
    release,
    files: walkFiles(modRoot, (rel) => rel === 'build' || rel === 'source'),
  };

  const tools = spec.tools ?? DEFAULT_TOOLS;
  const programs: { guestPath: string; host: string }[] = [];
  const etc: { guestPath: string; host: string; mode: number }[] = [];
  const missingTools: HostTool[] = [];
  for (const tool of tools) {
    const found = findTool(tool.name);
    if (found === undefined) {
      missingTools.push(tool);
      continue;
    }
    programs.push({ guestPath: tool.guestPath ?? `/usr/bin/${tool.name}`, host: realpathSync(found) });
    for (const e of tool.etc ?? []) {
      if (!existsSync(e)) continue;
      const st = statSync(e);
      if (st.isFile()) etc.push({ guestPath: e, host: e, mode: 0o644 });
      else if (st.isDirectory()) {
        for (const f of walkFiles(e)) etc.push({ guestPath: join(e, f.rel), host: f.host, mode: 0o644 });
      }
    }
  }
  if (missingTools.length > 0) {
    throw infraError(
      `host tools missing for the guest image: ${missingTools.map((t) => t.name).join(', ')}`,
      {
        hint: `apt-get install ${[...new Set(missingTools.map((t) => t.package))].join(' ')}`,
      },
    );
  }
  const extraPrograms = (spec.files ?? []).filter((f) => f.hostPath !== undefined).map((f) => f.hostPath!);
  const closure = await resolveElfClosure([...programs.map((p) => p.host), ...extraPrograms], {
    libDirs: hostLibDirs(),
    inspect: inspectElf,
  });
  if (closure.missing.length > 0) {
    throw infraError('shared libraries not found for the guest image', {
      details: closure.missing.map((m) => `${m.library} (needed by ${m.neededBy})`),
      hint: 'install the packages that provide them',
    });
  }
  const rootSet = new Set([...programs.map((p) => p.host), ...extraPrograms]);
  const libraries = closure.files
    .filter((f) => !rootSet.has(f))
    .map((f) => ({ guestPath: f, host: realpathSync(f) }));
  const libraryPath = closure.libDirs.filter((d) => !LOADER_DIRS.has(d));

  return planImageLayout({
    busybox: busyboxReal,
    applets,
    rootfs,
    modules,
    programs,
    libraries,
    etc,
    extra: spec.files ?? [],
    libraryPath,
  });
}

function toCpio(e: ImageEntry, bytes: (e: ImageEntry & { type: 'file' }) => Uint8Array): CpioEntry {
  switch (e.type) {
    case 'dir':
      return { type: 'dir', path: e.path, mode: e.mode };
    case 'symlink':
      return { type: 'symlink', path: e.path, target: e.target };
    case 'char':
      return { type: 'char', path: e.path, major: e.major, minor: e.minor, mode: e.mode };
    case 'file':
      return { type: 'file', path: e.path, mode: e.mode, data: bytes(e) };
  }
}

/** Returns the cached image for these inputs, writing it first when it is not there yet. */
export async function assembleImage(spec: ImageSpec, opts: { dir?: string } = {}): Promise<GuestImage> {
  const entries = await planImage(spec);
  const contents = new Map<string, Uint8Array>();
  const bytes = (e: ImageEntry & { type: 'file' }): Uint8Array => {
    let b = contents.get(e.path);
    if (b === undefined) {
      b = 'host' in e.source ? readFileSync(e.source.host) : e.source.data;
      contents.set(e.path, b);
    }
    return b;
  };
  const lines = manifestLines(entries, (e) => (e.type === 'file' ? sha256(bytes(e)) : ''));
  const key = sha256(IMAGE_FORMAT, ...lines);
  const dir = opts.dir ?? imagesDir();
  const path = join(dir, `${key.slice(0, 32)}.cpio`);
  if (existsSync(path)) {
    return { path, key, cached: true, entries: entries.length, bytes: statSync(path).size };
  }
  const archive = writeCpio(sortForArchive(entries.map((e) => toCpio(e, bytes))));
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, archive);
  await writeFile(join(dir, `${key.slice(0, 32)}.manifest`), `${lines.join('\n')}\n`);
  await rename(tmp, path);
  return { path, key, cached: false, entries: entries.length, bytes: archive.length };
}
