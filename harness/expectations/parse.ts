/**
 * One expectations file (configs/expectations/*.yaml) from its text, checked against the
 * schema it is given (configs/schema/expectations.schema.json, which load.ts reads). A bad
 * regular expression is reported with its file like any other config error. Pure.
 */
import { configError } from '../errors.ts';
import { parseYamlText } from '../spec/load-yaml.ts';
import type { ExpectationFile } from './match.ts';

export function parseExpectationFile(text: string, file: string, schema: object): ExpectationFile {
  const doc = parseYamlText<ExpectationFile>(text, file, schema);
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
