import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeSignature,
  formatMatcher,
  type Matcher,
  parseMatch,
  signatureFromFlags,
} from '../../../harness/bisect/signature.ts';
import { ZdhError } from '../../../harness/errors.ts';

describe('parseMatch', () => {
  it('reads a plain title, folding white space', () => {
    expect(parseMatch('  WARNING in   dmirror_devmem_alloc_page ')).toEqual({
      kind: 'title',
      text: 'WARNING in dmirror_devmem_alloc_page',
    });
  });

  it('reads /REGEX/flags', () => {
    expect(parseMatch('/refcount.*underflow/i')).toEqual({
      kind: 'title-regex',
      source: 'refcount.*underflow',
      flags: 'i',
    });
    expect(parseMatch('/a/b/')).toEqual({ kind: 'title-regex', source: 'a/b', flags: '' });
  });

  it('rejects a regular expression that does not compile, as a usage error', () => {
    const e = (() => {
      try {
        parseMatch('/(unclosed/');
      } catch (error) {
        return error;
      }
    })();
    expect(e).toBeInstanceOf(ZdhError);
    expect((e as ZdhError).kind).toBe('usage');
    expect((e as ZdhError).message).toMatch(/not a valid regular expression/);
  });

  it('reads hang:, case: and finding:* forms', () => {
    expect(parseMatch('hang:hmm-tests')).toEqual({ kind: 'hang', workload: 'hmm-tests' });
    expect(parseMatch('hang:*')).toEqual({ kind: 'hang', workload: '*' });
    expect(parseMatch('case:hmm-tests:hmm.hmm_device_private.migrate')).toEqual({
      kind: 'case',
      workload: 'hmm-tests',
      name: 'hmm.hmm_device_private.migrate',
    });
    expect(parseMatch('case:hmm.hmm_device_private.migrate')).toEqual({
      kind: 'case',
      workload: null,
      name: 'hmm.hmm_device_private.migrate',
    });
    expect(parseMatch('finding:*')).toEqual({ kind: 'any-finding' });
  });

  it('title: escapes a title that starts like another form', () => {
    expect(parseMatch('title:hang: task')).toEqual({ kind: 'title', text: 'hang: task' });
  });

  it('rejects empty and incomplete forms', () => {
    for (const bad of ['', '  ', 'hang:', 'case:', 'case::x', 'case:w:'])
      expect(() => parseMatch(bad)).toThrow(ZdhError);
  });
});

describe('formatMatcher', () => {
  it('round-trips every form through parseMatch', () => {
    const title = fc
      .string({ minLength: 1, maxLength: 40 })
      .map((s) => s.trim().replace(/\s+/g, ' '))
      .filter((s) => s.length > 0);
    const word = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,15}$/);
    const matcher: fc.Arbitrary<Matcher> = fc.oneof(
      title.map((text) => ({ kind: 'title' as const, text })),
      word.map((source) => ({ kind: 'title-regex' as const, source, flags: 'i' })),
      word.map((workload) => ({ kind: 'hang' as const, workload })),
      fc
        .tuple(fc.option(word, { nil: null }), word)
        .map(([workload, name]) => ({ kind: 'case' as const, workload, name })),
      fc.constant({ kind: 'any-finding' as const }),
    );
    fc.assert(
      fc.property(matcher, (m) => {
        expect(parseMatch(formatMatcher(m))).toEqual(m);
      }),
    );
  });
});

describe('signatures', () => {
  it('is null without --match, and describes itself', () => {
    expect(signatureFromFlags(undefined)).toBeNull();
    expect(signatureFromFlags([])).toBeNull();
    const s = signatureFromFlags(['WARNING in x', 'hang:hmm-tests']);
    expect(s?.origin).toBe('match');
    expect(describeSignature(s!)).toBe('a finding titled "WARNING in x" or a hang in workload hmm-tests');
  });
});
