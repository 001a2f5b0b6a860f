import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import { SUMMARY_VERSION } from '../../../harness/model/result.ts';
import { finalise } from '../../../harness/model/status.ts';
import {
  loadSummarySchema,
  readRunSummary,
  readSummary,
  writeSummary,
} from '../../../harness/report/summary-file.ts';
import { parseSummary, serialiseSummary } from '../../../harness/report/summary-json.ts';
import { projectRoot } from '../../../harness/util/paths.ts';
import { FIXTURES, fixtureDir, loadFixture } from './helpers.ts';

const schema = loadSummarySchema();
const work = mkdtempSync(join(tmpdir(), 'zdh-summary-json-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fixtureText = (name: (typeof FIXTURES)[number]): string =>
  readFileSync(join(fixtureDir(name), 'summary.json'), 'utf8');

/** What parseSummary throws, for assertions on the message and details. */
function parseError(text: string): ZdhError {
  try {
    parseSummary(text, 'x/summary.json', schema);
  } catch (error) {
    if (error instanceof ZdhError) return error;
    throw error;
  }
  throw new Error('parseSummary accepted it');
}

describe('summary.json', () => {
  it.each(FIXTURES)('reads the %s fixture, and writes it back byte for byte', (name) => {
    const text = fixtureText(name);
    const summary = parseSummary(text, name, schema);
    expect(serialiseSummary(summary)).toBe(text);
  });

  it.each(FIXTURES)(
    'the %s fixture is finalised: its derived fields are what model/status.ts derives',
    (name) => {
      const summary = parseSummary(fixtureText(name), name, schema);
      expect(finalise(summary)).toEqual(summary);
    },
  );

  it('round-trips guest text exactly, lone surrogates and NULs included, as valid UTF-8', () => {
    const s = loadFixture('failing');
    const excerpt = s.cells[0]!.findings[1]!.excerpt;
    expect(excerpt).toContain('\u0000put\u0007');
    expect(excerpt).toContain('\ud800');
    const file = join(work, 'rt.json');
    writeSummary(file, s);
    const bytes = readFileSync(file);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toContain('\\ud800');
    expect(readSummary(file).cells[0]!.findings[1]!.excerpt).toBe(excerpt);
  });

  it('sets run.dir to where the run folder is now when reading a folder', () => {
    expect(readRunSummary(fixtureDir('passing')).run.dir).toBe(fixtureDir('passing'));
    expect(JSON.parse(fixtureText('passing')).run.dir).toBe('/runs/20251125T204740-pass01');
  });

  it('writes atomically: no temporary file is left beside it', () => {
    const dir = join(work, 'atomic');
    writeSummary(join(dir, 'summary.json'), loadFixture('passing'));
    writeSummary(join(dir, 'summary.json'), loadFixture('failing'));
    expect(readdirSync(dir)).toEqual(['summary.json']);
    expect(readSummary(join(dir, 'summary.json')).run.id).toBe('20251125T204740-fail01');
  });

  it('reads a kernel’s build time, and refuses one that is not seconds and a cached flag', () => {
    const v = JSON.parse(fixtureText('passing'));
    v.cells[0].kernel.buildTime = { seconds: 512.5, cached: false };
    expect(parseSummary(JSON.stringify(v), 'x', schema).cells[0]?.kernel.buildTime).toEqual({
      seconds: 512.5,
      cached: false,
    });
    v.cells[0].kernel.buildTime = null;
    expect(parseSummary(JSON.stringify(v), 'x', schema).cells[0]?.kernel.buildTime).toBeNull();
    v.cells[0].kernel.buildTime = { seconds: -1 };
    expect(() => parseSummary(JSON.stringify(v), 'x', schema)).toThrow(/does not match/);
  });

  it('accepts fields it does not know (versions only ever add fields)', () => {
    const v = JSON.parse(fixtureText('passing'));
    v.run.host = 'ci-7';
    v.cells[0].energyJ = 12.5;
    v.newTopLevel = { anything: true };
    expect(parseSummary(JSON.stringify(v), 'x', schema).run.id).toBe('20251125T204740-pass01');
  });
});

describe('summary.json errors', () => {
  it('names a file that is not JSON', () => {
    const e = parseError('{"schema": "zdh-run-summary",');
    expect(e.kind).toBe('config');
    expect(e.message).toMatch(/^x\/summary\.json is not valid JSON/);
  });

  it('names a file that is not a run summary', () => {
    expect(parseError('{"a": 1}').message).toBe(
      'x/summary.json is not a zdh run summary (no "schema": "zdh-run-summary")',
    );
    expect(parseError('[]').kind).toBe('config');
  });

  it('refuses a newer version with a message saying which versions', () => {
    const e = parseError(
      JSON.stringify({ ...JSON.parse(fixtureText('passing')), version: SUMMARY_VERSION + 1 }),
    );
    expect(e.message).toBe(
      `x/summary.json is summary version ${SUMMARY_VERSION + 1}; this zdh reads versions 1 to ${SUMMARY_VERSION}`,
    );
  });

  it('lists missing fields and bad values by path', () => {
    const v = JSON.parse(fixtureText('failing'));
    delete v.cells[0].kernel.release;
    v.cells[1].workloads[0].cases[0].status = 'passed';
    v.run.durationS = -1;
    const e = parseError(JSON.stringify(v));
    expect(e.message).toBe(
      `x/summary.json does not match the run summary schema (version ${SUMMARY_VERSION})`,
    );
    expect(e.details).toContain('cells.0.kernel: missing field "release"');
    expect(e.details).toContain(
      'cells.1.workloads.0.cases.0.status: must be one of "pass", "fail", "skip", "missing", "xfail", "xpass"',
    );
    expect(e.details).toContain('run.durationS: must be >= 0');
  });

  it('says what to do when the file cannot be read', () => {
    expect(() => readSummary(join(work, 'nope', 'summary.json'))).toThrow(
      /cannot read .*summary\.json: ENOENT/,
    );
  });
});

describe('the schema and its documentation', () => {
  /** The schema with additionalProperties:false on every object: fixtures pass only if every field is declared. */
  function closed(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(closed);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' ? mapValues(v, closed) : closed(v);
    if ('properties' in out && !('additionalProperties' in out)) out['additionalProperties'] = false;
    return out;
  }
  const mapValues = (o: unknown, f: (v: unknown) => unknown): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o as Record<string, unknown>).map(([k, v]) => [k, f(v)]));

  it.each(FIXTURES)('declares every field the %s fixture has', (name) => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(closed(schema) as object);
    const ok = validate(JSON.parse(fixtureText(name)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('docs/summary-schema.md documents every field the schema declares, and the versioning rule', () => {
    const doc = readFileSync(join(projectRoot, 'docs', 'summary-schema.md'), 'utf8');
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const n of node) walk(n);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'properties') for (const p of Object.keys(v as object)) names.add(p);
        walk(v);
      }
    };
    walk(schema);
    expect(names.size).toBeGreaterThan(60);
    const undocumented = [...names].filter((n) => !doc.includes(`\`${n}\``));
    expect(undocumented).toEqual([]);
    expect(doc).toMatch(/## Versioning/);
  });
});

