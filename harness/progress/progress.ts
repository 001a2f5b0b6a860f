/**
 * Human progress on stderr. On a TTY: step lines plus one live status line (elapsed time
 * and the latest detail, e.g. the file make is compiling). Elsewhere (CI logs): plain
 * lines with a timestamp, and details at most every `heartbeatMs` so logs stay short.
 */
export interface Progress {
  /** A new phase: "configuring", "building", "booting". */
  step(message: string): void;
  /** Fine-grained activity; shown live on a TTY, sampled otherwise. */
  detail(message: string): void;
  warn(message: string): void;
  /** Clears the live line. */
  done(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  tty?: boolean;
  heartbeatMs?: number;
  now?: () => Date;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const now = opts.now ?? (() => new Date());
  const started = now().getTime();
  let stepStarted = started;
  let lastDetailAt = 0;
  let live = false;
  let timer: NodeJS.Timeout | undefined;
  let lastDetail = '';

  const stamp = (): string => now().toISOString().slice(11, 19);
  const elapsed = (since: number): string => {
    const s = Math.floor((now().getTime() - since) / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  const clearLive = (): void => {
    if (live) stream.write('\r\x1b[K');
    live = false;
  };
  const drawLive = (): void => {
    const cols = stream.columns ?? 100;
    const text = `  [${elapsed(stepStarted)}] ${lastDetail}`;
    stream.write(`\r\x1b[K${text.slice(0, Math.max(10, cols - 1))}`);
    live = true;
  };
  return {
    step(message) {
      stepStarted = now().getTime();
      lastDetail = '';
      if (tty) {
        clearLive();
        stream.write(`==> ${message}\n`);
        timer ??= setInterval(() => lastDetail && drawLive(), 1000).unref();
      } else {
        stream.write(`[${stamp()}] ${message}\n`);
      }
    },
    detail(message) {
      lastDetail = message;
      if (tty) {
        drawLive();
        return;
      }
      const t = now().getTime();
      if (t - lastDetailAt >= heartbeatMs) {
        lastDetailAt = t;
        stream.write(`[${stamp()}]   ${elapsed(stepStarted)} ${message}\n`);
      }
    },
    warn(message) {
      clearLive();
      stream.write(tty ? `warning: ${message}\n` : `[${stamp()}] warning: ${message}\n`);
    },
    done() {
      clearLive();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/**
 * Also writes every step and warning (and details, sampled every `heartbeatMs`) as
 * timestamped lines to a file, so a run folder keeps zdh's own story of the run.
 */
export function teeProgress(inner: Progress, write: (line: string) => void, heartbeatMs = 30_000): Progress {
  let lastDetail = 0;
  const line = (text: string): void => write(`${new Date().toISOString()} ${text}\n`);
  return {
    step(message) {
      line(message);
      inner.step(message);
    },
    detail(message) {
      const t = Date.now();
      if (t - lastDetail >= heartbeatMs) {
        lastDetail = t;
        line(`  ${message}`);
      }
      inner.detail(message);
    },
    warn(message) {
      line(`warning: ${message}`);
      inner.warn(message);
    },
    done() {
      inner.done();
    },
  };
}
