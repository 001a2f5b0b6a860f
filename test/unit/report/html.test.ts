import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../harness/model/result.ts';
import { renderHtml } from '../../../harness/report/html.ts';
import { mergeSummaries } from '../../helpers/merge.ts';
import { atRuns, hostileString, loadFixture, XML_ILLEGAL } from './helpers.ts';

const html = (name: Parameters<typeof loadFixture>[0]): string => renderHtml(loadFixture(name));

/** Element text with tags removed and entities decoded: what a reader sees. */
function visible(h: string): string {
  return h
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('renderHtml: one self-contained page', () => {
  it.each(['passing', 'failing', 'errored', 'interrupted'] as const)(
    '%s: no script, no remote resource, a CSP that forbids fetches',
    (name) => {
      const h = html(name);
      expect(h.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(h).not.toMatch(/<script/i);
      expect(h).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//i);
      expect(h).not.toMatch(/@import|url\(/);
      expect(h).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
      expect(h).toContain('<style>');
    },
  );
});

describe('renderHtml: the run at a glance, findings first', () => {
  const h = html('failing');

  it('shows status, counts and duration at the top', () => {
    const top = visible(h.slice(0, h.indexOf('id="findings"')));
    expect(top).toContain('FAILED zdh run 20251125T204740-fail01');
    expect(top).toContain('took 11m 52s');
    expect(top).toMatch(/Cells\s*2\s*2 failed/);
    expect(top).toMatch(/Cases\s*8 passed \/ 5 failing/);
    expect(top).toContain('2 failed 2 missing 1 xpass 2 skipped 1 xfail');
    expect(top).toMatch(/Kernel findings\s*3\s*4 reports in all cells/);
  });

  it('puts findings before failures, the cell table and the cells', () => {
    const at = (s: string): number => h.indexOf(s);
    expect(at('id="findings"')).toBeGreaterThan(0);
    expect(at('id="findings"')).toBeLessThan(at('id="failures"'));
    expect(at('id="failures"')).toBeLessThan(at('id="cells"'));
    expect(at('id="cells"')).toBeLessThan(at('class="cell"'));
  });

  it('shows each finding with its title, tags, workload, count, log lines and excerpt; refcount ones first', () => {
    const findings = h.slice(h.indexOf('id="findings"'), h.indexOf('id="failures"'));
    const titles = [...findings.matchAll(/<h3>([^<]*)<\/h3>/g)].map((m) => m[1]);
    expect(titles).toEqual([
      'BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages',
      'INFO: task hung in memunmap_pages',
      'WARNING in memremap_pages',
    ]);
    const text = visible(findings);
    expect(text).toContain('bad-page-staterefcountfsdax page3 reports');
    expect(text).toContain('in workload pmem-fsdax of 6.1@q35-pmem#1 · ×2 · console.log lines 35–68');
    expect(text).toContain('in workload pmem-fsdax of 6.1@q35-pmem#2 · console.log lines 16–49');
    expect(text).toContain('during boot of 6.1@q35-pmem#1');
    expect(text).toContain('page dumped because: non-NULL mapping');
    expect(text).toMatch(/pfn\s*0x140200/);
    expect(text).toContain('Stack: 15 frames');
  });

  it('decodes hostile excerpts into safe, readable text', () => {
    expect(h).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ]]&gt;');
    expect(h).not.toContain('<script>alert');
    expect(h).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u009b]/);
    expect(visible(h)).toContain('comm "daxNULputBEL" red <script>alert("x")</script> & ]]> ]]>');
    expect(h).toContain('<span class="ctl" title="a control character (NUL) in the log">NUL</span>');
  });

  it('lists the failures with cell, workload, case and why', () => {
    const text = visible(h.slice(h.indexOf('id="failures"'), h.indexOf('id="cells"')));
    expect(text).toContain('Failures 8');
    expect(text).toContain('fail6.1@q35-pmem#1hmmhmm.exclusive_mprotectpassed unexpectedly');
    expect(text).toContain('fail6.1@q35-pmem#1devdax-stressstepthe step timed out');
  });

  it('lists every case of every workload, with its status', () => {
    const cell = visible(h.slice(h.indexOf('id="cell-6.1_40q35-pmem_231"')));
    for (const name of [
      'mount_dax',
      'truncate_while_mapped',
      'huge_fault',
      'hmm.open_close',
      'hmm.migrate_dirty',
    ]) {
      expect(cell).toContain(name);
    }
    expect(cell).toContain('missinghuge_fault');
    expect(cell).toContain('xpasshmm.exclusive_mprotect');
    expect(cell).toContain('the step timed out');
    expect(cell).toContain("not run (hang: step 'devdax-stress' did not finish");
  });

  it('opens failing workloads and leaves passing ones closed', () => {
    expect(h).toMatch(
      /<details class="workload" open>\n<summary><span class="badge failed">failed<\/span> <b class="wl">pmem-fsdax/,
    );
    expect(h).toMatch(
      /<details class="workload">\n<summary><span class="badge passed">passed<\/span> <b class="wl">hmm/,
    );
  });
});

