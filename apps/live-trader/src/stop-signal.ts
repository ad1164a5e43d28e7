/** Asks a long-running command to stop: the process's signals in the CLI, a call in tests. */
export interface StopSignal {
  /** Calls `handler` (with the signal's name) when a stop is asked for; returns the unsubscribe. */
  on(handler: (signal: string) => void): () => void;
}

/**
 * SIGINT and SIGTERM of this process. While a handler is subscribed the signals no longer end
 * the process: the command stops cleanly and returns its exit code.
 */
export function processStopSignal(): StopSignal {
  return {
    on(handler) {
      const onSignal = (signal: NodeJS.Signals): void => handler(signal);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      };
    },
  };
}

/** A stop signal for tests and embedding: `stop(name)` triggers it. */
export function manualStopSignal(): StopSignal & { stop(signal?: string): void } {
  const handlers = new Set<(signal: string) => void>();
  return {
    on(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    stop(signal = 'stop') {
      for (const handler of [...handlers]) handler(signal);
    },
  };
}
