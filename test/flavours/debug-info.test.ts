import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { RunSummary } from '../../harness/model/result.ts';
import { zdh } from '../helpers/zdh.ts';

// `zdh report --upstream` on a real run of the debug-info build (configs/kconfig/extra/
// debug-info.config: DWARF line tables in vmlinux and the modules) with the
// migrate-device-missing-put fixture: the report's stack is symbolised to file:line by
// addr2line over the cached build's vmlinux and test_hmm.ko, both the kernel's frames and
// the module's. The default build has no debug info, so this needs a cold build of its
// own: `npm run test:flavours`, not `npm test`.
const fixture = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'kernel-patches',
  'migrate-device-missing-put.patch',
);

it('the report of migrate-device-missing-put on the debug-info build has its stack at file:line', async () => {
  const out = mkdtempSync(join(tmpdir(), 'zdh-debug-info-'));
  const res = await zdh([
    'run',
    '--config',
    'debug-info',
    '--patches',
    fixture,
    '--workload',
    'hmm-tests',
    '--out',
    out,
  ]);
  expect(res.stderr).not.toMatch(/internal error/);
  expect(res.code, res.stderr.slice(-2000)).toBe(1);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
  const titles = summary.cells[0]!.findings.map((f) => f.title);
  expect(titles.length, JSON.stringify(titles)).toBeGreaterThan(0);

  const rep = await zdh(['report', out, '--upstream']);
  expect(rep.stderr).not.toMatch(/internal error/);
  const dir = join(out, 'upstream');
  const reports = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  expect(reports.length).toBeGreaterThan(0);
  for (const name of reports) {
    const text = readFileSync(join(dir, name), 'utf8');
    const frames = [
      ...text.matchAll(
        /^\[[^\]]+\]\[[^\]]+\] {1,2}(?:\? )?(\w+)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[(\w+)\])?(?: \((\S+):(\d+)\))?$/gm,
      ),
    ];
    expect(frames.length, `${name}:\n${text}`).toBeGreaterThan(0);
    const placed = frames.filter((m) => m[3] !== undefined);
    // Every report says how many frames it placed, and places some of the kernel's and,
    // where the stack goes through test_hmm, some of the module's.
    expect(text, name).toMatch(/\d+ stack frames? of \d+ symbolised to file:line with the build's vmlinux/);
    expect(placed.length, `${name}:\n${text}`).toBeGreaterThan(0);
    for (const m of placed) expect(m[3]).toMatch(/^(?:[\w.-]+\/)+[\w.-]+\.[chS]$/);
    if (frames.some((m) => m[2] === 'test_hmm'))
      expect(
        placed.some((m) => m[2] === 'test_hmm' && m[3] === 'lib/test_hmm.c'),
        `${name}:\n${text}`,
      ).toBe(true);
  }
});
