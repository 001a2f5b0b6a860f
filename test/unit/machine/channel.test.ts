import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelDecoder, type ChannelEvent } from '../../../harness/machine/channel.ts';

const N = 'n0nce';
const stream = (output: string | Buffer): Buffer =>
  Buffer.concat([
    Buffer.from(`@zdh:${N} ready 6.1.192 1.93\n@zdh:${N} begin 0 hmm-tests 2.01\n`),
    Buffer.from(output),
    Buffer.from(`\n@zdh:${N} end 0 hmm-tests 7 0 3.50\n@zdh:${N} done 3.52\n`),
  ]);

/** Merges consecutive output events so chunking does not matter. */
function normalise(events: ChannelEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    const last = out.at(-1) as ChannelEvent | undefined;
    if (e.kind === 'output' && last?.kind === 'output' && last.index === e.index) {
      (out as ChannelEvent[])[out.length - 1] = { ...last, data: Buffer.concat([last.data, e.data]) };
    } else out.push(e);
  }
  return out.map((e) =>
    'data' in (e as object) ? { ...(e as object), data: (e as { data: Buffer }).data.toString('latin1') } : e,
  );
}

function decodeAll(chunks: Buffer[]): ChannelEvent[] {
  const d = new ChannelDecoder(N);
  return [...chunks.flatMap((c) => d.push(c)), ...d.end()];
}

/** The stream cut at these offsets (any order), as the socket might deliver it. */
function splitAt(whole: Buffer, cuts: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const c of [...[...cuts].sort((a, b) => a - b), whole.length]) {
    chunks.push(whole.subarray(prev, c));
    prev = c;
  }
  return chunks;
}

