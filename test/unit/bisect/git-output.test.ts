import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBisectOutput } from '../../../harness/bisect/git-output.ts';

// Captured from git 2.39 (test/fixtures/bisect/*.txt).
const fixture = (name: string): string =>
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'bisect', name), 'utf8');

describe('parseBisectOutput', () => {
  it('reads the next commit to test after start', () => {
    expect(parseBisectOutput(fixture('start.txt'))).toEqual({
      kind: 'next',
      commit: '37ecae24b541595b652757932f969ecca492424b',
      subject: 'c6',
      revisionsLeft: 6,
      roughSteps: 3,
    });
  });

  it('reads the first bad commit with its subject', () => {
    expect(parseBisectOutput(fixture('bad-found.txt'))).toEqual({
      kind: 'found',
      commit: '43d8c7f3d90b0ad414088bccc1a57cbb4e62425b',
      subject: 'c10',
    });
  });

  it('reads the outcome of a whole git bisect run transcript', () => {
    const out = parseBisectOutput(fixture('run-found.txt'));
    expect(out.kind).toBe('found');
    expect(out.kind === 'found' && out.subject).toMatch(/^c\d+$/);
  });

  it('reads "only skipped commits left" with the candidates', () => {
    for (const name of ['good-only-skipped.txt', 'run-only-skipped.txt']) {
      const out = parseBisectOutput(fixture(name));
      expect(out.kind).toBe('only-skipped');
      expect(out.kind === 'only-skipped' && out.candidates).toHaveLength(2);
    }
    const out = parseBisectOutput(fixture('good-only-skipped.txt'));
    expect(out).toEqual({
      kind: 'only-skipped',
      candidates: ['d9b41d065624737048856cf8ed2888709add51dd', '3ca79203a926bffdb2624375b2f138fabac26c1a'],
    });
  });

  it('reads a run aborted by an exit code above 127', () => {
    expect(parseBisectOutput(fixture('run-abort.txt'))).toMatchObject({ kind: 'run-aborted', exitCode: 128 });
  });

  it('reads git refusing a range', () => {
    expect(parseBisectOutput(fixture('start-good-after-bad.txt'))).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/not ancestors of the bad revision/),
    });
  });

  it('reads the last of several next commits, and CRLF', () => {
    const text = fixture('run-found.txt').split('\n').slice(0, 6).join('\r\n');
    const out = parseBisectOutput(text);
    expect(out.kind).toBe('next');
    expect(out.kind === 'next' && out.revisionsLeft).toBe(0);
  });

  it('anything else is unknown', () => {
    expect(parseBisectOutput('status: waiting for both good and bad commits\n')).toEqual({
      kind: 'unknown',
      text: 'status: waiting for both good and bad commits',
    });
  });
});
