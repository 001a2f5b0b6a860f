/**
 * The part of a step's output kept in memory for the result (the step's file in the run
 * folder always has all of it). Pure.
 *
 * A step that prints more than the cap keeps its first and its last half, cut at line
 * ends, with a line in between saying how much was left out. The tail matters most: the
 * step script's end markers, and with them the command's exit status, come last
 * (harness/workloads/script.ts), and the result parser reads this copy.
 */

/** Step output kept in memory for the result; the step's file always has all of it. */
export const MAX_OUTPUT_IN_MEMORY = 32 * 1024 * 1024;

const NL = 0x0a;

export class StepOutput {
  readonly #headCap: number;
  readonly #tailCap: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  /** The newest bytes after the head; at most one chunk more than #tailCap. */
  readonly #tail: Buffer[] = [];
  #tailBytes = 0;
  /** Bytes dropped between head and tail so far. */
  #dropped = 0;

  constructor(cap = MAX_OUTPUT_IN_MEMORY) {
    this.#headCap = Math.floor(cap / 2);
    this.#tailCap = cap - this.#headCap;
  }

  push(data: Buffer): void {
    let rest = data;
    if (this.#headBytes < this.#headCap) {
      const take = Math.min(rest.length, this.#headCap - this.#headBytes);
      this.#head.push(rest.subarray(0, take));
      this.#headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.#tail.push(rest);
    this.#tailBytes += rest.length;
    while (this.#tail.length > 1 && this.#tailBytes - this.#tail[0]!.length >= this.#tailCap) {
      const old = this.#tail.shift()!;
      this.#tailBytes -= old.length;
      this.#dropped += old.length;
    }
  }

  /** The output was longer than what is kept. */
  get truncated(): boolean {
    return this.#dropped > 0 || this.#tailBytes > this.#tailCap;
  }

  text(): string {
    const head = Buffer.concat(this.#head);
    const tail = Buffer.concat(this.#tail);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    // Cut both at line ends: a marker cut in half would read as another one.
    const headEnd = head.lastIndexOf(NL) + 1;
    const from = Math.max(0, tail.length - this.#tailCap);
    // The byte before `from` ends a line when it is a newline; else the tail starts at the next line.
    const nl = from > 0 ? tail.indexOf(NL, from - 1) : tail.indexOf(NL);
    const tailStart = nl === -1 ? tail.length : nl + 1;
    const left = this.#dropped + (head.length - headEnd) + tailStart;
    return [
      head.subarray(0, headEnd).toString('utf8'),
      `[zdh: ${left} bytes of this step's output left out here; its file in the run folder has all of it]\n`,
      tail.subarray(tailStart).toString('utf8'),
    ].join('');
  }
}
