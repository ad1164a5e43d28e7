import type { BarSeries, BarUniverse, Ticker } from '@quantbot/core';
import { ConfigError, SeededRng, parseTicker } from '@quantbot/core';
import { MS_PER_DAY, parseBarDate } from './bar-date';

/**
 * The parameters of the synthetic price model (see `generateSyntheticSeries`). Volatilities and
 * drifts are annualized over `tradingDaysPerYear` bars; probabilities are per bar.
 */
export const SYNTHETIC_MODEL = Object.freeze({
  /** Bars per year used to turn annual drift and volatility into daily values. */
  tradingDaysPerYear: 252,
  /** Expected annual return of a symbol, drawn uniformly in [min, max). */
  annualDriftMin: 0.02,
  annualDriftMax: 0.12,
  /** Annualized volatility of the calm and the stressed regime (before the symbol's scale). */
  calmVolatility: 0.15,
  stressedVolatility: 0.45,
  /** Per-symbol multiplier of both volatilities, drawn uniformly in [min, max). */
  volatilityScaleMin: 0.8,
  volatilityScaleMax: 1.25,
  /** Per-bar switching probabilities: mean calm spell 200 bars, mean stressed spell ~33 bars. */
  calmToStressedProbability: 0.005,
  stressedToCalmProbability: 0.03,
  /** Expected jumps per year (one Bernoulli trial per bar); a jump moves the price by ±5..15 %. */
  jumpsPerYear: 1.5,
  jumpSizeMin: 0.05,
  jumpSizeMax: 0.15,
  /** Share of a bar's diffusive variance that happens overnight (between close and next open). */
  overnightVarianceShare: 0.2,
  /**
   * Per-bar pull of the log price back toward the log of the first price (about a 35-year
   * half-life): negligible over a decade, but it keeps million-bar runs in a realistic band.
   */
  meanReversionPerBar: 1 / (252 * 50),
  /** High/low reach beyond the open-close body by |N(0,1)| × this × the bar's daily volatility. */
  rangeScale: 0.6,
  /** Starting price of a symbol (the close before its first bar), drawn log-uniformly in [min, max). */
  initialPriceMin: 20,
  initialPriceMax: 200,
  /** Median daily volume of a symbol in shares, drawn log-uniformly in [min, max). */
  baseVolumeMin: 500_000,
  baseVolumeMax: 5_000_000,
  /** Log-normal volume noise (standard deviation of log volume). */
  volumeNoise: 0.35,
  /** Log volume rises by this per calm daily standard deviation of the bar's move, capped. */
  volumeMoveSensitivity: 0.25,
  volumeMoveCap: 8,
});

// Math functions bound once: the generator calls them millions of times, and a module-scope
// binding avoids a global lookup per call (which is slow inside sandboxed contexts).
const { abs, cos, exp, log, max, min, round, sin, sqrt } = Math;
const TWO_PI = 2 * Math.PI;
const TWO_POW_32 = 4_294_967_296;

/** Default first session of synthetic data. */
export const SYNTHETIC_DEFAULT_START = '2015-01-02';

/** Options of `generateSyntheticUniverse`; every field has a default. */
export interface SyntheticUniverseOptions {
  /** A count of symbols named `SYN01`, `SYN02`, … or the tickers themselves. Default 5. */
  readonly symbols?: number | readonly Ticker[];
  /** Bars per symbol (business days). Default 2520, about ten years. */
  readonly bars?: number;
  /** Integer seed (used modulo 2^32); the same options always give byte-identical output. Default 42. */
  readonly seed?: number;
  /** First session `YYYY-MM-DD`; a weekend moves to the next Monday. Default `2015-01-02`. */
  readonly start?: string;
}

/**
 * Rounds a price to cents (half away from zero for positive prices, as `Math.round`) and floors
 * it at 0.01, so a synthetic price is never zero or negative. Monotone non-decreasing, so it
 * keeps `low ≤ open, close ≤ high` when applied to each of them.
 */
export function roundToCents(price: number): number {
  return max(0.01, round(price * 100) / 100);
}

/**
 * Derives the seed of symbol `symbolIndex` of a universe from the universe seed (a 32-bit
 * integer hash), so symbols get independent streams and adding a symbol leaves the others as
 * they were.
 */
