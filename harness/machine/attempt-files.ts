/**
 * What one boot needs on disk and on sockets, and how it is undone: the run's initrd,
 * fresh sparse NVDIMM files, the results-channel and QMP sockets (zdh listens, QEMU
 * connects), machine.json. Each piece registers its own clean-up on the attempt's
 * Cleanups, which runs them newest first however the attempt ends.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CpioEntry } from '../image/cpio.ts';
import { writeRunInitrd } from '../image/initrd.ts';
import { SOCKET_DIR_MARK } from '../util/cleanup.ts';
import type { MachineProfile } from './profile-rules.ts';
import { QBOOT_ROM } from './qemu-args.ts';
import { QmpClient } from './qmp.ts';

/** Clean-ups of one attempt, run newest first; one failing does not stop the others. */
export class Cleanups {
  readonly #fns: (() => Promise<void> | void)[] = [];

  add(...fns: (() => Promise<void> | void)[]): void {
    this.#fns.push(...fns);
  }

  async run(): Promise<void> {
    for (const c of this.#fns.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // best effort: the rest still runs
      }
    }
  }
}

export function randomId(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Unix socket paths are limited to 107 bytes; long run folders get their sockets in /tmp,
 * in zdh-sockets-<pid>-XXXXXX with a mark file, so that a sweep (util/cleanup.ts
 * sweepSocketDirs) can tell a dead zdh's from anything else in /tmp.
 */
async function socketDir(runDir: string): Promise<{ dir: string; temporary: boolean }> {
  if (Buffer.byteLength(join(runDir, 'results.sock')) <= 100) return { dir: runDir, temporary: false };
  const dir = await mkdtemp(join(tmpdir(), `zdh-sockets-${process.pid}-`));
  await writeFile(join(dir, SOCKET_DIR_MARK), `${process.pid}\n`);
  return { dir, temporary: true };
}

/** A server for one connection from QEMU. */
async function listenOnce(path: string): Promise<{ server: Server; connection: Promise<Socket> }> {
  await rm(path, { force: true });
  const server = createServer();
  const connection = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return { server, connection };
}

async function sparseFile(path: string, size: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

export interface AttemptFiles {
  initrd: string;
  nvdimmFiles: string[];
  resultsPath: string;
  qmpPath: string;
  /** QEMU's connection to the results channel, once it has connected. */
  results: Promise<Socket>;
  qmp: QmpClient;
  /** Events QMP reported, by name, in order. */
  qmpEvents: string[];
  qboot: string | undefined;
}

/** The initrd (the cached image plus this run's plan), the NVDIMM files and both sockets. */
export async function prepareAttemptFiles(
  a: {
    runDir: string;
    imagePath: string;
    plan: readonly CpioEntry[];
    profile: MachineProfile;
    keepDisks: boolean;
  },
  cleanups: Cleanups,
): Promise<AttemptFiles> {
  const initrd = join(a.runDir, 'initrd.cpio');
  if (!a.keepDisks) cleanups.add(() => rm(initrd, { force: true }));
  await writeRunInitrd(a.imagePath, a.plan, initrd);

  // Fresh sparse backing files: labels live in them, so reuse would bring back old namespaces.
  const nvdimmFiles: string[] = [];
  for (const [i, d] of a.profile.nvdimms.entries()) {
    const f = join(a.runDir, `nvdimm${i}.img`);
    await rm(f, { force: true });
    if (!a.keepDisks) cleanups.add(() => rm(f, { force: true }));
    await sparseFile(f, d.fileSize);
    nvdimmFiles.push(f);
  }

  const sockets = await socketDir(a.runDir);
  if (sockets.temporary) cleanups.add(() => rm(sockets.dir, { recursive: true, force: true }));
  const resultsPath = join(sockets.dir, 'results.sock');
  const qmpPath = join(sockets.dir, 'qmp.sock');
  cleanups.add(
    () => rm(resultsPath, { force: true }),
    () => rm(qmpPath, { force: true }),
  );
  const results = await listenOnce(resultsPath);
  cleanups.add(() => {
    results.server.close();
    void results.connection.then((s) => s.destroy());
  });
  const qmpServer = await listenOnce(qmpPath);
  const qmp = new QmpClient();
  cleanups.add(() => {
    qmp.close();
    qmpServer.server.close();
  });
  const qmpEvents: string[] = [];
  qmp.onEvent = (e) => qmpEvents.push(e.event);
  void qmpServer.connection.then((s) => qmp.attach(s));
  return {
    initrd,
    nvdimmFiles,
    resultsPath,
    qmpPath,
    results: results.connection,
    qmp,
    qmpEvents,
    qboot: existsSync(QBOOT_ROM) ? QBOOT_ROM : undefined,
  };
}

/** machine.json: what this boot was (profile, accelerator, command line, QEMU argv, limits, steps). */
export async function writeMachineJson(runDir: string, facts: Record<string, unknown>): Promise<void> {
  await writeFile(join(runDir, 'machine.json'), `${JSON.stringify(facts, null, 2)}\n`);
}
