import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  frameAddress,
  indexModules,
  parseAddr2line,
  parseNm,
  parseObjdumpSymbols,
  Symboliser,
  sourceOf,
} from '../../../harness/scan/symbolise.ts';
import type { Frame } from '../../../harness/scan/types.ts';
import { kmsg, scan } from './helpers.ts';

// Count the tools the symboliser starts.
const tools = vi.hoisted(() => [] as string[]);
vi.mock('../../../harness/process/run.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../harness/process/run.ts')>();
  return {
    ...real,
    runCapture: (file: string, args: readonly string[], opts?: Parameters<typeof real.runCapture>[2]) => {
      tools.push(file);
      return real.runCapture(file, args, opts);
    },
  };
});

const frame = (fn: string, offset: string, extra: Partial<Frame> = {}): Frame => ({
  function: fn,
  offset,
  module: null,
  source: null,
  ip: false,
  ...extra,
});

describe('symbol tables and addr2line output', () => {
  it('reads nm -S output, keeping only wanted functions', () => {
    const nm = [
      'ffffffff81234560 0000000000000040 T put_page',
      'ffffffff81234600 0000000000000020 t helper',
      'ffffffff81234700 0000000000000080 t helper',
      'ffffffff81300000 D some_data',
      'ffffffff81400000 T no_size',
    ].join('\n');
    const syms = parseNm(nm, new Set(['put_page', 'helper', 'no_size', 'some_data']));
    // span: to the next text symbol, as kallsyms sizes it (padding included).
    expect(syms.get('put_page')).toEqual([
      { address: 0xffffffff81234560n, size: 0x40n, span: 0xa0n, section: '' },
    ]);
    expect(syms.get('helper')!.map((h) => h.span)).toEqual([0x100n, 0x1cb900n]);
    expect(syms.get('no_size')![0]).toMatchObject({ size: 0n, span: null });
    expect(syms.has('some_data')).toBe(false);
  });

  it('reads objdump -t output of a module, with sections', () => {
    const od = [
      '0000000000000120 l     F .text\t0000000000000250 dmirror_devmem_fault',
      '0000000000000010 g     F .text.unlikely\t0000000000000030 cold_path',
      '0000000000000000 l    d  .text\t0000000000000000 .text',
      '0000000000000380 l       .text\t0000000000000000 .Lasm_label',
      '0000000000000000 l    df *ABS*\t0000000000000000 test_hmm.c',
    ].join('\n');
    const syms = parseObjdumpSymbols(od, new Set(['dmirror_devmem_fault', 'cold_path']));
    expect(syms.get('dmirror_devmem_fault')).toEqual([
      { address: 0x120n, size: 0x250n, span: 0x260n, section: '.text' },
    ]);
    expect(syms.get('cold_path')![0]).toMatchObject({ section: '.text.unlikely', span: null });
  });

  it('looks return addresses up one byte back, and picks same-named statics by size', () => {
    const syms = parseNm(
      '0000000000001000 0000000000000020 t helper\n0000000000002000 0000000000000080 t helper',
      new Set(['helper']),
    );
    expect(frameAddress(frame('helper', '0x10/0x80'), syms)!.address).toBe(0x200fn);
    expect(frameAddress(frame('helper', '0x10/0x80', { ip: true }), syms)!.address).toBe(0x2010n);
    expect(frameAddress(frame('unknown', '0x10/0x80'), syms)).toBeUndefined();
  });

  it('with exactSize, places a frame only where a function of its name has the printed size', () => {
    const syms = parseNm('0000000000001000 0000000000000020 t helper', new Set(['helper']));
    // Another build's helper is 0x20 long: the frame's 0x80-long helper is other code.
    expect(frameAddress(frame('helper', '0x10/0x80'), syms)!.address).toBe(0x100fn);
    expect(frameAddress(frame('helper', '0x10/0x80'), syms, true)).toBeUndefined();
    expect(frameAddress(frame('helper', '0x10/0x20'), syms, true)!.address).toBe(0x100fn);
    // kallsyms' size runs to the next symbol: the span, padding and unsized labels included;
    // the last function of a section gets its size plus at most the tail padding.
    const two = parseNm(
      '0000000000001000 0000000000000020 t helper\n0000000000001028 T entry_label\n0000000000001100 t last',
      new Set(['helper', 'entry_label', 'last']),
    );
    expect(frameAddress(frame('helper', '0x10/0x28'), two, true)).toBeDefined();
    expect(frameAddress(frame('entry_label', '0x4/0xd8'), two, true)).toBeDefined();
    expect(frameAddress(frame('entry_label', '0x4/0xd0'), two, true)).toBeUndefined();
    expect(frameAddress(frame('last', '0x0/0xa'), two, true)).toBeDefined();
    expect(frameAddress(frame('helper', '0x10/0x24'), two, true)).toBeUndefined();
  });

  it('parses addr2line -a -f -i, innermost inline location first, kernel-relative', () => {
    const out = [
      '0xffffffff81234567',
      'put_page_testzero',
      '/build/linux-6.1/include/linux/mm.h:780',
      'dmirror_devmem_fault',
      '/build/linux-6.1/lib/test_hmm.c:1460 (discriminator 2)',
      '0xffffffff81300000',
      '??',
      '??:0',
    ].join('\n');
    const map = parseAddr2line(out);
    expect(map.get(0xffffffff81234567n)).toBe('include/linux/mm.h:780');
    expect(map.get(0xffffffff81300000n)).toBeNull();
    expect(sourceOf('/home/me/src/x.c:12')).toBe('/home/me/src/x.c:12');
  });
});

