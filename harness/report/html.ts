import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CASE_STATUS, caseCountParts, caseLabel, countCases } from '../model/labels.ts';
import type { CaseResult, CaseStatus, CellResult, RunSummary, WorkloadResult } from '../model/result.ts';
import type { Finding } from '../scan/types.ts';
import { cleanLine, cleanText, escapeHtml, formatDuration } from './text.ts';
import {
  BOOT,
  type FindingGroup,
  findingGroups,
  findingsFor,
  judgeBoot,
  judgeCase,
  judgeExit,
  judgeStep,
  type Problem,
  problems,
} from './view.ts';

/**
 * report.html: one self-contained page a person opens from the run folder (docs/reports.md,
 * "HTML"). Inline CSS, no script, no network (a Content-Security-Policy forbids any fetch).
 * The run at a glance first, then the kernel findings with their excerpts, then failures,
 * then every cell and the cases of each workload. Links to console.log and build.log are
 * relative to the run folder, so the folder can be moved or archived as a whole.
 *
 * Every string from the model goes through cleanText() and escapeHtml(): a guest's NULs,
 * escapes or `<script>` show as text.
 */

/** Text for element content. */
const t = (s: string | number): string => controls(escapeHtml(cleanLine(String(s))));
/** Text for a double-quoted attribute value. */
const attr = (s: string): string => escapeHtml(cleanLine(s));
/** Multi-line text for <pre>. */
const pre = (s: string): string => controls(escapeHtml(cleanText(s)));

/** C0 control names, for the control pictures cleanText() leaves (many fonts lack those glyphs). */
const C0_NAMES =
  'NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'.split(
    ' ',
  );

/** Shows each control the guest printed as a small boxed name, e.g. NUL, ESC. */
function controls(html: string): string {
  return html.replace(/[\u2400-\u2421]/g, (c) => {
    const code = c.charCodeAt(0) - 0x2400;
    const name = code === 0x21 ? 'DEL' : (C0_NAMES[code] ?? '?');
    return `<span class="ctl" title="a control character (${name}) in the log">${name}</span>`;
  });
}

/** Case counts with the shared labels (model/labels.ts), coloured by what JUnit makes of them. */
function caseCountsHtml(counts: Record<CaseStatus, number>): string {
  return caseCountParts(counts)
    .map((p) => `<span class="n ${CASE_STATUS[p.status].junit}">${p.text}</span>`)
    .join(' ');
}

export function renderHtml(summary: RunSummary): string {
  const { run } = summary;
  const groups = findingGroups(summary);
  const failures = problems(summary);
  const title = `zdh ${run.suite} ${run.id}: ${run.status}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${attr(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${header(summary)}
${glance(summary)}
${findingsSection(groups)}
${failuresSection(failures)}
${cellsTable(summary)}
${summary.cells.map(cellSection).join('\n')}
<footer>Rendered by zdh ${t(summary.tool.version)} from summary.json (schema ${t(summary.schema)} v${summary.version}).</footer>
</main>
</body>
</html>
`;
}

function header(summary: RunSummary): string {
  const { run } = summary;
  const facts = [
    run.suite ? `suite <b>${t(run.suite)}</b>` : null,
    `started ${t(humanTime(run.startedAt))}`,
    run.finishedAt ? `finished ${t(humanTime(run.finishedAt))}` : 'not finished',
    `took <b>${t(formatDuration(run.durationS))}</b>`,
    run.shard ? `shard ${run.shard.index}/${run.shard.count}` : null,
    `zdh ${t(summary.tool.version)}`,
  ].filter((s) => s !== null);
  const command =
    run.command.length > 0 ? `<p class="meta"><code>zdh ${t(run.command.join(' '))}</code></p>` : '';
  const merged =
    run.mergedFrom.length > 0
      ? `<p class="meta">Merged from ${run.mergedFrom.length} runs: ${run.mergedFrom.map((id) => `<code>${t(id)}</code>`).join(', ')}</p>`
      : '';
  return `<header class="run ${run.status}">
<h1><span class="badge big ${run.status}">${t(run.status.toUpperCase())}</span> zdh run <span class="id">${t(run.id)}</span></h1>
<p class="meta">${facts.join(' · ')}</p>
${command}${merged}</header>`;
}

