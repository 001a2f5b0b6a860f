/**
 * Guest text made safe for every output. Console lines, case messages and finding
 * excerpts come from a kernel and programs under test: they may hold NULs, terminal
 * escapes, stray carriage returns, invalid UTF-8 (already U+FFFD after decoding) and, from
 * JSON, lone surrogates. cleanText() turns any string into one that is legal XML 1.0,
 * cannot move a terminal's cursor or change its colours, and reads well in a browser:
 *
 * - ANSI escape sequences (CSI colours, OSC titles, two-byte ESC sequences) are removed;
 * - CR LF and lone CR become LF;
 * - other C0 controls and DEL become their Unicode control pictures (NUL → ␀, ESC → ␛);
 * - C1 controls, lone surrogates, U+FFFE/U+FFFF and bidirectional overrides become U+FFFD.
 *
 * Tab and newline are kept. The result still needs escaping for its format (XML, HTML).
 */

// Built from strings so each escape sequence kind reads on its own line.
const ANSI_RE = new RegExp(
  [
    '\\u001b\\[[0-?]*[ -/]*[@-~]', // CSI: ESC [ params intermediates final
    '\\u001b\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)?', // OSC: ESC ] … BEL or ST
    '\\u001b[PX^_][^\\u001b]*(?:\\u001b\\\\)?', // DCS, SOS, PM, APC … ST
    '\\u001b[ -/]*[0-~]', // other ESC sequences (ESC c, ESC ( B, ESC 7)
    '\\u009b[0-?]*[ -/]*[@-~]', // 8-bit CSI
  ].join('|'),
  'g',
);

const C0_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

const BAD_RE =
  /[\u0080-\u009f\ufffe\uffff\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function cleanText(s: string): string {
  return s
    .replace(ANSI_RE, '')
    .replace(/\r+\n/g, '\n')
    .replace(/\r/g, '\n')
    .replace(C0_RE, (c) => (c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))))
    .replace(BAD_RE, '\ufffd');
}

/** One line: cleanText, then newlines and tabs as spaces (attribute values, titles, table cells). */
export function cleanLine(s: string): string {
  return cleanText(s).replace(/[\n\t]+/g, ' ');
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** At most `max` lines: the first `head`, a marker line, then the last ones. */
export function capLines(
  lines: readonly string[],
  max: number,
  head: number,
  marker: (cut: number) => string,
): string[] {
  if (lines.length <= max) return [...lines];
  const tail = Math.max(0, max - head - 1);
  const cut = lines.length - head - tail;
  return [...lines.slice(0, head), marker(cut), ...lines.slice(lines.length - tail)];
}

/** Seconds as `1h 02m 03s`, `2m 05s`, `4.2 s`; '—' for null. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
}
