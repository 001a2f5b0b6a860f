/**
 * The kernel-log analyser's public API (see docs/scan.md).
 *
 * Live, while a guest runs:   const s = new Scanner({ onFinding }); s.push(chunk); …; s.finish()
 * A saved log:                await scanFile(path, options)
 * Lines or text in memory:    scanLines(lines), scanText(text)
 * Frames to file:line:        await new Symboliser({ vmlinux, modulesDir }).symbolise(findings)
 */
export { zoneDeviceIndex } from './page-kind.ts';
export { scanFile } from './read.ts';
export { Scanner, type ScanStats, scanLines, scanText } from './scanner.ts';
export { Symboliser, type SymbolOptions } from './symbolise.ts';
export type { Category, Finding, Frame, PageInfo, PageKind, ScanOptions } from './types.ts';
