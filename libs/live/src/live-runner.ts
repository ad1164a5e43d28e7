import type { BarStep, JsonValue } from '@quantbot/core';
import type { LiveSession, LiveStepReport } from './live-session';
import type { LiveStateStore } from './live-state';

export interface LiveRunnerOptions {
  readonly session: LiveSession;
  readonly store: LiveStateStore;
  /** Wall clock, epoch ms: stamps saves. */
  readonly now: () => number;
  /** Save a checkpoint every this many steps (always on stop). Default 1: after every bar. */
  readonly saveEvery?: number;
  /** Stop by itself after this many live steps in this process. */
  readonly stopAfter?: number;
  /** Called every `checkEvery` steps; a non-empty answer is audited (the caller decides to halt). */
  readonly periodicCheck?: () => Promise<readonly { readonly kind: string; readonly detail: { readonly [key: string]: JsonValue } }[]>;
  readonly checkEvery?: number;
  /**
   * Called before each step is decided, with the step's time (the kill file is read here, so a
   * halt that is already in place stops the very first decision).
   */
  readonly beforeStep?: (time: number) => void;
  /** Called once the step is decided, before it is saved (what it audits is saved with the step). */
  readonly afterDecision?: (report: LiveStepReport) => void;
  /** Called once the step is decided and saved. */
  readonly onStep?: (report: LiveStepReport) => void;
  /** A step or a save failed: the runner stops taking bars and `done` rejects with it. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Feeds bar steps to a live session strictly one after another, and saves its checkpoint and
 * journal after each (or every `saveEvery`) in one transaction. Bars older than the session's
 * last one are dropped (a restart's source may repeat the last bar). `stop()` stops taking bars,
 * finishes the step in progress and saves: the state on disk is always that of a whole step.
 */
export class LiveRunner {
  readonly #options: LiveRunnerOptions;
  #queue: Promise<void> = Promise.resolve();
  #stopping = false;
  #stepsHere = 0;
  #sinceSave = 0;
  #failure: unknown = undefined;
  readonly done: Promise<void>;
  #resolveDone!: () => void;
  #rejectDone!: (error: unknown) => void;

  constructor(options: LiveRunnerOptions) {
    this.#options = options;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // Callers await `done` or `stop()`; an unobserved rejection must not crash the process first.
    this.done.catch(() => undefined);
  }

  /** Live steps processed by this process. */
  get steps(): number {
    return this.#stepsHere;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  push(step: BarStep): void {
    if (this.#stopping) return;
    this.#queue = this.#queue.then(() => this.#process(step));
  }

  /** Stops taking bars, waits for the step in progress, saves, and resolves `done`. */
  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#queue = this.#queue.then(async () => {
        if (this.#failure === undefined) await this.save();
      });
    }
    await this.#queue;
    if (this.#failure === undefined) this.#resolveDone();
    await this.done;
  }

  /** Saves the checkpoint and the journal now (one transaction). */
  async save(): Promise<void> {
    const session = this.#options.session;
    if (session.buffer.steps === 0) return;
    const journal = session.drainJournal();
    await this.#options.store.save(
      session.sessionId,
      { checkpoint: session.checkpoint() as unknown as JsonValue, lastBarTime: session.lastBarTime, ...journal },
      this.#options.now(),
    );
    this.#sinceSave = 0;
  }

  /**
   * Saves between steps: after the step in progress, if any (a kill-switch transition that came
   * from a timer while no bar arrived is kept this way). Does nothing once stopped or failed.
   */
  async saveBetweenSteps(): Promise<void> {
    const saved = this.#queue.then(async () => {
      if (this.#failure === undefined && !this.#stopping) await this.save();
    });
    this.#queue = saved.catch((error: unknown) => {
      this.#failure = error;
      this.#stopping = true;
      this.#options.onError?.(error);
      this.#rejectDone(error);
    });
    await saved;
  }

  async #process(step: BarStep): Promise<void> {
    if (this.#stopping || this.#failure !== undefined) return;
    const session = this.#options.session;
    if (!(step.time > session.lastBarTime)) return;
    try {
      this.#options.beforeStep?.(step.time);
      const report = await session.onBar(step.time, step.bars, step.arrivedAt);
      this.#options.afterDecision?.(report);
      this.#stepsHere++;
      this.#sinceSave++;
      const checkEvery = this.#options.checkEvery ?? 0;
      if (this.#options.periodicCheck !== undefined && checkEvery > 0 && this.#stepsHere % checkEvery === 0) {
        for (const finding of await this.#options.periodicCheck()) session.audit(step.time, finding.kind, finding.detail);
      }
      if (this.#sinceSave >= (this.#options.saveEvery ?? 1)) await this.save();
      this.#options.onStep?.(report);
      if (this.#options.stopAfter !== undefined && this.#stepsHere >= this.#options.stopAfter) {
        if (this.#sinceSave > 0) await this.save();
        this.#stopping = true;
        this.#resolveDone();
      }
    } catch (error) {
      this.#failure = error;
      this.#stopping = true;
      this.#options.onError?.(error);
      this.#rejectDone(error);
    }
  }
}