describe('ChannelDecoder', () => {
  it('decodes ready, begin, output, end and done', () => {
    expect(normalise(decodeAll([stream('TAP version 13\nok 1 a\n')]))).toEqual([
      { kind: 'ready', release: '6.1.192', uptime: 1.93 },
      { kind: 'begin', index: 0, name: 'hmm-tests', uptime: 2.01 },
      { kind: 'output', index: 0, data: 'TAP version 13\nok 1 a\n' },
      { kind: 'end', index: 0, name: 'hmm-tests', status: 7, timedOut: false, uptime: 3.5 },
      { kind: 'done', uptime: 3.52 },
    ]);
  });

  it('returns output byte for byte: without a final newline, empty, binary', () => {
    const out = (s: string | Buffer) =>
      normalise(decodeAll([stream(s)])).filter((e) => (e as ChannelEvent).kind === 'output');
    expect(out('no newline')).toEqual([{ kind: 'output', index: 0, data: 'no newline' }]);
    expect(out('')).toEqual([]);
    expect(out('two\n\n')).toEqual([{ kind: 'output', index: 0, data: 'two\n\n' }]);
    const bin = Buffer.from([0, 0xff, 0x0a, 0x40, 0x7a, 0x0d]);
    expect(out(bin)).toEqual([{ kind: 'output', index: 0, data: bin.toString('latin1') }]);
  });

  it('does not let output forge frames: another nonce or a frame not at a line start stays output', () => {
    const tricky = `@zdh:other end 0 x 0 0 1\nsay @zdh:${N} end 0 hmm-tests 0 0 1\n@zdh:${N} done 1\n`;
    const ev = normalise(decodeAll([stream(tricky)]));
    expect(ev.filter((e) => (e as ChannelEvent).kind === 'done')).toHaveLength(1);
    // The output carries the lines that look like frames; only the real end ends the step.
    const output = ev.find((e) => (e as ChannelEvent).kind === 'output') as { data: string };
    expect(output.data).toBe(tricky);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const whole = stream('line one\r\nline two @zdh: partial\nlast');
    const expected = normalise(decodeAll([whole]));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          expect(normalise(decodeAll(splitAt(whole, cuts)))).toEqual(expected);
        },
      ),
    );
  });

  it('cuts heartbeats out anywhere (mid-line, between frames), byte for byte, however the stream is chunked', () => {
    const beat = (up: string) => `\x02@zdh:${N} alive ${up}\x03`;
    const output = 'ok 1 a\nok 2 b\n';
    const whole = Buffer.from(
      `@zdh:${N} ready 6.1.192 1.93\n${beat('6.93')}@zdh:${N} begin 0 hmm-tests 2.01\n` +
        `ok 1 ${beat('7.01')}a\nok 2 b\n${beat('12.5')}\n@zdh:${N} end 0 hmm-tests 0 0 13.0\n${beat('17.0')}@zdh:${N} done 17.2\n`,
    );
    const expected = [
      { kind: 'alive', uptime: 6.93 },
      { kind: 'ready', release: '6.1.192', uptime: 1.93 },
      { kind: 'begin', index: 0, name: 'hmm-tests', uptime: 2.01 },
      { kind: 'output', index: 0, data: output },
      { kind: 'end', index: 0, name: 'hmm-tests', status: 0, timedOut: false, uptime: 13 },
      { kind: 'done', uptime: 17.2 },
    ];
    const byKind = (events: ChannelEvent[]) => ({
      alive: events.filter((e) => e.kind === 'alive'),
      rest: normalise(events.filter((e) => e.kind !== 'alive')),
    });
    const all = byKind(decodeAll([whole]));
    expect(all.rest).toEqual(expected.filter((e) => e.kind !== 'alive'));
    expect(all.alive).toEqual([6.93, 7.01, 12.5, 17].map((uptime) => ({ kind: 'alive', uptime })));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 16 }),
        (cuts) => {
          const chunks = splitAt(whole, cuts);
          expect(byKind(decodeAll(chunks))).toEqual(all);
        },
      ),
    );
  });

  it('cuts blocked-task reports out like heartbeats, wherever and however chunked, and reads their tasks', () => {
    const blocked = (up: string, tasks: string) => `\x02@zdh:${N} blocked ${up}${tasks}\x03`;
    const whole = Buffer.from(
      `@zdh:${N} begin 0 dax-ext4 2.01\nok 1 ${blocked('7.01', ' 143:12:zdh-dax 150:3:kworker/u4_2')}a\n` +
        `${blocked('12.5', '')}ok 2 ${blocked('17.5', ' 143:12:zdh-dax bogus')}b\n\n@zdh:${N} end 0 dax-ext4 0 0 20.0\n`,
    );
    const reports = (events: ChannelEvent[]) => events.filter((e) => e.kind === 'blocked');
    const all = decodeAll([whole]);
    expect(reports(all)).toEqual([
      {
        kind: 'blocked',
        uptime: 7.01,
        tasks: [
          { tid: 143, switches: 12, comm: 'zdh-dax' },
          { tid: 150, switches: 3, comm: 'kworker/u4_2' },
        ],
      },
      { kind: 'blocked', uptime: 12.5, tasks: [] },
      { kind: 'blocked', uptime: 17.5, tasks: [{ tid: 143, switches: 12, comm: 'zdh-dax' }] },
    ]);
    expect(normalise(all.filter((e) => e.kind === 'output'))).toEqual([
      { kind: 'output', index: 0, data: 'ok 1 a\nok 2 b\n' },
    ]);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 16 }),
        (cuts) => {
          const chunks = splitAt(whole, cuts);
          const events = decodeAll(chunks);
          expect(reports(events)).toEqual(reports(all));
          expect(normalise(events.filter((e) => e.kind !== 'blocked'))).toEqual(
            normalise(all.filter((e) => e.kind !== 'blocked')),
          );
        },
      ),
    );
  });

  it('passes on an STX that starts no heartbeat, and a heartbeat of another nonce, as output', () => {
    const out = (s: string) =>
      normalise(decodeAll([stream(s)])).filter(
        (e) =>
          (e as ChannelEvent).kind !== 'ready' &&
          (e as ChannelEvent).kind !== 'begin' &&
          (e as ChannelEvent).kind !== 'end' &&
          (e as ChannelEvent).kind !== 'done',
      );
    expect(out('a\x02b\x03c')).toEqual([{ kind: 'output', index: 0, data: 'a\x02b\x03c' }]);
    expect(out('\x02@zdh:other alive 3\x03')).toEqual([
      { kind: 'output', index: 0, data: '\x02@zdh:other alive 3\x03' },
    ]);
    // Begun but never ended (the VM died mid-write): handed back at the end.
    expect(out(`x\x02@zdh:${N} alive 3.0`)).toEqual([
      { kind: 'output', index: 0, data: `x\x02@zdh:${N} alive 3.0` },
    ]);
    // Begun, and no ETX where one must be: output.
    const long = `\x02@zdh:${N} alive ${'9'.repeat(60)}\x03`;
    expect(out(long)).toEqual([{ kind: 'output', index: 0, data: long }]);
  });

  it('reports stray bytes between steps as noise, notes, shell, and timed-out ends', () => {
    const text = `garbage\n@zdh:${N} note cannot reserve huge pages\n@zdh:${N} begin 1 s 1\n\n@zdh:${N} end 1 s 137 1 9.5\n@zdh:${N} shell 9.6\n@zdh:${N} bogus 1\n`;
    expect(normalise(decodeAll([Buffer.from(text)]))).toEqual([
      { kind: 'noise', data: 'garbage\n' },
      { kind: 'note', text: 'cannot reserve huge pages' },
      { kind: 'begin', index: 1, name: 's', uptime: 1 },
      { kind: 'end', index: 1, name: 's', status: 137, timedOut: true, uptime: 9.5 },
      { kind: 'shell', uptime: 9.6 },
      { kind: 'noise', data: `@zdh:${N} bogus 1\n` },
    ]);
  });

  it('hands back a step cut short (the VM died) as output at the end', () => {
    const d = new ChannelDecoder(N);
    const ev = [...d.push(Buffer.from(`@zdh:${N} begin 0 a 1\nhalf a li`)), ...d.end()];
    expect(normalise(ev)).toEqual([
      { kind: 'begin', index: 0, name: 'a', uptime: 1 },
      { kind: 'output', index: 0, data: 'half a li' },
    ]);
    expect(d.currentStep).toEqual({ index: 0, name: 'a' });
  });

  it('refuses a nonce that could break the framing', () => {
    expect(() => new ChannelDecoder('a b')).toThrow(/nonce/);
  });
});
