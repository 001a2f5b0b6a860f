#!/usr/bin/env node
// Launcher: zdh is TypeScript run by Node 24's type stripping (in a checkout), or the
// same code compiled to dist/ (in a package made by `npm pack`: Node strips no types
// under node_modules). The command npm installs is bin/zdh, a shell launcher that runs this
// file with the pinned Node 24 directly: one Node start. When this file is started by an
// older Node all the same (`node bin/zdh.js` with Debian's Node 20), it re-runs itself with
// the Node 24 of the `node` dependency that package.json pins, passing signals on so that
// killing this process stops zdh (and its QEMU and make groups).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
// A namespace import: Node 20, which only relaunches, has no enableCompileCache to import by name.
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// A checkout runs the sources; an installed package has only the compiled dist/.
const sources = join(root, 'harness', 'cli', 'main.ts');
const checkout = existsSync(sources);
// Under `git bisect run`, exit codes 1-127 are verdicts: a broken set-up must abort (128).
const setupFailure = process.argv[2] === 'bisect-step' ? 128 : 2;
const [major, minor] = process.versions.node.split('.').map(Number);

/** The pinned Node 24: the `node` package's bin/node, once its install script has put it there. */
function pinnedNode() {
  try {
    const bin = join(
      dirname(nodeModule.createRequire(import.meta.url).resolve('node/package.json')),
      'bin',
      'node',
    );
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

if (major < 24 && !(major === 22 && minor >= 18)) {
  const pinned = pinnedNode();
  if (pinned === undefined) {
    process.stderr.write(
      checkout
        ? `zdh: needs Node >= 24 (this is ${process.version}); run the README's set-up command (bash scripts/setup.sh) first\n`
        : `zdh: needs Node >= 24 (this is ${process.version}), and the Node 24 that comes with zdh is missing ` +
            `(npm did not run the install script of its \`node\` dependency: --ignore-scripts, or a policy that ` +
            `blocks it). Install zdh again with \`npm install -g <package>\` (README), or run it with a Node >= 24 ` +
            `first on PATH\n`,
    );
    process.exit(setupFailure);
  }
  // The IPC channel carries signals: a Ctrl-C at the terminal reaches both processes (one
  // process group), so a forwarded SIGINT would count twice. zdh pairs what it gets directly
  // with what comes over the channel (harness/process/interrupt.ts), and when this launcher
  // dies, even by SIGKILL, the channel closes and zdh stops as on SIGHUP.
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    // harness/process/interrupt.ts LAUNCHER_ENV: the channel is this launcher's.
    env: { ...process.env, ZDH_LAUNCHER_IPC: '1' },
  });
  child.channel?.unref();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.connected) child.send({ zdhSignal: signal }, () => {});
      else child.kill(signal);
    });
  }
  child.on('error', (error) => {
    process.stderr.write(`zdh: cannot start ${pinned}: ${error.message}\n`);
    process.exit(setupFailure);
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : setupFailure);
  });
} else {
  // Node keeps what it compiled (type stripping included) in zdh's cache, so a start after
  // the first loads no TypeScript stripper and compiles nothing: about 0.3 s of each start.
  // The folder is harness/util/paths.ts cacheRoot()'s (not imported: it is TypeScript).
  const env = process.env;
  const cache = env.ZDH_CACHE_DIR
    ? resolve(env.ZDH_CACHE_DIR)
    : join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'zdh');
  nodeModule.enableCompileCache?.(join(cache, 'node-compile-cache'));
  const entry = checkout ? sources : join(root, 'dist', 'cli', 'main.js');
  const { main } = await import(pathToFileURL(entry).href);
  process.exitCode = await main(process.argv.slice(2));
}
