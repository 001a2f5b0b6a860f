import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { RunSummary } from '../../harness/model/result.ts';
import { zdh } from '../helpers/zdh.ts';

// `zdh report --upstream` with the migrate-device-missing-put fixture, its stack symbolised
// to file:line by addr2line, the kernel's frames and test_hmm's: on a run of the debug-info
// build (configs/kconfig/extra/debug-info.config: DWARF line tables in vmlinux and the
// modules), and on a run of the default build (no debug info) through `--debug-info`, which
// builds the same kernel again with them. Both use the one debug-info build, a cold build of
// its own: `npm run test:flavours`, not `npm test`.
const fixture = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'kernel-patches',
  'migrate-device-missing-put.patch',
);

/** A failed run of hmm-tests on the fixture, with at least one kernel finding; its folder. */
async function failedRun(config: string[]): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'zdh-debug-info-'));
  const res = await zdh(['run', ...config, '--patches', fixture, '--workload', 'hmm-tests', '--out', out]);
  expect(res.stderr).not.toMatch(/internal error/);
  expect(res.code, res.stderr.slice(-2000)).toBe(1);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  const titles = summary.cells[0]!.findings.map((f) => f.title);
  expect(titles.length, JSON.stringify(titles)).toBeGreaterThan(0);
  return out;
}

/** The run's upstream reports, after `zdh report RUN --upstream [flags]`. */
async function upstreamReports(out: string, flags: string[] = []): Promise<[string, string][]> {
  const rep = await zdh(['report', out, '--upstream', ...flags]);
  expect(rep.stderr).not.toMatch(/internal error/);
  expect(rep.code, rep.stderr.slice(-2000)).toBe(0);
  const dir = join(out, 'upstream');
  const names = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  expect(names.length).toBeGreaterThan(0);
  return names.map((n) => [n, readFileSync(join(dir, n), 'utf8')]);
}

it('the report of migrate-device-missing-put on the debug-info build has its stack at file:line', async () => {
  const out = await failedRun(['--config', 'debug-info']);
  for (const [name, text] of await upstreamReports(out)) {
    expectPlaced(name, text);
    expect(text.replace(/\s+/g, ' '), name).toMatch(/symbolised to file:line with the build's vmlinux/);
  }
});

it('on the default build, which has no debug info, --debug-info builds the same kernel with it and places the stack', async () => {
  const out = await failedRun([]);
  for (const [name, text] of await upstreamReports(out)) {
    expect(text.replace(/\s+/g, ' '), name).toContain(
      'the build has no debug info (CONFIG_DEBUG_INFO_NONE=y)',
    );
    expect(text, name).not.toMatch(/ \((?:mm|lib)\/[\w.-]+\.c:\d+\)$/m);
  }
  for (const [name, text] of await upstreamReports(out, ['--debug-info'])) {
    expectPlaced(name, text);
    expect(text.replace(/\s+/g, ' '), name).toMatch(
      /symbolised to file:line with the vmlinux and modules of the same kernel built again with debug info .* zdh cache key [0-9a-f]{12}\), each only where its function has the size the kernel printed/,
    );
  }
});

/** Frames in the quoted report, some placed at file:line, test_hmm's among them where the stack has any. */
function expectPlaced(name: string, text: string): void {
  const frames = [
    ...text.matchAll(
      /^\[[^\]]+\]\[[^\]]+\] {1,2}(?:\? )?(\w+)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[(\w+)\])?(?: \((\S+):(\d+)\))?$/gm,
    ),
  ];
  expect(frames.length, `${name}:\n${text}`).toBeGreaterThan(0);
  const placed = frames.filter((m) => m[3] !== undefined);
  expect(text.replace(/\s+/g, ' '), name).toMatch(/\d+ stack frames? of \d+ symbolised to file:line with/);
  expect(placed.length, `${name}:\n${text}`).toBeGreaterThan(0);
  for (const m of placed) expect(m[3]).toMatch(/^(?:[\w.-]+\/)+[\w.-]+\.[chS]$/);
  if (frames.some((m) => m[2] === 'test_hmm'))
    expect(
      placed.some((m) => m[2] === 'test_hmm' && m[3] === 'lib/test_hmm.c'),
      `${name}:\n${text}`,
    ).toBe(true);
}