function glance(summary: RunSummary): string {
  const { totals } = summary;
  const c = totals.cases;
  const tile = (label: string, main: string, detail: string, cls: string): string =>
    `<div class="tile ${cls}"><div class="label">${label}</div><div class="big">${main}</div><div class="detail">${detail}</div></div>`;
  const cellParts = (['passed', 'failed', 'error', 'interrupted', 'pending'] as const)
    .filter((k) => totals.cells[k] > 0)
    .map((k) => `<span class="n ${k}">${totals.cells[k]} ${k}</span>`);
  // Failing as the cases show (a case missing because the user interrupted is not a failure).
  const failing = summary.cells.reduce(
    (n, cell) =>
      n +
      cell.workloads.reduce(
        (m, w) => m + w.cases.filter((k) => judgeCase(cell, k).verdict === 'failed').length,
        0,
      ),
    0,
  );
  const cellCount = summary.cells.length;
  return `<section class="glance" aria-label="at a glance">
${tile('Cells', String(cellCount), cellParts.join(' ') || 'none', totals.cells.failed > 0 ? 'bad' : totals.cells.error > 0 ? 'warn' : 'good')}
${tile('Cases', `${c.pass}<small> passed</small> / ${failing}<small> failing</small>`, caseCountsHtml(c), failing > 0 ? 'bad' : 'good')}
${tile('Kernel findings', String(totals.distinctFindings), totals.findings === 0 ? 'no BUG, WARNING or hang in the kernel log' : `${totals.findings} report${totals.findings === 1 ? '' : 's'} in all cells`, totals.findings > 0 ? 'bad' : 'good')}
${tile('Duration', t(formatDuration(summary.run.durationS)), t(`${humanTime(summary.run.startedAt)}`), 'neutral')}
</section>`;
}

function findingsSection(groups: FindingGroup[]): string {
  if (groups.length === 0) {
    return `<section id="findings"><h2>Kernel findings</h2><p class="none">No findings: no kernel log has a BUG, WARNING, oops, hang or panic.</p></section>`;
  }
  return `<section id="findings"><h2>Kernel findings <span class="count">${groups.length}</span></h2>
${groups.map(findingCard).join('\n')}
</section>`;
}

function findingCard(g: FindingGroup): string {
  const f = g.first;
  const tags = [
    `<span class="tag cat">${t(f.category)}</span>`,
    f.refcount ? '<span class="tag refcount">refcount</span>' : '',
    f.pageKind ? `<span class="tag kind">${t(f.pageKind)} page</span>` : '',
    f.corrupted ? '<span class="tag warn">report truncated</span>' : '',
    `<span class="tag count">${g.total} report${g.total === 1 ? '' : 's'}</span>`,
  ].join('');
  const where = g.occurrences
    .map(({ cell, finding }) => {
      const log = cell.artifacts.console
        ? `<a href="${href(cell.artifacts.console)}">console.log</a> lines ${finding.firstLine}–${finding.lastLine}`
        : `console.log lines ${finding.firstLine}–${finding.lastLine}`;
      const workload =
        finding.workload === BOOT
          ? 'during <b>boot</b>'
          : `in workload <b class="wl">${t(finding.workload)}</b>`;
      return `<li>${workload} of <a href="#${cellAnchor(cell)}">${t(cell.id)}</a>${finding.count > 1 ? ` · ×${finding.count}` : ''} · ${log}</li>`;
    })
    .join('');
  return `<article class="finding${f.refcount ? ' refcount' : ''}">
<h3>${t(g.title)}</h3>
<p class="tags">${tags}</p>
<ul class="where">${where}</ul>
${pageFacts(f)}
<pre class="excerpt">${pre(f.excerpt)}</pre>
${frames(f)}
</article>`;
}

