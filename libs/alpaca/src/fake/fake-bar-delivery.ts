// The bar-delivery and keep-alive settings of the fake's streams, apart from the stream hub so
// that the published types need no Node.js type declarations.

/**
 * Fractions (0 ≤ f ≤ 1) of the bars streamed that are delivered out of the ordinary, each drawn
 * from the server's seeded RNG per bar. A bar is perturbed by at most one of them, tried in the
 * order `reorder`, `late`, `duplicate`. REST history always holds every bar as it was pushed.
 */
export interface FakeBarDelivery {
  /**
   * Late: the bar is held back and sent right after the next bar of a later minute of another
   * symbol (right before its own symbol's next bar if that comes first), so it arrives after a
   * later minute has begun, still in order for its symbol.
   */
  readonly late?: number;
  /** Duplicated: the bar is sent twice in a row. */
  readonly duplicate?: number;
  /** Out of order: the bar is held back and sent right after its own symbol's next bar (minute t after t+1). */
  readonly reorder?: number;
}

/** The keep-alive a stream server sends while it has nothing else: a WebSocket ping frame, or an empty data frame. */
export type FakeKeepAliveFrame = 'ping' | 'empty';
