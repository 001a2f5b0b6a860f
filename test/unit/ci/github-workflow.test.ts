/**
 * The GitHub Actions template in ci-examples/ is checked by an existing workflow validator
 * (@action-validator/cli, a devDependency: the schema GitHub's own editor support uses,
 * compiled to WebAssembly, no install script), run as a user would run it on the file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCapture } from '../../../harness/process/run.ts';
import { projectRoot } from '../../../harness/util/paths.ts';

const workflow = join(projectRoot, 'ci-examples', 'github-nightly.yml');
const cli = join(
  dirname(createRequire(import.meta.url).resolve('@action-validator/cli/package.json')),
  'cli.mjs',
);
const validate = (file: string): Promise<string> => runCapture(process.execPath, [cli, file]);

const scratch = mkdtempSync(join(tmpdir(), 'zdh-workflow-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('ci-examples/github-nightly.yml', () => {
  it('passes the GitHub Actions workflow validator', async () => {
    await expect(validate(workflow)).resolves.toBeDefined();
  });

  it('is checked for real: the validator rejects the same workflow with a job that has no runner', async () => {
    const broken = join(scratch, 'broken.yml');
    writeFileSync(broken, readFileSync(workflow, 'utf8').replace(/^ {4}runs-on: .*\n/gm, ''));
    await expect(validate(broken)).rejects.toThrow(/failed/);
  });

  it('is checked for real: and one with an unknown trigger', async () => {
    const broken = join(scratch, 'trigger.yml');
    writeFileSync(
      broken,
      readFileSync(workflow, 'utf8').replace('workflow_dispatch: {}', 'nightly_dispatch: {}'),
    );
    await expect(validate(broken)).rejects.toThrow(/failed/);
  });
});
