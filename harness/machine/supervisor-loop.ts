/**
 * The supervisor (supervisor.ts, pure) run against real time: it keeps the current state,
 * feeds it events, and carries out its actions: timers become setTimeout, a task dump
 * becomes SysRq keys, a kill becomes a signal to QEMU. What touches QEMU is passed in.
 */
import {
  type SupervisorAction,
  type SupervisorConfig,
  type SupervisorEvent,
  type SupervisorState,
  start,
  step as supervise,
  type TimerId,
} from './supervisor.ts';

export interface LoopEffects {
  /** Ask the guest for a task dump (SysRq keys over the console). */
  sysrq: (keys: readonly string[]) => Promise<void>;
  /** Stop QEMU (SIGTERM). */
  kill: () => void;
  progress: (message: string) => void;
}

export class SupervisorLoop {
  #state: SupervisorState;
  readonly #cfg: SupervisorConfig;
  readonly #effects: LoopEffects;
  readonly #timers = new Map<TimerId, NodeJS.Timeout>();
  readonly #pendingStart: SupervisorAction[];
  #settle: (() => void) | undefined;
  /** Resolves once the supervisor has its final reason (QEMU has exited). */
  readonly finished: Promise<void>;

  constructor(cfg: SupervisorConfig, effects: LoopEffects) {
    this.#cfg = cfg;
    this.#effects = effects;
    const s = start(cfg);
    this.#state = s.state;
    this.#pendingStart = s.actions;
    this.finished = new Promise<void>((r) => {
      this.#settle = r;
    });
  }

  get state(): SupervisorState {
    return this.#state;
  }

  /** Arms the start timers (banner, whole run): call when QEMU has been started. */
  begin(): void {
    this.#perform(this.#pendingStart.splice(0));
  }

  dispatch(ev: SupervisorEvent): void {
    const r = supervise(this.#state, this.#cfg, ev);
    this.#state = r.state;
    this.#perform(r.actions);
    if (r.state.final !== undefined) this.#settle?.();
  }

  /** Clears every timer still armed (the attempt is over). */
  stop(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #perform(actions: readonly SupervisorAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'arm':
          clearTimeout(this.#timers.get(a.id));
          this.#timers.set(
            a.id,
            setTimeout(() => this.dispatch({ type: 'timer', id: a.id }), a.ms),
          );
          break;
        case 'disarm':
          clearTimeout(this.#timers.get(a.id));
          this.#timers.delete(a.id);
          break;
        case 'sysrq':
          void this.#effects
            .sysrq(a.keys)
            .catch((e: unknown) =>
              this.#effects.progress(
                `task dump request failed: ${e instanceof Error ? e.message : String(e)}`,
              ),
            );
          break;
        case 'kill':
          this.#effects.kill();
          break;
        case 'progress':
          this.#effects.progress(a.message);
          break;
      }
    }
  }
}
