/**
 * report.html in a real browser: Debian's chromium, headless (scripts/setup.sh installs it).
 * The page is written by writeReports() into a copy of a golden run folder, opened from
 * there as a file, and its rendered DOM is checked; a screenshot is taken the same way.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCapture } from '../../../harness/process/run.ts';
import { readRunSummary } from '../../../harness/report/summary-file.ts';
import { type ReportPaths, writeReports } from '../../../harness/report/write-all.ts';
import { scratch } from './helpers.ts';

const profile = mkdtempSync(join(tmpdir(), 'zdh-chromium-'));
const runs = scratch('failing', 'passing');
afterAll(() => {
  rmSync(profile, { recursive: true, force: true });
  runs.cleanup();
});

/** Headless chromium with everything that talks to the network turned off. */
function chromium(extra: string[], page: string): Promise<string> {
  return runCapture(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...extra,
      pathToFileURL(page).href,
    ],
    { timeoutMs: 120_000 },
  );
}

let failing: ReportPaths;
let dom: string;
beforeAll(async () => {
  const dir = join(runs.dir, 'failing');
  failing = writeReports(readRunSummary(dir), dir);
  dom = await chromium(['--dump-dom'], failing.html);
}, 180_000);

describe('report.html in headless chromium', () => {
  it('renders the page with every finding title and its count', () => {
    expect(dom).toContain('<h3>BUG: Bad page state (non-NULL mapping) in dax_zap_entry_pages</h3>');
    expect(dom).toContain('<h3>INFO: task hung in memunmap_pages</h3>');
    expect(dom).toContain('<h3>WARNING in memremap_pages</h3>');
    expect(dom).toContain('<span class="tag count">3 reports</span>');
    expect(dom).toMatch(/Kernel findings <span class="count">3<\/span>/);
    expect(dom).toContain('4 reports in all cells');
    expect(dom).toContain('Failures <span class="count">8</span>');
  });

  it('keeps the hostile excerpt as text: the browser built no element from it', () => {
    expect(dom).toContain('&lt;script&gt;alert("x")&lt;/script&gt;');
    expect(dom).not.toContain('<script>alert');
  });

  it('links to console.log and build.log files that exist next to the page', () => {
    const hrefs = [...dom.matchAll(/href="([^"#][^"]*)"/g)].map((m) => m[1]!);
    const logs = hrefs.filter((h) => h.endsWith('console.log'));
    expect(logs.length).toBeGreaterThan(0);
    for (const h of logs)
      expect(existsSync(resolve(dirname(failing.html), decodeURIComponent(h))), h).toBe(true);
    expect(hrefs.some((h) => h.endsWith('build.log'))).toBe(true);
  });

  it('takes a screenshot of a page that rendered', async () => {
    const png = join(runs.dir, 'failing.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,1600'], failing.html);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.length).toBeGreaterThan(20_000);
  }, 180_000);

  it('renders a passing run too, saying there are no findings', async () => {
    const dir = join(runs.dir, 'passing');
    const paths = writeReports(readRunSummary(dir), dir);
    const passing = await chromium(['--dump-dom'], paths.html);
    expect(passing).toContain('No findings: no kernel log has a BUG, WARNING, oops, hang or panic.');
    expect(passing).toContain('<span class="badge big passed">PASSED</span>');
  }, 180_000);
});
