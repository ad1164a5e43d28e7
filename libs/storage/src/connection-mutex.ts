/**
 * A first-come, first-served async lock: `lock()` resolves once every earlier holder has called
 * `unlock()`. The embedded database has one connection, and this is what makes kysely callers
 * take turns on it: a transaction holds the lock from BEGIN to COMMIT or ROLLBACK, so a query
 * issued meanwhile from outside the transaction waits instead of running inside it.
 */
export class ConnectionMutex {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  /** Waits for the lock; the caller must `unlock()` exactly once afterwards. */
  async lock(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
  }

  /** Hands the lock to the next waiter, if any. */
  unlock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