describe('renderHtml: links', () => {
  it('links console.log and build.log relative to the run folder, percent-encoded', () => {
    const h = html('failing');
    expect(h).toContain('<a href="cells/6.1%40q35-pmem%231/console.log">console.log</a>');
    expect(h).toContain('<a href="cells/6.1%40q35-pmem%231/build.log">build.log</a>');
    expect(h).toContain('<a href="cells/6.1%40q35-pmem%231/steps/pmem-fsdax.out">output</a>');
    expect(h).not.toContain('/runs/');
  });

  it('links a merged run to the parts next to it, and uses file: URLs for absolute paths', () => {
    const parts = [atRuns(loadFixture('shard-1'), 'shard-1'), atRuns(loadFixture('shard-2'), 'shard-2')];
    expect(renderHtml(mergeSummaries(parts, { dir: '/runs/merged' }))).toContain(
      'href="../shard-2/cells/next%40tcg-pmem%231/console.log"',
    );
    expect(renderHtml(mergeSummaries(parts))).toContain(
      'href="file:///runs/shard-2/cells/next@tcg-pmem%231/console.log"',
    );
  });

  it('links findings and failures to the cell they belong to', () => {
    const h = html('failing');
    expect(h).toContain('id="cell-6.1_40q35-pmem_232"');
    expect(h).toContain('<a href="#cell-6.1_40q35-pmem_232">6.1@q35-pmem#2</a>');
  });
});

describe('renderHtml: other runs', () => {
  it('says so plainly when there are no findings and no failures', () => {
    const h = html('passing');
    expect(visible(h)).toContain('No findings: no kernel log has a BUG, WARNING, oops, hang or panic.');
    expect(h).not.toContain('id="failures"');
    expect(visible(h)).toContain('PASSED zdh run');
  });

  it('shows why a cell is an error, and no links for logs that do not exist', () => {
    const h = html('errored');
    expect(visible(h)).toContain(
      "Error: build failed: mm/memremap.c:512:9: error: implicit declaration of function 'folio_put_zone_device'",
    );
    const cell = h.slice(h.indexOf('id="cell-next_40q35-pmem_231"'));
    expect(cell).toContain('<a href="cells/next%40q35-pmem%231/build.log">build.log</a>');
    expect(cell).not.toContain('console.log</a>');
  });

  it('marks an interrupted run and its pending cell', () => {
    const text = visible(html('interrupted'));
    expect(text).toContain('INTERRUPTED zdh run');
    expect(text).toContain('1 passed 1 interrupted 1 pending');
    expect(text).toContain('Not run: not started');
  });

  it('escapes whatever the model holds, everywhere', () => {
    const base = loadFixture('failing');
    fc.assert(
      fc.property(fc.array(hostileString, { minLength: 6, maxLength: 6 }), (s) => {
        const cell = base.cells[0]!;
        const evil: RunSummary = {
          ...base,
          run: { ...base.run, id: `${s[0]}<xmp>`, suite: s[1]!, command: [s[2]!] },
          cells: [
            {
              ...cell,
              id: `<iframe>${s[3]}`,
              workloads: cell.workloads.map((w) => ({
                ...w,
                name: `<svg onload=x>${s[4]}`,
                cases: w.cases.map((c) => ({
                  ...c,
                  name: `<img src=x>${s[5]}`,
                  message: `<textarea>${s[0]}`,
                })),
              })),
              findings: cell.findings.map((f) => ({
                ...f,
                title: `<plaintext>${s[1]}`,
                excerpt: `</pre><object>${s[2]}`,
                workload: `<svg onload=x>${s[4]}`,
              })),
            },
          ],
        };
        const h = renderHtml(evil);
        expect(h).not.toMatch(/<(?:xmp|iframe|svg|img|textarea|plaintext|object)\b/);
        expect(h.match(/<\/pre>/g)?.length).toBe(h.match(/<pre /g)?.length);
        expect(h).not.toMatch(XML_ILLEGAL);
        expect(h).not.toMatch(/[\u007f\u0080-\u009f]/);
      }),
      { numRuns: 100 },
    );
  });
});