function pageFacts(f: Finding): string {
  const p = f.page;
  if (!p) return '';
  const facts: [string, string | null][] = [
    ['pfn', p.pfn === null ? null : `0x${p.pfn.toString(16)}`],
    ['refcount', p.refcount === null ? null : String(p.refcount)],
    ['mapcount', p.mapcount === null ? null : String(p.mapcount)],
    ['mapping', p.mapping],
    ['zone', p.zone === null ? null : String(p.zone)],
    ['flags', p.flags.length > 0 ? p.flags.join('|') : null],
    ['aops', p.aops],
    ['reason', p.reason],
  ];
  const items = facts
    .filter((x): x is [string, string] => x[1] !== null)
    .map(([k, v]) => `<div><dt>${k}</dt><dd>${t(v)}</dd></div>`);
  return items.length > 0 ? `<dl class="page">${items.join('')}</dl>` : '';
}

function frames(f: Finding): string {
  if (f.frames.length === 0) return '';
  const items = f.frames
    .map((fr) => {
      const off = fr.offset ? `+${t(fr.offset)}` : '';
      const mod = fr.module ? ` <span class="mod">[${t(fr.module)}]</span>` : '';
      const src = fr.source ? ` <span class="src">${t(fr.source)}</span>` : '';
      return `<li${fr.ip ? ' class="ip"' : ''}><code>${t(fr.function)}${off}</code>${mod}${src}</li>`;
    })
    .join('');
  return `<details class="frames"><summary>Stack: ${f.frames.length} frame${f.frames.length === 1 ? '' : 's'}</summary><ol>${items}</ol></details>`;
}

function failuresSection(list: Problem[]): string {
  if (list.length === 0) return '';
  const rows = list
    .map(
      (p) =>
        `<tr><td><span class="badge ${p.verdict}">${p.verdict === 'error' ? 'error' : 'fail'}</span></td><td class="nowrap"><a href="#${cellAnchor(p.cell)}">${t(p.cell.id)}</a></td><td class="nowrap">${t(p.workload)}</td><td class="name">${t(p.name)}</td><td class="msg">${t(p.message)}</td></tr>`,
    )
    .join('\n');
  return `<section id="failures"><h2>Failures <span class="count">${list.length}</span></h2>
<table class="list"><thead><tr><th></th><th>cell</th><th>workload</th><th>case</th><th>why</th></tr></thead>
<tbody>
${rows}
</tbody></table></section>`;
}

function cellsTable(summary: RunSummary): string {
  const rows = summary.cells
    .map((cell) => {
      const cases = cell.workloads.flatMap((w) => w.cases);
      const accel = cell.machine.accel ? ` (${t(cell.machine.accel)})` : '';
      return `<tr><td><span class="badge ${cell.status}">${t(cell.status)}</span></td><td><a href="#${cellAnchor(cell)}">${t(cell.id)}</a></td><td>${t(cell.kernel.release ?? cell.kernel.name)}</td><td>${t(cell.machine.name)}${accel}</td><td>${caseCountsHtml(countCases(cases)) || '<span class="dim">no cases</span>'}</td><td>${cell.findings.length || ''}</td><td>${t(formatDuration(cell.durationS))}</td><td>${logLinks(cell)}</td></tr>`;
    })
    .join('\n');
  return `<section id="cells"><h2>Cells <span class="count">${summary.cells.length}</span></h2>
<table class="list"><thead><tr><th></th><th>cell</th><th>kernel</th><th>machine</th><th>cases</th><th>findings</th><th>took</th><th>logs</th></tr></thead>
<tbody>
${rows}
</tbody></table></section>`;
}

