import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUEST_ROOTFS } from '../../../harness/image/assemble.ts';
import { beginMarker, endMarker } from '../../../harness/steps/markers.ts';

const init = join(GUEST_ROOTFS, 'init');
const text = readFileSync(init, 'utf8');

describe('guest /init', () => {
  it('is valid sh', () => {
    expect(() => execFileSync('/bin/sh', ['-n', init])).not.toThrow();
  });

  it('writes the step markers of steps/markers.ts to /dev/kmsg', () => {
    // The markers with the shell's own variables in place of a name and a status.
    expect(text).toContain(`echo "${beginMarker('$name')}" > /dev/kmsg`);
    expect(text).toContain(
      `echo "${endMarker('$name', 0).replace('status=0', 'status=$status')}" > /dev/kmsg`,
    );
  });

  it('frames results the way channel.ts decodes them', () => {
    expect(text).toContain(`printf '@zdh:%s %s\\n' "$ZDH_NONCE" "$*"`);
    expect(text).toContain(`printf '\\n@zdh:%s end %s %s %s %s %s\\n'`);
    for (const verb of ['ready', 'begin', 'shell', 'done', 'note']) expect(text).toContain(`frame ${verb} `);
  });
});
