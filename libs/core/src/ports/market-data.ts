import type { BarUniverse } from '../bar';
import type { EpochMs, Ticker } from '../ids';

/** Which bars to load: symbols, and an inclusive time range (either end may be open). */
export interface BarRequest {
  readonly symbols: readonly Ticker[];
  readonly start?: EpochMs;
  readonly end?: EpochMs;
}

/** A source of bars: files, a database, a synthetic generator or a broker's market-data API. */
export interface MarketData {
  loadBars(request: BarRequest): Promise<BarUniverse>;
}
