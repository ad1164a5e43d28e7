import type { BarSeries, BarUniverse, Ticker } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import type { HaltDecision } from '@quantbot/data-quality';
import { HALT_ERROR_LOOKBACK_BARS, decideHalt, summarizeFindings, validateSeries } from '@quantbot/data-quality';

/**
 * When a live session stops trading because the data behind an open position cannot be trusted
 * (`decideHalt` of `@quantbot/data-quality`, checked on every bar over the held symbols): the last
 * bar is older than `maxStalenessMs` at the bar's time, its close moved more than `spikeReturn`
 * from the previous close, or one of the last bars has a data error (OHLC out of order, a price
 * that is not positive). `false` turns the check off.
 */
export interface DataQualityHaltOptions {
  /** Default 4 days (`DEFAULT_MAX_STALENESS_MS`). */
  readonly maxStalenessMs?: number;
  /** A fraction; default 0.25 (`DEFAULT_HALT_SPIKE_RETURN`). */
  readonly spikeReturn?: number;
}

/** Bars per held symbol that the check reads: enough for `decideHalt`'s error window. */
const WINDOW = HALT_ERROR_LOOKBACK_BARS + 1;

/**
 * The halt decision for the bar at `step` of `universe`, over the symbols `held` says are held.
 * Each held symbol's last `WINDOW` traded bars (up to `step`) are validated and handed to
 * `decideHalt`. Throws `ConfigError` (field `dataQualityHalt.<option>`) for an option out of range.
 */
export function checkHeldData(universe: BarUniverse, step: number, held: (symbolIndex: number) => boolean, options: DataQualityHaltOptions): HaltDecision {
  const bars: BarSeries[] = [];
  const heldSymbols: Ticker[] = [];
  for (let s = 0; s < universe.symbols.length; s++) {
    if (!held(s)) continue;
    const symbol = universe.symbols[s] as Ticker;
    heldSymbols.push(symbol);
    bars.push(recentBars(universe, s, step));
  }
  const now = universe.time[step] as number;
  if (heldSymbols.length === 0) return decideHalt({ bars: [], heldSymbols: [], now });
  const findings = bars.flatMap((series) => validateSeries(series, { calendar: null }));
  const report = summarizeFindings(findings, bars.length, bars.reduce((n, series) => n + series.length, 0));
  try {
    return decideHalt({
      bars,
      heldSymbols,
      now,
      report,
      ...(options.maxStalenessMs !== undefined ? { maxStalenessMs: options.maxStalenessMs } : {}),
      ...(options.spikeReturn !== undefined ? { spikeReturn: options.spikeReturn } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw error.withKey(`dataQualityHalt.${error.key}`);
    throw error;
  }
}

/** The last traded bars of symbol `s` up to `step`, oldest first. */
function recentBars(u: BarUniverse, s: number, step: number): BarSeries {
  const indices: number[] = [];
  for (let k = step; k >= 0 && indices.length < WINDOW; k--) if (u.hasBar[s * u.length + k] === 1) indices.push(k);
  indices.reverse();
  const pick = (column: Float64Array): Float64Array => Float64Array.from(indices, (k) => column[s * u.length + k] as number);
  return {
    symbol: u.symbols[s] as Ticker,
    length: indices.length,
    time: Float64Array.from(indices, (k) => u.time[k] as number),
    open: pick(u.open),
    high: pick(u.high),
    low: pick(u.low),
    close: pick(u.close),
    volume: pick(u.volume),
    adjClose: null,
  };
}
