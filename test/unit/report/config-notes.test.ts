import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../harness/report/html.ts';
import { loadSummarySchema } from '../../../harness/report/summary-file.ts';
import { loadFixture } from './helpers.ts';

// A kernel that forced a kconfig preference (6.12's MICROCODE) built anyway; its cells carry the note.
const note =
  'CONFIG_MICROCODE=n (configs/kconfig/qemu-boot.config:67) ended up =y: forced on by a default or another option; check its defaults (a preference: no microcode to load in QEMU; forced on (no prompt) from 6.6; the build goes on)';

describe('kconfig notes in the report', () => {
  const summary = loadFixture('passing');
  const cell = summary.cells[0]!;
  cell.kernel = { ...cell.kernel, configNotes: [note] };

  it('summary.json with kernel.configNotes matches the schema', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(loadSummarySchema());
    expect(validate(JSON.parse(JSON.stringify(summary)))).toBe(true);
  });

  it('report.html shows the note on the cell', () => {
    const html = renderHtml(summary);
    expect(html).toContain(
      '<b>Kconfig:</b> CONFIG_MICROCODE=n (configs/kconfig/qemu-boot.config:67) ended up =y',
    );
  });
});
