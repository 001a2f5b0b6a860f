import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUEST_ROOTFS } from '../../../harness/image/assemble.ts';
import { ChannelDecoder } from '../../../harness/machine/channel.ts';
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

  it('sends a heartbeat that channel.ts cuts out of step output (run by busybox sh, as in the guest)', () => {
    const beat = /^\t\tprintf '\\002@zdh:.*$/m.exec(text)?.[0];
    expect(beat).toBeDefined();
    // RES is the tty in the guest; here a file, appended to (node's stdio pipes are sockets,
    // which /dev/stdout cannot open).
    const res = join(mkdtempSync(join(tmpdir(), 'zdh-init-')), 'res');
    const line = beat!.trim().replace('> "$RES"', '>> "$RES"');
    execFileSync('busybox', [
      'sh',
      '-c',
      `ZDH_NONCE=n0nce beat=12.34 RES=${res}; printf 'ok 1 ' >> "$RES"; ${line}; printf 'a\\n' >> "$RES"`,
    ]);
    const bytes = readFileSync(res);
    const d = new ChannelDecoder('n0nce');
    const events = [
      ...d.push(Buffer.from('@zdh:n0nce begin 0 s 1.0\n')),
      ...d.push(bytes),
      ...d.push(Buffer.from('\n@zdh:n0nce end 0 s 0 0 2.0\n')),
    ];
    expect(events.filter((e) => e.kind === 'alive')).toEqual([{ kind: 'alive', uptime: 12.34 }]);
    const output = Buffer.concat(events.flatMap((e) => (e.kind === 'output' ? [e.data] : []))).toString();
    expect(output).toBe('ok 1 a\n');
  });
});
