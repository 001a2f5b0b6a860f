import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { configError } from '../errors.ts';

/**
 * Reads a YAML file and validates it against a JSON Schema. Every error names
 * file:line:col and says what to change. Used for kernel specs, suites and machine profiles.
 */
export interface Located {
  line: number;
  col: number;
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
const compiled = new WeakMap<object, ValidateFunction>();

export function loadYamlFile<T>(file: string, schema: object): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw configError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseYamlText<T>(text, file, schema);
}

export function parseYamlText<T>(text: string, file: string, schema: object): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw configError(`${file} is not valid YAML`, {
      details: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`;
      }),
      hint: 'fix the YAML syntax at the position above',
    });
  }
  const value = doc.toJS() as unknown;
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (!validate(value)) {
    const errors = pruneErrors(validate.errors ?? []);
    throw configError(`${file} does not match its schema`, {
      details: errors.map((e) => {
        const at = locate(
          doc.contents,
          e.instancePath,
          lineCounter,
          e.keyword === 'additionalProperties' ? String(e.params['additionalProperty']) : undefined,
        );
        return `${file}:${at.line}:${at.col}: ${describe(e)}`;
      }),
      hint: 'fix the fields named above (the JSON Schema in configs/schema/ lists every field)',
    });
  }
  return value as T;
}

/** anyOf/oneOf produce one error per branch; keep the most specific ones. */
function pruneErrors(errors: ErrorObject[]): ErrorObject[] {
  const deepest = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const list = deepest.get(e.instancePath) ?? [];
    list.push(e);
    deepest.set(e.instancePath, list);
  }
  const out: ErrorObject[] = [];
  for (const list of deepest.values()) {
    const seen = new Set<string>();
    for (const e of list) {
      const msg = describe(e);
      if (!seen.has(msg)) {
        seen.add(msg);
        out.push(e);
      }
    }
  }
  return out.length > 0 ? out.slice(0, 12) : errors.slice(0, 12);
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'top level';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown field "${String(e.params['additionalProperty'])}"`;
    case 'required':
      return `${where}: missing field "${String(e.params['missingProperty'])}"`;
    case 'enum':
      return `${where}: must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${where}: must be ${String(e.params['type'])}`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

/** The position of the node at a JSON pointer (or of the offending key). */
function locate(root: unknown, pointer: string, lc: LineCounter, key?: string): Located {
  let node = root as Node | null | undefined;
  let last = node;
  const parts =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (key !== undefined) parts.push(key);
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === part);
      if (!pair) break;
      last = (part === key ? (pair.key as Node) : (pair.value as Node)) ?? (pair.key as Node);
      node = pair.value as Node;
      if (part === key) break;
    } else if (isSeq(node)) {
      const item = node.items[Number(part)] as Node | undefined;
      if (!item) break;
      last = item;
      node = item;
    } else break;
  }
  const offset = last?.range?.[0] ?? 0;
  const pos = lc.linePos(offset);
  return { line: pos.line, col: pos.col };
}