describe('readSummary: a damaged file', () => {
  it('is refused with the schema error, not read half-way', () => {
    const file = join(work, 'bad.json');
    writeFileSync(file, fixtureText('passing').replace('"status": "passed"', '"status": "fine"'));
    expect(() => readSummary(file)).toThrow(/does not match the run summary schema/);
  });
});

describe('parseSummary: the schema is data', () => {
  it('validates against the schema it is given, not a file', () => {
    const text = fixtureText('passing');
    // An empty schema accepts any shape once the name and version are right.
    expect(parseSummary(text, 'x', {}).run.id).toBe('20251125T204740-pass01');
    const strict = { type: 'object', required: ['labNotes'] };
    expect(() => parseSummary(text, 'x', strict)).toThrow(/does not match the run summary schema/);
    // The schema name and version are checked before any schema, so they need none.
    expect(() => parseSummary('{"schema": "other"}', 'x', {})).toThrow(/is not a zdh run summary/);
  });

  it('gives the same answer for two copies of one schema (validators are per schema object)', () => {
    const copy = JSON.parse(JSON.stringify(schema)) as object;
    const v = JSON.parse(fixtureText('failing'));
    expect(parseSummary(JSON.stringify(v), 'x', copy)).toEqual(parseSummary(JSON.stringify(v), 'x', schema));
    v.run.durationS = -1;
    expect(() => parseSummary(JSON.stringify(v), 'x', copy)).toThrow(/does not match/);
    expect(() => parseSummary(JSON.stringify(v), 'x', schema)).toThrow(/does not match/);
  });

  it('loadSummarySchema reads the shipped schema once', () => {
    expect(loadSummarySchema()).toBe(schema);
    expect(schema).toMatchObject({ type: 'object' });
  });
});
