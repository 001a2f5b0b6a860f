/**
 * Text that came through a terminal (a serial console, a program's stdout), made plain for
 * parsers: ANSI escapes and control characters removed, tab kept. The one strip policy of
 * the log scanner and the TAP parser. (Reports show such text instead: report/text.ts
 * cleanText makes each control character visible.)
 */

// Any C0 control but tab and newline, DEL, and the C1 controls.
const DIRTY = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
// CSI (ESC [ or the 8-bit 0x9b), OSC (ESC ] … BEL/ST), and two-byte ESC sequences.
const ESCAPES =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Removes ANSI escapes and control characters (tab kept); invalid UTF-8 is already U+FFFD. */
export function stripTerminalCodes(line: string): string {
  if (!DIRTY.test(line)) return line;
  return line.replace(ESCAPES, '').replace(CONTROLS, '');
}