export function deriveSymbolSeed(seed: number, symbolIndex: number): number {
  let h = (Math.trunc(seed) >>> 0) ^ Math.imul(symbolIndex + 1, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkBars(bars: number): void {
  if (!Number.isSafeInteger(bars) || bars < 1) {
    throw new ConfigError('bars', `must be a positive integer, got ${bars}`);
  }
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new ConfigError('seed', `must be an integer, got ${seed}`);
}

/** Day number (days since 1970-01-01) of `start`, moved forward to a weekday. */
function firstBusinessDay(start: string): number {
  const time = start.length === 10 ? parseBarDate(start) : undefined;
  if (time === undefined) throw new ConfigError('start', `'${start}' is not a valid YYYY-MM-DD date`);
  let day = time / MS_PER_DAY;
  while (isWeekend(day)) day++;
  return day;
}

/** 1970-01-01 (day 0) was a Thursday. */
function isWeekend(day: number): boolean {
  const weekday = (((day + 4) % 7) + 7) % 7; // 0 = Sunday
  return weekday === 0 || weekday === 6;
}

/** Fills `time` with `bars` business days (Mon..Fri, 00:00 UTC) from `start`. */
function fillBusinessDays(time: Float64Array, start: string): void {
  let day = firstBusinessDay(start);
  for (let k = 0; k < time.length; k++) {
    time[k] = day * MS_PER_DAY;
    day++;
    while (isWeekend(day)) day++;
  }
}

interface Columns {
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/**
 * The random draws of one symbol, from one `SeededRng`: uniforms with 32 random bits strictly
 * inside (0, 1), and standard normals by Box-Muller (two per pair of uniforms). One 32-bit draw
 * per variate keeps a million bars fast; the resolution is ample for simulation.
 */
class Draws {
  readonly #rng: SeededRng;
  #spare = 0;
  #hasSpare = false;

  constructor(seed: number) {
    this.#rng = new SeededRng(seed);
  }

  uniform(): number {
    return (this.#rng.nextUint32() + 0.5) / TWO_POW_32;
  }

  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    const radius = sqrt(-2 * log(this.uniform()));
    const angle = TWO_PI * this.uniform();
    this.#spare = radius * sin(angle);
    this.#hasSpare = true;
    return radius * cos(angle);
  }

  /** Uniform in [min, max). */
  between(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Log-uniform in [min, max). */
  logBetween(low: number, high: number): number {
    return exp(this.between(log(low), log(high)));
  }
}

/** Writes `bars` bars of one symbol into `out[offset .. offset + bars)`; allocates nothing per bar. */
function fillBars(seed: number, bars: number, out: Columns, offset: number): void {
  const m = SYNTHETIC_MODEL;
  const draws = new Draws(seed);
  const annualDrift = draws.between(m.annualDriftMin, m.annualDriftMax);
  const volScale = draws.between(m.volatilityScaleMin, m.volatilityScaleMax);
  let price = draws.logBetween(m.initialPriceMin, m.initialPriceMax);
  const baseVolume = draws.logBetween(m.baseVolumeMin, m.baseVolumeMax);
  const anchor = log(price);

  const sqrtYear = sqrt(m.tradingDaysPerYear);
  const calmDaily = (m.calmVolatility * volScale) / sqrtYear;
  const stressedDaily = (m.stressedVolatility * volScale) / sqrtYear;
  const calmDrift = (annualDrift - 0.5 * (m.calmVolatility * volScale) ** 2) / m.tradingDaysPerYear;
  const stressedDrift = (annualDrift - 0.5 * (m.stressedVolatility * volScale) ** 2) / m.tradingDaysPerYear;
  const jumpProbability = m.jumpsPerYear / m.tradingDaysPerYear;
  const overnightWeight = sqrt(m.overnightVarianceShare);
  const intradayWeight = sqrt(1 - m.overnightVarianceShare);
  const { open, high, low, close, volume } = out;

  let stressed = false;
  for (let k = 0; k < bars; k++) {
    const switchDraw = draws.uniform();
    stressed = stressed ? switchDraw >= m.stressedToCalmProbability : switchDraw < m.calmToStressedProbability;
    const sigma = stressed ? stressedDaily : calmDaily;
    const drift = (stressed ? stressedDrift : calmDrift) - m.meanReversionPerBar * (log(price) - anchor);

    let jump = 0;
    if (draws.uniform() < jumpProbability) {
      const size = draws.between(m.jumpSizeMin, m.jumpSizeMax);
      jump = log(draws.uniform() < 0.5 ? 1 + size : 1 - size);
    }
    const gap = overnightWeight * sigma * draws.normal() + jump;
    const intraday = drift + intradayWeight * sigma * draws.normal();
    const barOpen = price * exp(gap);
    const barClose = barOpen * exp(intraday);
    const barHigh = max(barOpen, barClose) * exp(m.rangeScale * sigma * abs(draws.normal()));
    const barLow = min(barOpen, barClose) * exp(-m.rangeScale * sigma * abs(draws.normal()));
    const moveInCalmSigmas = min(abs(gap + intraday) / calmDaily, m.volumeMoveCap);
    const barVolume = baseVolume * exp(m.volumeNoise * draws.normal() + m.volumeMoveSensitivity * moveInCalmSigmas);

    const o = roundToCents(barOpen);
    const c = roundToCents(barClose);
    const i = offset + k;
    open[i] = o;
    close[i] = c;
    high[i] = max(roundToCents(barHigh), o, c);
    low[i] = min(roundToCents(barLow), o, c);
    volume[i] = max(1, round(barVolume));
    price = barClose;
  }
}

/**
 * Generates `bars` daily bars of one symbol from a seeded model; the same arguments always give
 * byte-identical arrays. Times are business days (Monday to Friday, no holidays) at 00:00 UTC from
 * `start` (`YYYY-MM-DD`, default `2015-01-02`; a weekend start moves to Monday).
 *
 * Model (parameters in `SYNTHETIC_MODEL`): per symbol, an annual drift drawn in 2..12 %, a
 * volatility scale in 0.8..1.25, a starting price in 20..200 and a median volume in 0.5..5 M shares.
 * Each bar the volatility regime switches between calm (15 % annualized × scale) and stressed
 * (45 % × scale) as a two-state Markov chain (calm→stressed 0.5 %, stressed→calm 3 % per bar).
 * The log return is drift − σ²/2 per bar plus σ·N(0,1), split into an overnight gap (20 % of the
 * variance, so open = previous close × exp(gap)) and an intraday move (open → close); rare jumps
 * (1.5 a year on average, ±5..15 %) land in the gap. High and low extend beyond the open-close
 * body by |N(0,1)| × 0.6 σ, so high ≥ max(open, close) ≥ min(open, close) ≥ low > 0. Volume is
 * log-normal around the median (σ 0.35) and rises with the size of the move (capped at ×e²).
 * The drift also pulls the log price back toward the log of the first price by 1/12600 of the
 * distance per bar (a half-life of about 35 years): negligible over a decade, but it keeps
 * million-bar runs within a realistic price band instead of growing without bound.
 * Prices are rounded to cents with `roundToCents` (minimum 0.01) after the high/low are set, and
 * the consistency above still holds after rounding; the model path itself is not rounded, so
 * rounding does not accumulate.
 *
 * `seed` is used modulo 2^32. Throws a `ConfigError` when `bars` is not a positive integer,
 * `seed` not an integer or `start` not a valid date. Generating 1,000,000 bars takes well under a second (typed arrays, no
 * per-bar objects). `adjClose` is null. The result is frozen.
 */
export function generateSyntheticSeries(
  symbol: Ticker,
  bars: number,
  seed: number,
  start: string = SYNTHETIC_DEFAULT_START,
): BarSeries {
  checkBars(bars);
  checkSeed(seed);
  const time = new Float64Array(bars);
  fillBusinessDays(time, start);
  const columns: Columns = {
    open: new Float64Array(bars),
    high: new Float64Array(bars),
    low: new Float64Array(bars),
    close: new Float64Array(bars),
    volume: new Float64Array(bars),
  };
  fillBars(seed, bars, columns, 0);
  return Object.freeze({ symbol, length: bars, time, ...columns, adjClose: null });
}

function resolveSymbols(symbols: number | readonly Ticker[]): readonly Ticker[] {
  if (typeof symbols === 'number') {
    if (!Number.isSafeInteger(symbols) || symbols < 1 || symbols > 9999) {
      throw new ConfigError('symbols', `must be an integer in 1..9999 or a list of tickers, got ${symbols}`);
    }
    const width = Math.max(2, String(symbols).length);
    return Array.from({ length: symbols }, (_, i) => `SYN${String(i + 1).padStart(width, '0')}` as Ticker);
  }
  if (symbols.length === 0) throw new ConfigError('symbols', 'the list of tickers is empty');
  const seen = new Set<string>();
  for (const symbol of symbols) {
    if (parseTicker(symbol) === undefined) throw new ConfigError('symbols', `'${symbol}' is not a valid ticker`);
    if (seen.has(symbol)) throw new ConfigError('symbols', `${symbol} is listed twice`);
    seen.add(symbol);
  }
  return symbols;
}

/**
 * Generates a universe of synthetic symbols on one business-day axis (every `hasBar` is 1).
 * Symbol `s` is `generateSyntheticSeries(symbols[s], bars, deriveSymbolSeed(seed, s), start)`;
 * see that function for the model. Defaults: 5 symbols `SYN01..SYN05`, 2520 bars (about ten
 * years), seed 42, start `2015-01-02`. The same options always give byte-identical arrays.
 * Throws a `ConfigError` naming the option for a bad count, an invalid or repeated ticker, a
 * non-integer seed, a non-positive bar count or an invalid start date. The result is frozen.
 */
export function generateSyntheticUniverse(options: SyntheticUniverseOptions = {}): BarUniverse {
  const symbols = Object.freeze([...resolveSymbols(options.symbols ?? 5)]);
  const bars = options.bars ?? 2520;
  const seed = options.seed ?? 42;
  checkBars(bars);
  checkSeed(seed);
  const time = new Float64Array(bars);
  fillBusinessDays(time, options.start ?? SYNTHETIC_DEFAULT_START);
  const cells = symbols.length * bars;
  const columns: Columns = {
    open: new Float64Array(cells),
    high: new Float64Array(cells),
    low: new Float64Array(cells),
    close: new Float64Array(cells),
    volume: new Float64Array(cells),
  };
  for (let s = 0; s < symbols.length; s++) fillBars(deriveSymbolSeed(seed, s), bars, columns, s * bars);
  return Object.freeze({ symbols, length: bars, time, ...columns, hasBar: new Uint8Array(cells).fill(1) });
}
