/**
 * Reads configs/expectations/*.yaml (schema: configs/schema/expectations.schema.json): the
 * edge of parse.ts. The expectations are read again on every call (a run keeps what it
 * read: run/default-plan.ts); only the schema is kept.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configsDir } from '../util/paths.ts';
import type { ExpectationFile } from './match.ts';
import { parseExpectationFile } from './parse.ts';

export const EXPECTATIONS_DIR = join(configsDir, 'expectations');
export const EXPECTATIONS_SCHEMA_FILE = join(configsDir, 'schema', 'expectations.schema.json');

let schema: object | undefined;
/**
 * configs/schema/expectations.schema.json, read once: the YAML loader compiles a schema
 * once per object and refuses a second object with the same $id.
 */
export function loadExpectationsSchema(): object {
  schema ??= JSON.parse(readFileSync(EXPECTATIONS_SCHEMA_FILE, 'utf8')) as object;
  return schema;
}

export function loadExpectations(dir: string = EXPECTATIONS_DIR): ExpectationFile[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  if (files.length === 0) return [];
  const schema = loadExpectationsSchema();
  return files.map((f) => parseExpectationFile(readFileSync(join(dir, f), 'utf8'), join(dir, f), schema));
}