function logLinks(cell: CellResult): string {
  const links = [
    cell.artifacts.console ? `<a href="${href(cell.artifacts.console)}">console.log</a>` : '',
    cell.artifacts.buildLog ? `<a href="${href(cell.artifacts.buildLog)}">build.log</a>` : '',
  ].filter(Boolean);
  return links.join(' · ') || '<span class="dim">none</span>';
}

function cellSection(cell: CellResult): string {
  const k = cell.kernel;
  const m = cell.machine;
  const source = [
    k.source.kind,
    k.source.location,
    k.source.ref ? `ref ${k.source.ref}` : '',
    k.source.commit ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  const facts = [
    `kernel <b>${t(k.name)}</b>${k.release ? ` (${t(k.release)})` : ''}`,
    `source ${t(source)}`,
    k.patches.length > 0 ? `${k.patches.length} patch${k.patches.length === 1 ? '' : 'es'}` : 'no patches',
    k.configSha256 ? `config <code>${t(k.configSha256.slice(0, 12))}</code>` : null,
    `machine <b>${t(m.name)}</b>${m.accel ? `, ${t(m.accel)}` : ''}${m.qemuVersion ? `, ${t(m.qemuVersion.startsWith('QEMU') ? m.qemuVersion : `QEMU ${m.qemuVersion}`)}` : ''}`,
    `took ${t(formatDuration(cell.durationS))}`,
  ].filter((s) => s !== null);
  const notes: string[] = [];
  if (m.accelReason) notes.push(`<p class="note">${t(m.accelReason)}</p>`);
  for (const n of k.configNotes ?? []) notes.push(`<p class="note"><b>Kconfig:</b> ${t(n)}</p>`);
  if (cell.expectations) {
    const files = cell.expectations.map(
      (e) => `<code>${t(e.file)}</code>${e.description ? ` (${t(e.description)})` : ''}`,
    );
    notes.push(
      `<p class="note"><b>Expectations:</b> ${files.length > 0 ? files.join(', ') : `none for this kernel${m.accel ? ` under ${t(m.accel)}` : ''}: every failure counts`}</p>`,
    );
  }
  const boot = judgeBoot(cell);
  if (boot.verdict !== 'passed' && boot.message) {
    notes.push(
      `<p class="problem ${boot.verdict}"><b>${boot.verdict === 'error' ? 'Error' : 'Not run'}:</b> ${t(boot.message)}</p>`,
    );
  }
  const exit = judgeExit(cell);
  if (exit?.message) notes.push(`<p class="problem failed"><b>Machine:</b> ${t(exit.message)}</p>`);
  const patches =
    k.patches.length > 0
      ? `<details class="patches"><summary>Patches</summary><ul>${k.patches.map((p) => `<li><code>${t(p.name)}</code> <span class="dim">${t(p.sha256.slice(0, 12))}</span></li>`).join('')}</ul></details>`
      : '';
  const bootFindings = findingsFor(cell, BOOT);
  const bootNote =
    bootFindings.length > 0
      ? `<p class="problem failed"><b>During boot:</b> ${bootFindings.map((f) => t(f.title)).join('; ')}</p>`
      : '';
  return `<section class="cell" id="${cellAnchor(cell)}">
<h2><span class="badge ${cell.status}">${t(cell.status)}</span> ${t(cell.id)}</h2>
<p class="meta">${facts.join(' · ')} · ${logLinks(cell)}</p>
${notes.join('\n')}${bootNote}${patches}
${cell.workloads.map((w) => workloadBlock(cell, w)).join('\n')}
</section>`;
}

function workloadBlock(cell: CellResult, w: WorkloadResult): string {
  const judged = w.cases.map((c) => ({ c, j: judgeCase(cell, c) }));
  const step = judgeStep(cell, w);
  const findings = findingsFor(cell, w.name);
  const bad =
    judged.some((x) => x.j.verdict === 'failed') || findings.length > 0 || step?.verdict === 'failed';
  const counts = caseCountsHtml(countCases(w.cases));
  const meta = [
    counts || '<span class="dim">no cases</span>',
    findings.length > 0
      ? `<span class="n failed">${findings.length} finding${findings.length === 1 ? '' : 's'}</span>`
      : '',
    w.durationS === null ? '' : t(formatDuration(w.durationS)),
    w.consoleLines ? `console lines ${w.consoleLines[0]}–${w.consoleLines[1]}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const rows = judged
    .map(
      ({ c, j }) =>
        `<tr class="${j.verdict}"><td><span class="badge ${j.verdict}">${caseLabel(c.status)}</span></td><td class="name">${t(c.name)}</td><td class="dur">${c.durationS === null ? '' : t(formatDuration(c.durationS))}</td><td class="msg">${caseMessage(c, j.message)}</td></tr>`,
    )
    .join('\n');
  const stepNote = step?.message ? `<p class="problem ${step.verdict}">${t(step.message)}</p>` : '';
  const findingNote =
    findings.length > 0
      ? `<p class="problem failed"><b>Kernel:</b> ${findings.map((f) => t(f.title)).join('; ')}</p>`
      : '';
  const output = w.output ? ` · <a href="${href(w.output)}">output</a>` : '';
  return `<details class="workload"${bad ? ' open' : ''}>
<summary><span class="badge ${step?.verdict === 'skipped' ? 'skipped' : w.status}">${t(w.status)}</span> <b class="wl">${t(w.name)}</b> <span class="meta">${meta}${output}</span></summary>
${stepNote}${findingNote}${rows ? `<table class="cases"><tbody>\n${rows}\n</tbody></table>` : ''}
</details>`;
}

/** The message column: a skip shows its reason alone (the badge already says skip). */
function caseMessage(c: CaseResult, message: string | null): string {
  if (c.status === 'pass') return '';
  if (c.status === 'skip') return c.message ? t(c.message) : '';
  return message ? t(message) : '';
}

/** A link to an artifact: relative paths percent-encoded per segment, absolute ones as file: URLs. */
function href(p: string): string {
  if (isAbsolute(p)) return escapeHtml(pathToFileURL(p).href);
  return escapeHtml(p.split('/').map(encodeURIComponent).join('/'));
}

function cellAnchor(cell: CellResult): string {
  return `cell-${encodeURIComponent(cleanLine(cell.id)).replace(/%/g, '_')}`;
}

function humanTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

const CSS = `
:root{--fg:#1f2328;--dim:#656d76;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--err:#9a6700;--err-bg:#fff8c5;
--skip:#57606a;--skip-bg:#eaeef2;--int:#8250df;--int-bg:#fbefff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:1240px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:0 0 6px;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;word-break:break-word}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.meta{color:var(--dim);margin:2px 0}.dim{color:var(--dim)}.id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-weight:500}
header.run{border-left:6px solid var(--line);padding:8px 0 8px 14px;margin-bottom:12px}
header.passed{border-color:var(--pass)}header.failed{border-color:var(--fail)}header.error{border-color:var(--err)}header.interrupted{border-color:var(--int)}
.badge{display:inline-block;min-width:3.6em;text-align:center;padding:0 6px;border-radius:10px;font-size:12px;font-weight:600;line-height:20px;vertical-align:1px;background:var(--skip-bg);color:var(--skip)}
.badge.big{font-size:14px;line-height:26px;padding:0 10px;border-radius:6px}
.passed.badge{background:var(--pass-bg);color:var(--pass)}
.failed.badge,.timeout.badge,.incomplete.badge{background:var(--fail-bg);color:var(--fail)}
.error.badge{background:var(--err-bg);color:var(--err)}
.interrupted.badge,.pending.badge{background:var(--int-bg);color:var(--int)}
.n{white-space:nowrap;margin-right:6px}.n.passed{color:var(--pass)}.n.failed,b.failed{color:var(--fail)}.n.error{color:var(--err)}.n.skipped{color:var(--skip)}.n.interrupted,.n.pending{color:var(--int)}
.glance{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:12px 0 4px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--panel);border-top:4px solid var(--line)}
.tile.good{border-top-color:var(--pass)}.tile.bad{border-top-color:var(--fail)}.tile.warn{border-top-color:var(--err)}
.tile .label{color:var(--dim);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile .big{font-size:26px;font-weight:650;line-height:1.3}.tile .big small{font-size:14px;font-weight:400;color:var(--dim)}
.tile .detail{font-size:13px}
.count{display:inline-block;background:var(--skip-bg);border-radius:10px;padding:0 8px;font-size:13px;vertical-align:2px}
.none{background:var(--pass-bg);border-radius:6px;padding:8px 12px}
.finding{border:1px solid var(--line);border-left:5px solid var(--err);border-radius:6px;padding:12px 14px;margin:0 0 14px;background:var(--bg)}
.finding.refcount{border-left-color:var(--fail)}
.tags{margin:0 0 6px}.tag{display:inline-block;font-size:12px;border-radius:4px;padding:0 6px;margin-right:6px;background:var(--skip-bg)}
.tag.refcount{background:var(--fail-bg);color:var(--fail);font-weight:600}.tag.kind{background:#ddf4ff;color:#0550ae}.tag.warn{background:var(--err-bg);color:var(--err)}
.where{margin:4px 0 8px;padding-left:20px}.wl{font-family:ui-monospace,"DejaVu Sans Mono",monospace}
dl.page{display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0 8px;font-size:13px}dl.page div{display:flex;gap:6px}dl.page dt{color:var(--dim)}dl.page dd{margin:0;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
pre.excerpt{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:6px 0;max-height:420px;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.4}
details.frames summary,details.patches summary{cursor:pointer;color:var(--dim)}
details.frames ol{margin:4px 0;padding-left:28px;font-size:13px}details.frames li.ip code{font-weight:700}.mod,.src{color:var(--dim)}
table.list,table.cases{border-collapse:collapse;width:100%}
table.list th{text-align:left;font-weight:600;color:var(--dim);font-size:12px;border-bottom:1px solid var(--line);padding:4px 8px}
table.list td,table.cases td{border-bottom:1px solid #eaeef2;padding:4px 8px;vertical-align:top}
td.name{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px;overflow-wrap:break-word}td.msg{overflow-wrap:break-word}td.nowrap{white-space:nowrap}td.dur{color:var(--dim);white-space:nowrap;width:6em}
table.cases{table-layout:fixed}table.cases td:first-child{width:6.5em}table.cases td.name{width:38%}table.cases td.dur{width:6.5em}
tr.failed td.msg{color:var(--fail)}tr.skipped td.name,tr.skipped td.msg{color:var(--skip)}
section.cell{margin-top:26px}
details.workload{border:1px solid var(--line);border-radius:6px;margin:8px 0;background:var(--bg)}
details.workload>summary{cursor:pointer;padding:6px 10px;background:var(--panel);border-radius:6px}
details.workload[open]>summary{border-bottom:1px solid var(--line);border-radius:6px 6px 0 0}
details.workload table{margin:0}
.problem{margin:6px 10px;padding:6px 10px;border-radius:6px;background:var(--fail-bg);overflow-wrap:anywhere}
.problem.error{background:var(--err-bg)}.problem.skipped{background:var(--skip-bg)}
.note{margin:6px 0;color:var(--dim)}
.ctl{display:inline-block;font-size:9px;line-height:12px;padding:0 2px;margin:0 1px;border:1px solid #bf8700;border-radius:3px;color:#7d4e00;background:#fff8c5;font-family:ui-monospace,"DejaVu Sans Mono",monospace;vertical-align:1px}
section.cell>.problem{margin:6px 0}
footer{margin-top:36px;color:var(--dim);font-size:12px}
@media (max-width:800px){.glance{grid-template-columns:repeat(2,1fr)}}
@media print{details{display:block}details>summary{list-style:none}}
`;
