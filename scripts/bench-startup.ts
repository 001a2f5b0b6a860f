/**
 * Start-up benchmark: how long zdh takes to answer when there is nothing to do, i.e. a cache
 * hit of `zdh build --json`, through `npx` (the README's way) and through the `zdh` command
 * itself; and how many Node processes one start costs. Not a test: it prints figures for
 * docs/build-speed.md ("Start-up").
 *
 *   node scripts/bench-startup.ts [--runs N]
 *
 * The default build must be in the cache (`npx zdh build` first); the script says so if not.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../harness/util/paths.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
const zdh = join(projectRoot, 'bin', 'zdh');

function timed(file: string, args: string[]): { seconds: number; stdout: string; status: number | null } {
  const started = performance.now();
  const r = spawnSync(file, args, { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { seconds: (performance.now() - started) / 1000, stdout: r.stdout, status: r.status };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};

function series(label: string, file: string, args: string[]): void {
  const first = timed(file, args); // warms the page cache and Node's compile cache
  if (first.status !== 0) {
    console.log(`${label}: exit ${first.status}; is the default build cached (npx zdh build)?`);
    process.exitCode = 2;
    return;
  }
  if (args.includes('--json') && JSON.parse(first.stdout).cached !== true) {
    console.log(`${label}: the first run built the kernel; the figures below are cache hits`);
  }
  const xs = Array.from({ length: runs }, () => timed(file, args).seconds);
  console.log(
    `${label.padEnd(44)} median ${median(xs).toFixed(2)} s  (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, ${runs} runs)`,
  );
}

/** How many Node processes a start execs, counted with strace when it is installed. */
function nodeStarts(label: string, file: string, args: string[]): void {
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', file, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  if (r.error) {
    console.log(`${label}: strace not installed, Node starts not counted`);
    return;
  }
  const execs = r.stderr.split('\n').filter((l) => /execve\(".*\/node", .* = 0$/.test(l));
  console.log(`${label.padEnd(44)} ${execs.length} Node start(s)`);
}

console.log(`zdh start-up, ${runs} runs each (after one warm-up run)`);
series('npx zdh build --json (cache hit)', 'npx', ['zdh', 'build', '--json']);
series('bin/zdh build --json (cache hit)', zdh, ['build', '--json']);
series('npx -c true (npx alone)', 'npx', ['-c', 'true']);
series('bin/zdh --version', zdh, ['--version']);
series('node bin/zdh.js --version (PATH node)', 'node', [join(projectRoot, 'bin', 'zdh.js'), '--version']);
nodeStarts('bin/zdh build --json', zdh, ['build', '--json']);
nodeStarts('node bin/zdh.js build --json (PATH node)', 'node', [
  join(projectRoot, 'bin', 'zdh.js'),
  'build',
  '--json',
]);
