import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFailure, parsePatchOutput } from '../../../harness/patch/failure.ts';

// Real output of GNU patch 2.7 and git 2.39 on this machine (test/fixtures/patch/).
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/patch', name), 'utf8');

describe('parsePatchOutput', () => {
  it('names the file and hunk from GNU patch, and a missing file', () => {
    const f = parsePatchOutput(fixture('patch-failures.txt'));
    expect(f).toEqual([
      { file: 'mm/x.c', hunk: 1, line: 1, reason: 'hunk does not apply' },
      { file: 'mm/nope.c', reason: 'file to patch does not exist in this tree' },
    ]);
    expect(describeFailure(f[0]!)).toBe('mm/x.c, hunk #1, at line 1: hunk does not apply');
  });

  it('names the conflicting file from git am -3', () => {
    expect(parsePatchOutput(fixture('git-am-3way-conflict.txt'))).toEqual([
      { file: 'mm/x.c', reason: '3-way merge conflict' },
    ]);
  });

  it('names the file when git am has no index lines to merge with', () => {
    expect(parsePatchOutput(fixture('git-am-failure.txt'))).toEqual([
      { file: 'mm/x.c', reason: 'hunk does not apply, and the patch has no index lines for a 3-way merge' },
    ]);
  });

  it('reads git apply errors', () => {
    expect(
      parsePatchOutput(
        'error: patch failed: mm/memremap.c:123\nerror: mm/memremap.c: patch does not apply\n',
      ),
    ).toEqual([{ file: 'mm/memremap.c', line: 123, reason: 'hunk does not apply' }]);
  });
});
