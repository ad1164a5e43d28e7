import type { BarSeries } from '@quantbot/core';
import { ConfigError, DataError } from '@quantbot/core';
import type { DataQualityReport } from './data-quality-finding';

const MS_PER_DAY = 86_400_000;
const MAX_DATE_MS = 8.64e15;

/** Default feed staleness that halts: 4 days, enough for a weekend plus a holiday of daily bars. */
export const DEFAULT_MAX_STALENESS_MS = 4 * MS_PER_DAY;
/** Default last-bar move that halts: 25% from the previous close. */
export const DEFAULT_HALT_SPIKE_RETURN = 0.25;
/** An error finding on one of a symbol's last this many bars halts trading in it. */
export const HALT_ERROR_LOOKBACK_BARS = 5;

/** What `decideHalt` looks at. */
export interface HaltInput {
  /** The latest bars, one series per symbol (at most one per symbol), oldest bar first. */
  readonly bars: readonly BarSeries[];
  /** Symbols with an open position; only these can halt trading. */
  readonly heldSymbols: readonly string[];
  /** The decision time, epoch ms (from the Clock port, never the wall clock here). */
  readonly now: number;
  /** A data-quality report over `bars`, when one was run. */
  readonly report?: DataQualityReport;
  /** A held symbol whose last bar is older than this at `now` halts (ms, > 0). Default 4 days. */
  readonly maxStalenessMs?: number;
  /** A held symbol whose last close moved more than this fraction halts (> 0). Default 0.25. */
  readonly spikeReturn?: number;
}

/** Why trading must stop for a symbol. */
export type HaltReasonKind = 'stale-feed' | 'price-spike' | 'data-error';

/** One reason to halt, naming the symbol and the values that tripped it. */
export interface HaltReason {
  readonly symbol: string;
  readonly reason: HaltReasonKind;
  readonly message: string;
}

/** The decision: halt when there is at least one reason. */
export interface HaltDecision {
  readonly halt: boolean;
  readonly reasons: readonly HaltReason[];
}

function formatTime(time: number): string {
  return Number.isFinite(time) && Math.abs(time) <= MAX_DATE_MS ? new Date(time).toISOString() : String(time);
}

/** The reasons to halt over one held symbol, in the order stale-feed, price-spike, data-error. */
function reasonsForSymbol(
  symbol: string,
  series: BarSeries | undefined,
  input: HaltInput,
  maxStalenessMs: number,
  spikeReturn: number,
): HaltReason[] {
  const reasons: HaltReason[] = [];
  const add = (reason: HaltReasonKind, message: string): void => {
    reasons.push(Object.freeze({ symbol, reason, message: `${symbol}: ${message}` }));
  };
  if (series === undefined || series.length === 0) {
    add('stale-feed', 'held but no bars in the feed');
    return reasons;
  }
  const last = series.length - 1;
  const lastTime = series.time[last] as number;
  if (!Number.isFinite(lastTime)) {
    add('data-error', `last bar time is ${lastTime}`);
  } else if (lastTime > input.now) {
    add('data-error', `last bar at ${formatTime(lastTime)} is after now ${formatTime(input.now)}`);
  } else if (input.now - lastTime > maxStalenessMs) {
    const ageHours = (input.now - lastTime) / 3_600_000;
    add(
      'stale-feed',
      `last bar at ${formatTime(lastTime)} is ${ageHours.toFixed(1)} h old at ${formatTime(input.now)} ` +
        `(limit ${(maxStalenessMs / 3_600_000).toFixed(1)} h)`,
    );
  }

  const lastClose = series.close[last] as number;
  if (!Number.isFinite(lastClose) || lastClose <= 0) {
    add('data-error', `last close is ${lastClose}`);
  } else if (last > 0) {
    const previousClose = series.close[last - 1] as number;
    if (!Number.isFinite(previousClose) || previousClose <= 0) {
      add('data-error', `previous close is ${previousClose}, cannot measure the last move`);
    } else {
      const move = lastClose / previousClose - 1;
      if (Math.abs(move) > spikeReturn) {
        add(
          'price-spike',
          `last close ${lastClose} moved ${(move * 100).toFixed(2)}% from ${previousClose} (limit ${(spikeReturn * 100).toFixed(2)}%)`,
        );
      }
    }
  }

  if (input.report !== undefined) {
    // Findings without a time (e.g. a bar whose time is NaN) count as recent: halting is the safe side.
    const windowStart = series.time[Math.max(0, series.length - HALT_ERROR_LOOKBACK_BARS)] as number;
    const recentErrors = input.report.findings.filter(
      (f) => f.symbol === symbol && f.severity === 'error' && (f.time === null || !(f.time < windowStart)),
    );
    const first = recentErrors[0];
    if (first !== undefined) {
      const more = recentErrors.length > 1 ? ` (and ${recentErrors.length - 1} more)` : '';
      const count = `${recentErrors.length} error finding(s) in the last ${HALT_ERROR_LOOKBACK_BARS} bars`;
      add('data-error', `${count}: ${first.check}: ${first.message}${more}`);
    }
  }
  return reasons;
}

/**
 * Decides whether live trading must halt because the data for a held position cannot be trusted.
 * For each held symbol (in `heldSymbols` order, duplicates once) it halts on:
 *
 * - `stale-feed`: no bars for the symbol, or its last bar is more than `maxStalenessMs` older than
 *   `now` (daily bars are stamped 00:00 UTC of the session date, so the default of 4 days covers a
 *   long weekend);
 * - `price-spike`: the last close moved more than `spikeReturn` (a fraction) from the previous close;
 * - `data-error`: the report has an error finding on the symbol at or after the first of its last
 *   5 bars (or without a time), or the last bar itself is unusable (time not finite or after
 *   `now`, close not a positive number).
 *
 * Symbols not held never halt, whatever their data. Pure and deterministic: the same input gives
 * the same frozen decision. Throws a `ConfigError` for a non-finite `now` or an option out of range,
 * and a `DataError` when `bars` holds two series of one symbol.
 *
 * @example decideHalt({ bars, heldSymbols: ['ORCL'], now: clock.now(), report }).halt
 */
export function decideHalt(input: HaltInput): HaltDecision {
  if (!Number.isFinite(input.now)) throw new ConfigError('now', `expected a finite epoch ms, got ${input.now}`);
  const maxStalenessMs = input.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS;
  if (!Number.isFinite(maxStalenessMs) || maxStalenessMs <= 0) {
    throw new ConfigError('maxStalenessMs', `expected a finite number of ms > 0, got ${maxStalenessMs}`);
  }
  const spikeReturn = input.spikeReturn ?? DEFAULT_HALT_SPIKE_RETURN;
  if (!Number.isFinite(spikeReturn) || spikeReturn <= 0) {
    throw new ConfigError('spikeReturn', `expected a finite fraction > 0, got ${spikeReturn}`);
  }
  const bySymbol = new Map<string, BarSeries>();
  for (const series of input.bars) {
    if (bySymbol.has(series.symbol)) {
      throw new DataError('two series for one symbol in the halt input', { symbol: series.symbol });
    }
    bySymbol.set(series.symbol, series);
  }
  const reasons: HaltReason[] = [];
  for (const symbol of new Set(input.heldSymbols)) {
    reasons.push(...reasonsForSymbol(symbol, bySymbol.get(symbol), input, maxStalenessMs, spikeReturn));
  }
  return Object.freeze({ halt: reasons.length > 0, reasons: Object.freeze(reasons) });
}
