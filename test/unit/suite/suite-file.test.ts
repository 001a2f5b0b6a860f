import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import { loadSuite } from '../../../harness/suite/suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'zdh-suite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (name: string, text: string): unknown => {
  const file = join(dir, name);
  writeFileSync(file, text);
  try {
    return loadSuite(file);
  } catch (e) {
    return e;
  }
};

describe('a suite`s name (it becomes part of the run folder`s path)', () => {
  it.each(['../x', 'a/../../../tmp/x', '.hidden', 'a b'])('refuses %j, naming file:line:col', (name) => {
    const err = load('s.yaml', `# a suite\nname: ${JSON.stringify(name)}\nworkloads: [hmm-tests]\n`);
    expect(err).toBeInstanceOf(ZdhError);
    expect((err as ZdhError).details.join('\n')).toContain(`${join(dir, 's.yaml')}:2:7: name`);
  });

  it('accepts an ordinary name', () => {
    const s = load('ok.yaml', 'name: nightly-6.1_debug.v2\nworkloads: [hmm-tests]\n') as { name: string };
    expect(s.name).toBe('nightly-6.1_debug.v2');
  });
});
