/**
 * A minimal QMP client over a unix socket on which zdh listens and QEMU connects
 * (`-chardev socket,id=qmp0,path=... -mon chardev=qmp0,mode=control`). It completes the
 * greeting and qmp_capabilities by itself; commands sent earlier wait for that.
 */
import type { Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: unknown;
  timestamp?: { seconds: number; microseconds: number };
}

type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class QmpClient {
  private socket: Socket | undefined;
  private buffer = '';
  private nextId = 1;
  private readonly waiting = new Map<string, Waiter>();
  private ready: Promise<void>;
  private setReady!: () => void;
  private failReady!: (e: Error) => void;
  private closed = false;
  readonly events: QmpEvent[] = [];
  onEvent: ((e: QmpEvent) => void) | undefined;

  constructor() {
    this.ready = new Promise<void>((resolve, reject) => {
      this.setReady = resolve;
      this.failReady = reject;
    });
    // Nobody may be waiting when QEMU never connects.
    this.ready.catch(() => {});
  }

  /** Hands the client the socket QEMU connected on. */
  attach(socket: Socket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.fail(new Error('QMP connection closed')));
    socket.on('error', (e) => this.fail(e));
  }

  private fail(e: Error): void {
    this.closed = true;
    this.failReady(e);
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  private send(obj: unknown): void {
    this.socket?.write(`${JSON.stringify(obj)}\n`);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      this.onMessage(msg);
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      this.send({ execute: 'qmp_capabilities', id: 'caps' });
      return;
    }
    if ('event' in msg) {
      const e = msg as unknown as QmpEvent;
      this.events.push(e);
      this.onEvent?.(e);
      return;
    }
    const id = typeof msg['id'] === 'string' ? msg['id'] : undefined;
    if (id === 'caps') {
      if ('return' in msg) this.setReady();
      else this.failReady(new Error(`qmp_capabilities failed: ${JSON.stringify(msg['error'])}`));
      return;
    }
    if (id === undefined) return;
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if ('return' in msg) w.resolve(msg['return']);
    else {
      const err = msg['error'] as { class?: string; desc?: string } | undefined;
      w.reject(new Error(`QMP error: ${err?.class ?? '?'}: ${err?.desc ?? JSON.stringify(msg)}`));
    }
  }

  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    if (this.closed) throw new Error('QMP connection closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`QMP ${command}: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.ready, timeout]);
      const id = `c${this.nextId++}`;
      const answer = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
      this.send({ execute: command, ...(args ? { arguments: args } : {}), id });
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}
