import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capLines, cleanLine, cleanText, escapeHtml, formatDuration } from '../../../harness/report/text.ts';
import { hostileString, XML_ILLEGAL } from './helpers.ts';

describe('cleanText', () => {
  it('removes colour and title escape sequences but keeps their text', () => {
    expect(cleanText('\u001b[1;31mWARNING\u001b[0m: x')).toBe('WARNING: x');
    expect(cleanText('\u001b]0;qemu\u0007SeaBIOS')).toBe('SeaBIOS');
    expect(cleanText('\u001b[2J\u001b[Hboot')).toBe('boot');
    expect(cleanText('a\u009b31mb')).toBe('ab');
  });

  it('shows other C0 controls and DEL as control pictures', () => {
    expect(cleanText('dax\u0000put\u0007\u007f')).toBe('dax\u2400put\u2407\u2421');
    expect(cleanText('lone \u001b\nhere \u001b')).toBe('lone \u241b\nhere \u241b');
  });

  it('turns CR LF and lone CR into LF, and keeps tabs and newlines', () => {
    expect(cleanText('a\r\nb\r\r\nc\rd\te\n')).toBe('a\nb\nc\nd\te\n');
  });

  it('replaces lone surrogates, non-characters, C1 controls and bidi overrides with U+FFFD', () => {
    expect(cleanText('x\ud800y\udc00z\ufffe\uffff\u0085\u202eevil\u2066')).toBe(
      'x\ufffdy\ufffdz\ufffd\ufffd\ufffd\ufffdevil\ufffd',
    );
  });

  it('keeps valid surrogate pairs and ordinary Unicode', () => {
    expect(cleanText('ok 😀 äöü 中文 \u2400')).toBe('ok 😀 äöü 中文 \u2400');
  });

  it('always yields legal XML 1.0 text with no escape character, and is idempotent', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const c = cleanText(s);
        expect(c).not.toMatch(XML_ILLEGAL);
        expect(c).not.toMatch(/[\u001b\u009b\r]/);
        expect(cleanText(c)).toBe(c);
      }),
      { numRuns: 500 },
    );
  });
});

describe('cleanLine', () => {
  it('folds newlines and tabs into single spaces', () => {
    expect(cleanLine('a\n\tb\r\nc')).toBe('a b c');
  });
});

describe('escapeHtml', () => {
  it('escapes markup and both quote kinds', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });
});

describe('capLines', () => {
  const lines = Array.from({ length: 10 }, (_, i) => `l${i + 1}`);
  it('returns short lists unchanged', () => {
    expect(capLines(lines, 10, 2, (n) => `cut ${n}`)).toEqual(lines);
  });
  it('keeps the head, a marker naming the cut, and the tail', () => {
    expect(capLines(lines, 5, 2, (n) => `cut ${n}`)).toEqual(['l1', 'l2', 'cut 6', 'l9', 'l10']);
  });
});

describe('formatDuration', () => {
  it.each([
    [null, '—'],
    [0.04, '0.0 s'],
    [4.25, '4.3 s'],
    [42, '42 s'],
    [125, '2m 05s'],
    [3723, '1h 02m 03s'],
  ])('%s s reads %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});
