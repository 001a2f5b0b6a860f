import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { configError } from '../errors.ts';
import { type RunSummary, SUMMARY_VERSION } from '../model/result.ts';
import { upgradeSummaryV1 } from './summary-v1.ts';

/**
 * summary.json: the result model serialised (docs/summary-schema.md). Parsing checks the
 * schema name and version first, so a file from a newer zdh gets a clear message, reads a
 * version 1 file as version 2 (summary-v1.ts), then validates the shape with the schema it
 * is given (configs/schema/summary.schema.json, which summary-file.ts reads). Pure: the
 * files are read and written in summary-file.ts.
 */

export const SUMMARY_FILE = 'summary.json';

/** Compiled validators by schema object: compiling is slow and one schema serves every read. */
const validators = new WeakMap<object, ValidateFunction>();
function validate(value: unknown, schema: object): ErrorObject[] {
  let validator = validators.get(schema);
  if (!validator) {
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
    validators.set(schema, validator);
  }
  return validator(value) ? [] : (validator.errors ?? []);
}

/** Two-space JSON with a final newline. Lone surrogates come out as \u escapes, so the file is valid UTF-8. */
export function serialiseSummary(summary: RunSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** Text → RunSummary, checked against `schema` (the summary JSON Schema, as data). */
export function parseSummary(text: string, source: string, schema: object): RunSummary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw configError(`${source} is not valid JSON: ${(error as Error).message}`, {
      hint: 'the file is damaged or incomplete; render the run again from a complete summary.json',
    });
  }
  const obj = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if (obj['schema'] !== 'zdh-run-summary') {
    throw configError(`${source} is not a zdh run summary (no "schema": "zdh-run-summary")`, {
      hint: 'pass a run folder, or the summary.json that `zdh run` wrote in it',
    });
  }
  if (typeof obj['version'] !== 'number' || obj['version'] > SUMMARY_VERSION || obj['version'] < 1) {
    throw configError(
      `${source} is summary version ${JSON.stringify(obj['version'])}; this zdh reads versions 1 to ${SUMMARY_VERSION}`,
      { hint: 'use the zdh that wrote the run, or a newer one' },
    );
  }
  if (obj['version'] === 1) {
    const up = upgradeSummaryV1(obj);
    if ('unreadable' in up) {
      throw configError(`${source} is a version 1 summary with an exit zdh never wrote: ${up.unreadable}`, {
        hint: 'the file was edited or damaged; render the run again from the summary.json zdh wrote',
      });
    }
    value = up.summary;
  }
  const errors = validate(value, schema);
  if (errors.length > 0) {
    throw configError(`${source} does not match the run summary schema (version ${SUMMARY_VERSION})`, {
      details: describe(errors),
      hint: 'configs/schema/summary.schema.json and docs/summary-schema.md list every field',
    });
  }
  return value as RunSummary;
}

/** Ajv errors as `path: problem` lines; oneOf/anyOf wrappers dropped when more specific ones exist. */
function describe(errors: ErrorObject[]): string[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const list = specific.length > 0 ? specific : errors;
  const lines = [
    ...new Set(
      list.map((e) => {
        const where = e.instancePath === '' ? 'top level' : e.instancePath.slice(1).replace(/\//g, '.');
        if (e.keyword === 'required')
          return `${where}: missing field "${String(e.params['missingProperty'])}"`;
        if (e.keyword === 'enum') {
          return `${where}: must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        }
        return `${where}: ${e.message ?? e.keyword}`;
      }),
    ),
  ];
  return lines.length > 12 ? [...lines.slice(0, 12), `… and ${lines.length - 12} more`] : lines;
}
