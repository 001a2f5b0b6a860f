import { describe, expect, it } from 'vitest';
import { StepTracker } from '../../../harness/scan/attribute.ts';
import { dedupe } from '../../../harness/scan/dedupe.ts';
import type { Finding } from '../../../harness/scan/types.ts';
import { beginMarker, endMarker } from '../../helpers/markers.ts';

describe('StepTracker', () => {
  it('attributes lines before the first marker to boot', () => {
    expect(new StepTracker().current).toBe('boot');
  });

  it('follows begin/end markers written by the guest (harness/steps/markers.ts)', () => {
    const t = new StepTracker('n0nce');
    expect(t.observe(beginMarker('dax-trunc', 'n0nce'))).toEqual({
      kind: 'begin',
      step: 'dax-trunc',
      nonce: 'n0nce',
    });
    expect(t.current).toBe('dax-trunc');
    expect(t.observe('an ordinary line')).toBeUndefined();
    t.observe(endMarker('dax-trunc', 0, 'n0nce'));
    // After a step ends, late reports still belong to it until the next step begins.
    expect(t.current).toBe('dax-trunc');
    t.observe(beginMarker('next', 'n0nce'));
    expect(t.current).toBe('next');
  });

  it("takes only markers with the boot's nonce when it knows it; any marker when it does not", () => {
    const t = new StepTracker('n0nce');
    t.observe(beginMarker('real', 'n0nce'));
    expect(t.observe(beginMarker('forged', 'other'))).toBeUndefined();
    expect(t.observe('zdh: step end real status=0')).toBeUndefined();
    expect(t.current).toBe('real');
    const any = new StepTracker();
    any.observe(beginMarker('a', 'x'));
    any.observe('zdh: step begin b');
    expect(any.current).toBe('b');
  });

  it('handles nested steps and a repeated begin', () => {
    const t = new StepTracker();
    t.observe(beginMarker('outer', 'n'));
    t.observe(beginMarker('inner.1', 'n'));
    t.observe(beginMarker('inner.1', 'n'));
    expect(t.current).toBe('inner.1');
    t.observe(endMarker('inner.1', 0, 'n'));
    expect(t.current).toBe('outer');
  });
});

describe('dedupe', () => {
  const finding = (title: string, line: number, extra: Partial<Finding> = {}): Finding => ({
    title,
    category: 'warning',
    refcount: false,
    pageKind: null,
    page: null,
    workload: 'w',
    firstLine: line,
    lastLine: line + 5,
    count: 1,
    corrupted: false,
    frames: [],
    excerpt: '',
    ...extra,
  });

  it('keeps one finding per title with its count, in order of first appearance', () => {
    const out = dedupe([finding('A', 1), finding('B', 10), finding('A', 20), finding('A', 30)]);
    expect(out.map((f) => [f.title, f.count, f.firstLine])).toEqual([
      ['A', 3, 1],
      ['B', 1, 10],
    ]);
  });

  it('shows the first complete occurrence and ORs the refcount flag', () => {
    const out = dedupe([
      finding('A', 1, { corrupted: true }),
      finding('A', 20, { refcount: true }),
      finding('A', 30),
    ]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ firstLine: 20, corrupted: false, refcount: true, count: 3 });
  });
});
