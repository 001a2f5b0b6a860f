/**
 * The results channel's events as the run's record: each step's state, status, guest and
 * host times, and output (kept in memory up to StepOutput's cap, and written whole to
 * steps/<i>-<name>.out), plus the boot's timings (ready, first step, the longest gap
 * between heartbeats). The edge of one attempt feeds it; it decides nothing.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { safeFileName } from '../util/file-name.ts';
import type { ChannelEvent } from './channel.ts';
import type { MachineResult } from './runner.ts';
import { StepOutput } from './step-output.ts';
import type { StepResult, StepSpec } from './steps.ts';

export class StepRecorder {
  readonly steps: StepResult[];
  readonly timings: MachineResult['timings'] = { endMs: 0 };
  release: string | undefined;
  readonly #outputs = new Map<number, { kept: StepOutput; file: WriteStream }>();
  readonly #runDir: string;
  readonly #since: () => number;
  #lastBeatMs: number | undefined;

  constructor(a: { runDir: string; steps: readonly StepSpec[]; nonce: string; since: () => number }) {
    this.#runDir = a.runDir;
    this.#since = a.since;
    this.steps = a.steps.map((s, index) => ({
      index,
      name: s.name,
      state: 'not-run',
      status: undefined,
      output: '',
      outputTruncated: false,
      outputFile: undefined,
      nonce: a.nonce,
      guestStart: undefined,
      guestEnd: undefined,
      hostStartMs: undefined,
      hostEndMs: undefined,
    }));
  }

  /** Records one channel event. */
  record(ev: ChannelEvent): void {
    switch (ev.kind) {
      case 'ready':
        this.release = ev.release;
        this.timings.readyMs = this.#since();
        this.#lastBeatMs = this.timings.readyMs;
        break;
      case 'alive':
        this.#beat();
        break;
      case 'begin':
        this.#begin(ev);
        break;
      case 'output': {
        const o = this.#outputs.get(ev.index);
        o?.kept.push(ev.data);
        o?.file.write(ev.data);
        break;
      }
      case 'end': {
        const r = this.steps[ev.index];
        if (r) {
          r.state = ev.timedOut ? 'timeout' : 'finished';
          r.status = ev.status;
          r.guestEnd = ev.uptime;
          r.hostEndMs = this.#since();
        }
        this.#outputs.get(ev.index)?.file.end();
        break;
      }
      default:
        break;
    }
  }

  #beat(): void {
    const now = this.#since();
    if (this.#lastBeatMs !== undefined) {
      this.timings.maxHeartbeatGapMs = Math.max(
        this.timings.maxHeartbeatGapMs ?? 0,
        Math.round(now - this.#lastBeatMs),
      );
    }
    this.#lastBeatMs = now;
  }

  #begin(ev: ChannelEvent & { kind: 'begin' }): void {
    const r = this.steps[ev.index];
    if (!r) return;
    if (this.timings.firstStepMs === undefined) this.timings.firstStepMs = this.#since();
    r.state = 'incomplete';
    r.guestStart = ev.uptime;
    r.hostStartMs = this.#since();
    const file = join(this.#runDir, 'steps', `${ev.index}-${safeFileName(ev.name)}.out`);
    r.outputFile = file;
    this.#outputs.set(ev.index, { kept: new StepOutput(), file: createWriteStream(file) });
  }

  /** Closes the output files and puts each step's kept output in its result. */
  async finish(): Promise<void> {
    await Promise.all([...this.#outputs.values()].map((o) => new Promise((r) => o.file.end(r))));
    for (const [i, o] of this.#outputs) {
      const r = this.steps[i];
      if (r) {
        r.output = o.kept.text();
        r.outputTruncated = o.kept.truncated;
      }
    }
  }
}
