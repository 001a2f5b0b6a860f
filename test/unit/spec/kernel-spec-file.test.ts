import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZdhError } from '../../../harness/errors.ts';
import { kernelSchema, loadKernelSpecFile } from '../../../harness/spec/kernel-spec-file.ts';
import { parseYamlText } from '../../../harness/spec/load-yaml.ts';

const dir = mkdtempSync(join(tmpdir(), 'zdh-spec-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const errorOf = (fn: () => unknown): ZdhError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ZdhError) return e;
    throw e;
  }
  throw new Error('expected a ZdhError');
};

describe('kernel spec YAML', () => {
  it('turns fields into a KernelSpec with paths relative to the file', () => {
    const file = write(
      'k.yaml',
      'name: fixes\ngit: ../linux\nref: v6.1\npatches: [p/one.patch, series]\nbase: defconfig\nconfig: [kasan, ./my.config]\n',
    );
    const spec = loadKernelSpecFile(file);
    expect(spec.source).toEqual({ kind: 'git', repo: join(dir, '..', 'linux'), ref: 'v6.1' });
    expect(spec.patches).toEqual([join(dir, 'p/one.patch'), join(dir, 'series')]);
    expect(spec.base).toBe('defconfig');
    expect(spec.fragments).toEqual([
      { ref: 'kasan', layer: 1 },
      { ref: join(dir, 'my.config'), layer: 1 },
    ]);
    expect(spec.defaultFragments).toBe(true);
  });

  it('names file:line:col of an unknown field and of a wrongly typed one', () => {
    const file = write('bad.yaml', 'tarball: /x.tar.xz\npatchs:\n  - a.patch\nconfig: kasan\n');
    const e = errorOf(() => loadKernelSpecFile(file));
    expect(e.kind).toBe('config');
    expect(e.details).toContain(`${file}:2:1: top level: unknown field "patchs"`);
    expect(e.details).toContain(`${file}:4:9: config: must be array`);
  });

  it('names file:line:col of a YAML syntax error', () => {
    const e = errorOf(() => parseYamlText('name: a\n  bad: [1, 2\n', 'x.yaml', kernelSchema));
    expect(e.message).toBe('x.yaml is not valid YAML');
    expect(e.details[0]).toMatch(/^x\.yaml:\d+:\d+: /);
  });

  it('rejects two sources and a git without ref', () => {
    expect(errorOf(() => parseYamlText('tree: a\ngit: b\nref: c\n', 'y.yaml', kernelSchema)).message).toMatch(
      /does not match its schema/,
    );
    const e = errorOf(() => parseYamlText('git: b\n', 'z.yaml', kernelSchema));
    expect(e.details.join('\n')).toMatch(/z\.yaml:1:1: .*ref/);
  });
});
