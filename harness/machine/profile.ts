/**
 * Loads configs/machines/<name>.yaml (or any file): YAML with positions kept, JSON
 * Schema, then the rules of profile-rules.ts. Every problem is reported at once, each as
 * file:line:col with the fix.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { type Document, isMap, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import { configError } from '../errors.ts';
import { configsDir } from '../util/paths.ts';
import { type MachineProfile, type ProfilePath, resolveProfile } from './profile-rules.ts';
import { PROFILE_SCHEMA, type RawProfile } from './profile-schema.ts';

export const machinesDir = join(configsDir, 'machines');
export const DEFAULT_MACHINE = 'default';

// Compiled on first use: a start that reads no profile (`zdh build`) pays nothing for it.
let validateSchema: ValidateFunction<RawProfile> | undefined;
function profileValidator(): ValidateFunction<RawProfile> {
  validateSchema ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile<RawProfile>(
    PROFILE_SCHEMA,
  );
  return validateSchema;
}

export interface PositionedIssue {
  file: string;
  line: number;
  col: number;
  message: string;
  fix: string;
}

export function formatIssue(i: PositionedIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.message}\n      fix: ${i.fix}`;
}

/** The position of a key (or of the value, or of the nearest existing parent). */
function positionOf(
  doc: Document,
  lc: LineCounter,
  path: ProfilePath,
  key?: string,
): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = rangeOf(node);
    if (range === undefined) continue;
    if (n === path.length && key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]);
    }
    // For a mapping value, point at its key: that is where a person looks.
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
      const last = path[n - 1];
      if (isMap(parent) && typeof last === 'string') {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
        if (pair && isScalar(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]);
      }
    }
    return lc.linePos(range[0]!);
  }
  return { line: 1, col: 1 };
}

function rangeOf(node: unknown): readonly number[] | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const r = (node as { range?: unknown }).range;
  return Array.isArray(r) && typeof r[0] === 'number' ? (r as number[]) : undefined;
}

const pointerToPath = (pointer: string): ProfilePath =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function closest(word: string, choices: readonly string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
      }
    }
    return d[a.length]![b.length]!;
  };
  const best = choices
    .map((c) => ({ c, d: dist(word.toLowerCase(), c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

function schemaAt(path: ProfilePath): Record<string, unknown> | undefined {
  let s: unknown = PROFILE_SCHEMA;
  for (const seg of path) {
    const o = s as { properties?: Record<string, unknown>; items?: unknown };
    s = typeof seg === 'number' ? o.items : o.properties?.[seg];
    if (s === undefined) return undefined;
  }
  return s as Record<string, unknown>;
}

function schemaIssue(e: ErrorObject): { path: ProfilePath; key?: string; message: string; fix: string } {
  const path = pointerToPath(e.instancePath);
  const where = path.length === 0 ? 'the profile' : path.join('.');
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys(
        (schemaAt(path)?.['properties'] as Record<string, unknown> | undefined) ?? {},
      );
      const guess = closest(key, known);
      return {
        path,
        key,
        message: `unknown key '${key}' in ${where}`,
        fix: guess ? `did you mean '${guess}'?` : `use one of: ${known.join(', ')}`,
      };
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      return { path, message: `${where} needs '${key}'`, fix: `add ${key}: ...` };
    }
    case 'minItems': {
      const limit = (e.params as { limit: number }).limit;
      return {
        path,
        message: `${where} has fewer than ${limit} ${limit === 1 ? 'entry' : 'entries'}`,
        fix: `list ${limit === 1 ? 'one' : limit} or more, or leave ${String(path.at(-1))} out`,
      };
    }
    case 'enum':
      return {
        path,
        message: `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`,
        fix: `${String(path.at(-1))}: ${(e.params as { allowedValues: unknown[] }).allowedValues[0]}`,
      };
    case 'pattern':
      if (schemaAt(path)?.['pattern'] === PROFILE_SCHEMA.properties.memory.pattern) {
        return {
          path,
          message: `${where} is not a size`,
          fix: 'write bytes, 0x hex, or a number with K, M, G or T (e.g. 512M)',
        };
      }
      return { path, message: `${where} ${e.message ?? 'is malformed'}`, fix: 'see docs/machine.md' };
    case 'type': {
      const t = (e.params as { type: string | string[] }).type;
      const types = Array.isArray(t) ? t : [t];
      const fix =
        types.includes('string') && types.includes('integer')
          ? 'write a size such as 2G'
          : `write a ${types.join(' or ')}`;
      return { path, message: `${where} must be ${types.join(' or ')}`, fix };
    }
    default:
      return { path, message: `${where} ${e.message ?? 'is invalid'}`, fix: 'see docs/machine.md' };
  }
}

/**
 * Parses and validates profile text. Pure (no file access): `file` is only used in
 * messages and in the result.
 */
export function parseProfile(
  text: string,
  file: string,
): { profile: MachineProfile | undefined; issues: PositionedIssue[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: PositionedIssue[] = [];
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lc.linePos(e.pos[0]);
      issues.push({
        file,
        line: pos.line,
        col: pos.col,
        message: `YAML: ${e.message.split('\n')[0]}`,
        fix: 'fix the YAML syntax',
      });
    }
    return { profile: undefined, issues };
  }
  const data: unknown = doc.toJS() ?? {};
  const validate = profileValidator();
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const si = schemaIssue(e);
      const pos = positionOf(doc, lc, si.path, si.key);
      issues.push({ file, ...pos, message: si.message, fix: si.fix });
    }
    return { profile: undefined, issues };
  }
  const name = basename(file, extname(file));
  const { profile, issues: rules } = resolveProfile(data, { name, file });
  for (const r of rules)
    issues.push({ file, ...positionOf(doc, lc, r.path), message: r.message, fix: r.fix });
  return { profile, issues };
}

/** Names of the profiles in configs/machines. */
export function listProfiles(dir: string = machinesDir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .map((f) => basename(f, extname(f)))
    .sort();
}

/** `--machine NAME|FILE`: a path when it has a '/' or a YAML extension, else configs/machines/NAME.yaml. */
export function profilePath(nameOrFile: string | undefined, dir: string = machinesDir): string {
  const n = nameOrFile ?? DEFAULT_MACHINE;
  if (n.includes('/') || /\.ya?ml$/.test(n)) return resolve(n);
  return join(dir, `${n}.yaml`);
}

export function loadProfile(nameOrFile: string | undefined, dir: string = machinesDir): MachineProfile {
  const file = profilePath(nameOrFile, dir);
  if (!existsSync(file)) {
    const known = listProfiles(dir);
    throw configError(`no machine profile '${nameOrFile ?? DEFAULT_MACHINE}' (${file})`, {
      hint:
        known.length > 0 ? `use one of: ${known.join(', ')}, or a path to a .yaml file` : `create ${file}`,
    });
  }
  const { profile, issues } = parseProfile(readFileSync(file, 'utf8'), file);
  if (!profile) {
    throw configError(`machine profile ${file} is invalid`, {
      details: issues.map(formatIssue),
      hint: 'see docs/machine.md for the profile format',
    });
  }
  return profile;
}