const hasBinutils = (() => {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    execFileSync('addr2line', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasBinutils)('Symboliser with real binaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zdh-symbolise-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('turns frames of vmlinux and of modules into file:line, one tool run per binary', async () => {
    const src = join(dir, 'drivers', 'thing.c');
    mkdirSync(join(dir, 'drivers'));
    writeFileSync(
      src,
      [
        '__attribute__((noinline)) int alpha(int x) {',
        '  int y = x * 3;',
        '  return y + 1;',
        '}',
        '__attribute__((noinline)) int beta(int x) { return alpha(x) + 5; }',
        'int main(int c, char **v) { (void)v; return beta(c); }',
        '',
      ].join('\n'),
    );
    execFileSync('gcc', ['-g', '-O1', '-o', join(dir, 'vmlinux'), src]);
    execFileSync('gcc', ['-g', '-O1', '-c', '-o', join(dir, 'thing.o'), src]);
    mkdirSync(join(dir, 'mods', 'kernel', 'drivers'), { recursive: true });
    copyFileSync(join(dir, 'thing.o'), join(dir, 'mods', 'kernel', 'drivers', 'test-thing.ko'));
    expect([...indexModules(join(dir, 'mods')).keys()]).toEqual(['test_thing']);

    const [finding] = scan(
      kmsg([
        '------------[ cut here ]------------',
        'WARNING: CPU: 0 PID: 1 at drivers/thing.c:2 alpha+0x0/0x10 [test_thing]',
        'CPU: 0 PID: 1 Comm: x Not tainted 6.1.0 #1',
        'RIP: 0010:alpha+0x0/0x10 [test_thing]',
        'Call Trace:',
        ' beta+0x5/0x9',
        ' main+0x5/0x6',
        ' not_in_binary+0x1/0x2',
        '---[ end trace 0000000000000000 ]---',
      ]),
    );
    tools.length = 0;
    await new Symboliser({ vmlinux: join(dir, 'vmlinux'), modulesDir: join(dir, 'mods') }).symbolise([
      finding!,
    ]);
    expect(tools.sort()).toEqual(['addr2line', 'addr2line', 'nm', 'objdump']);
    const sources = finding!.frames.map((f) => [f.function, f.source]);
    // The module frame lands in alpha's body (lines 1-4), the vmlinux return address on
    // beta's call of alpha (line 5); paths are made relative to the kernel tree.
    expect(sources[0]![0]).toBe('alpha');
    expect(sources[0]![1]).toMatch(/^drivers\/thing\.c:[1-4]$/);
    expect(sources[1]).toEqual(['beta', 'drivers/thing.c:5']);
    expect(sources[2]![1]).toMatch(/^drivers\/thing\.c:6$/);
    expect(sources[3]).toEqual(['not_in_binary', null]);
  });
});
