import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { RunSummary } from '../../../harness/model/result.ts';
import { runCapture } from '../../../harness/process/run.ts';
import { readRunSummary } from '../../../harness/report/summary-file.ts';
import { projectRoot } from '../../../harness/util/paths.ts';

/** Golden run folders: summary.json plus the console logs its cells name. */
export const summariesDir = join(projectRoot, 'test', 'fixtures', 'summaries');
export const goldenDir = join(summariesDir, 'golden');
export const junitXsd = join(projectRoot, 'test', 'fixtures', 'junit', 'junit.xsd');

export const FIXTURES = ['passing', 'failing', 'errored', 'interrupted', 'shard-1', 'shard-2'] as const;
export type FixtureName = (typeof FIXTURES)[number];

export const fixtureDir = (name: FixtureName): string => join(summariesDir, name);

/** A fixture's summary, read and validated like `zdh report` does (run.dir is the fixture folder). */
export function loadFixture(name: FixtureName): RunSummary {
  return readRunSummary(fixtureDir(name));
}

/** The fixture as if it had been written at /runs/<name>: stable absolute paths for goldens. */
export function atRuns(summary: RunSummary, name: string): RunSummary {
  return { ...summary, run: { ...summary.run, dir: `/runs/${name}` } };
}

/** A scratch copy of fixture run folders; removed by the returned cleanup. */
export function scratch(...names: FixtureName[]): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'zdh-report-'));
  for (const n of names) cpSync(fixtureDir(n), join(dir, n), { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Validates JUnit files against the vendored schema with xmllint; rejects with xmllint's complaint. */
export async function validateJUnit(files: readonly string[]): Promise<void> {
  await runCapture('xmllint', ['--noout', '--schema', junitXsd, ...files]);
}

/** Validates JUnit texts (written to a temp folder first). */
export async function validateJUnitText(...texts: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zdh-junit-'));
  try {
    const files = texts.map((x, i) => {
      const f = join(dir, `junit-${i}.xml`);
      writeFileSync(f, x);
      return f;
    });
    await validateJUnit(files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import fc from 'fast-check';

/** Strings a guest might print: any UTF-16 code unit (lone surrogates too), escapes, markup, CDATA ends. */
export const hostileString: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)),
      fc.constantFrom(
        '\u0000',
        '\u001b[1;31m',
        '\u001b]0;title\u0007',
        '\u009b2J',
        ']]>',
        '<script>',
        '&amp;',
        '"',
        "'",
        '\r',
        '\r\n',
        '\ud800',
        '\udfff',
        '\ufffe',
        '\uffff',
        '\u202e',
      ),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

/** Code points XML 1.0 does not allow in a document (as a regex over UTF-16). */
export const XML_ILLEGAL =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The KCIDB I/O schema v5.3 as shipped beside the clone (../shared/reference/kcidb), compiled
 * with ajv (the schema is draft-07 with `$defs`). ajv has no built-in formats; the three the
 * schema names are checked here: `uri` (absolute, with a scheme), `date-time` (RFC 3339) and
 * `email`.
 */
export const kcidbSchemaFile = join(
  projectRoot,
  '..',
  'shared',
  'reference',
  'kcidb',
  'kcidb-io.schema.v5.3.json',
);

let kcidbValidate: ValidateFunction | undefined;

/** ajv's complaints about a KCIDB document, or [] when it is valid. */
export function kcidbErrors(data: unknown): string[] {
  if (!kcidbValidate) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    ajv.addFormat('uri', (s: string) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s) && URL.canParse(s));
    ajv.addFormat(
      'date-time',
      (s: string) =>
        /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/.test(s) &&
        !Number.isNaN(Date.parse(s)),
    );
    ajv.addFormat('email', (s: string) => /^[^\s@]+@[^\s@]+$/.test(s));
    kcidbValidate = ajv.compile(JSON.parse(readFileSync(kcidbSchemaFile, 'utf8')));
  }
  return kcidbValidate(data) ? [] : (kcidbValidate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
