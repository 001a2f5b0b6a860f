/**
 * Reads configs/expectations/*.yaml (schema: configs/schema/expectations.schema.json).
 * A bad regular expression or glob is reported with its file like any other config error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from '../errors.ts';
import { parseYamlText } from '../spec/load-yaml.ts';
import { configsDir } from '../util/paths.ts';
import type { ExpectationFile } from './match.ts';

export const EXPECTATIONS_DIR = join(configsDir, 'expectations');
export const EXPECTATIONS_SCHEMA_FILE = join(configsDir, 'schema', 'expectations.schema.json');

let schemaCache: object | undefined;
function schema(): object {
  schemaCache ??= JSON.parse(readFileSync(EXPECTATIONS_SCHEMA_FILE, 'utf8')) as object;
  return schemaCache;
}

export function parseExpectationFile(text: string, file: string): ExpectationFile {
  const doc = parseYamlText<ExpectationFile>(text, file, schema());
  const problems: string[] = [];
  for (const [i, e] of doc.expectations.entries()) {
    if (e.match !== undefined) {
      try {
        new RegExp(e.match);
      } catch (error) {
        problems.push(
          `${file}: expectations[${i}].match is not a regular expression: ${(error as Error).message}`,
        );
      }
    }
  }
  if (problems.length > 0) throw configError(`${file} is invalid`, { details: problems });
  return { ...doc, file };
}

export function loadExpectations(dir: string = EXPECTATIONS_DIR): ExpectationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => parseExpectationFile(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}
