import type { EpochMs } from '@quantbot/core';
import { ConfigError, SeededRng, epochMs } from '@quantbot/core';
import type { PitRecord } from './point-in-time-series';

const MS_PER_DAY = 86_400_000;

/** One quarter's fundamentals of a company. */
export interface FundamentalValues {
  /** Earnings per share for the quarter, USD (negative for a loss). */
  readonly eps: number;
  /** Revenue for the quarter, millions of USD. */
  readonly revenue: number;
  /** Book value per share at period end, USD. */
  readonly bookValue: number;
}

/** Options of `generateSyntheticFundamentals`. */
export interface SyntheticFundamentalsOptions {
  /** Distinct non-empty names; a symbol's data depends only on its name and the seed. */
  readonly symbols: readonly string[];
  /** `YYYY-MM-DD`: the first period is the calendar quarter containing this date. */
  readonly start: string;
  /** Quarters per symbol, a positive integer. */
  readonly quarters: number;
  /** Integer seed (used modulo 2^32). */
  readonly seed: number;
}

/** The timing parameters of the synthetic fundamentals. Lags are whole days after period end. */
export const SYNTHETIC_FUNDAMENTALS_MODEL = Object.freeze({
  /** A first announcement comes this many days after period end, drawn uniformly (inclusive). */
  announcementLagDaysMin: 20,
  announcementLagDaysMax: 45,
  /** Probability that a period is restated once. */
  restatementProbability: 0.05,
  /** A restatement comes this many days after period end, drawn uniformly (inclusive). */
  restatementLagDaysMin: 60,
  restatementLagDaysMax: 120,
});

/**
 * Seeded synthetic quarterly fundamentals with realistic timing, for tests and documentation
 * of point-in-time handling. Periods end on Mar 31, Jun 30, Sep 30 and Dec 31 (00:00 UTC); each
 * is announced 20 to 45 days later, and about 5% are restated once, 60 to 120 days after period
 * end, with slightly different values. So every record is announced after its period end: a
 * join on period end leaks every one of them.
 *
 * The same options always give the same output. Records come grouped by symbol (in the order
 * given), each symbol's in announcement order; everything returned is frozen. Throws a
 * `ConfigError` for invalid options.
 *
 * @example
 * const records = generateSyntheticFundamentals({ symbols: ['AAA'], start: '2010-01-01', quarters: 8, seed: 1 });
 * // records[0]: { symbol: 'AAA', periodEnd: 2010-03-31, announcedAt: 2010-04-20..2010-05-15, value: { eps, revenue, bookValue } }
 */
export function generateSyntheticFundamentals(options: SyntheticFundamentalsOptions): readonly PitRecord<FundamentalValues>[] {
  const { symbols, start, quarters, seed } = options;
  checkSymbols(symbols);
  if (!Number.isSafeInteger(quarters) || quarters < 1) {
    throw new ConfigError('quarters', `must be a positive integer, got ${quarters}`);
  }
  if (!Number.isSafeInteger(seed)) throw new ConfigError('seed', `must be an integer, got ${seed}`);
  const periodEnds = quarterEnds(parseStartDate(start), quarters);
  const records: PitRecord<FundamentalValues>[] = [];
  for (const symbol of symbols) records.push(...generateSymbol(symbol, periodEnds, new SeededRng(deriveSeed(seed, symbol))));
  return Object.freeze(records);
}

/** The options of `sampleFundamentals`. */
export const SAMPLE_FUNDAMENTALS_OPTIONS: SyntheticFundamentalsOptions = Object.freeze({
  symbols: Object.freeze(['ORCL', 'YHOO', 'NVDA']),
  start: '1999-01-01',
  quarters: 64,
  seed: 2014,
});

let sample: readonly PitRecord<FundamentalValues>[] | undefined;

/**
 * A small fixed dataset for tests and docs: ORCL, YHOO and NVDA, 64 quarters from 1999-Q1 to
 * 2014-Q4, seed 2014 (`SAMPLE_FUNDAMENTALS_OPTIONS`). Generated on the first call and cached;
 * nothing is computed at import time.
 */
export function sampleFundamentals(): readonly PitRecord<FundamentalValues>[] {
  sample ??= generateSyntheticFundamentals(SAMPLE_FUNDAMENTALS_OPTIONS);
  return sample;
}

function generateSymbol(symbol: string, periodEnds: readonly EpochMs[], rng: SeededRng): PitRecord<FundamentalValues>[] {
  const model = SYNTHETIC_FUNDAMENTALS_MODEL;
  const sharesMillions = logUniform(rng, 200, 5_000);
  const meanMargin = uniform(rng, 0.05, 0.25);
  const growthPerQuarter = uniform(rng, 0, 0.03);
  let revenue = logUniform(rng, 200, 10_000);
  let margin = meanMargin;
  let bookValue = (revenue * 4 * uniform(rng, 0.3, 1.5)) / sharesMillions;

  const records: PitRecord<FundamentalValues>[] = [];
  for (const periodEnd of periodEnds) {
    revenue *= Math.exp(growthPerQuarter + 0.06 * rng.nextNormal());
    margin = meanMargin + 0.7 * (margin - meanMargin) + 0.02 * rng.nextNormal();
    const eps = (revenue * margin) / sharesMillions;
    bookValue += eps * 0.7; // 30% paid out as dividends
    const value = freezeValues(eps, revenue, bookValue);
    const lagDays = uniformInt(rng, model.announcementLagDaysMin, model.announcementLagDaysMax);
    records.push(Object.freeze({ symbol, periodEnd, announcedAt: epochMs(periodEnd + lagDays * MS_PER_DAY), value }));

    if (rng.nextBoolean(model.restatementProbability)) {
      const restatementLagDays = uniformInt(rng, model.restatementLagDaysMin, model.restatementLagDaysMax);
      const restated = freezeValues(
        value.eps * (1 + 0.05 * rng.nextNormal()),
        value.revenue * (1 + 0.01 * rng.nextNormal()),
        value.bookValue * (1 + 0.01 * rng.nextNormal()),
      );
      records.push(
        Object.freeze({ symbol, periodEnd, announcedAt: epochMs(periodEnd + restatementLagDays * MS_PER_DAY), value: restated }),
      );
    }
  }
  // A restatement can come after the next quarter's first announcement.
  return records.sort((a, b) => a.announcedAt - b.announcedAt || a.periodEnd - b.periodEnd);
}

function freezeValues(eps: number, revenue: number, bookValue: number): FundamentalValues {
  return Object.freeze({ eps: roundTo(eps, 2), revenue: roundTo(revenue, 2), bookValue: roundTo(bookValue, 2) });
}

function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

function uniform(rng: SeededRng, min: number, max: number): number {
  return min + (max - min) * rng.nextFloat();
}

function logUniform(rng: SeededRng, min: number, max: number): number {
  return Math.exp(uniform(rng, Math.log(min), Math.log(max)));
}

/** An integer drawn uniformly from [min, max], both inclusive. */
function uniformInt(rng: SeededRng, min: number, max: number): number {
  return min + Math.floor(rng.nextFloat() * (max - min + 1));
}

/** A 32-bit seed from the dataset seed and the symbol's name (FNV-1a, then a murmur finalizer). */
function deriveSeed(seed: number, symbol: string): number {
  let h = 0x811c9dc5 ^ (Math.trunc(seed) >>> 0);
  for (let k = 0; k < symbol.length; k++) h = Math.imul(h ^ symbol.charCodeAt(k), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkSymbols(symbols: readonly string[]): void {
  const seen = new Set<string>();
  for (const symbol of symbols) {
    if (typeof symbol !== 'string' || symbol.length === 0) {
      throw new ConfigError('symbols', `every symbol must be a non-empty string, got ${JSON.stringify(symbol)}`);
    }
    if (seen.has(symbol)) throw new ConfigError('symbols', `'${symbol}' is listed twice`);
    seen.add(symbol);
  }
}

/** The year and month (0-based) of a strict `YYYY-MM-DD` calendar date (years 0100 and later). */
function parseStartDate(start: string): { readonly year: number; readonly month: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(start);
  if (match !== null) {
    const year = Number(match[1]);
    const month = Number(match[2]) - 1;
    const day = Number(match[3]);
    const date = new Date(Date.UTC(year, month, day));
    if (date.getUTCFullYear() === year && date.getUTCMonth() === month && date.getUTCDate() === day) return { year, month };
  }
  throw new ConfigError('start', `'${start}' is not a valid YYYY-MM-DD date`);
}

/** `count` calendar quarter ends (00:00 UTC), the first being that of the quarter containing `start`. */
function quarterEnds(start: { readonly year: number; readonly month: number }, count: number): EpochMs[] {
  const ends: EpochMs[] = [];
  const firstQuarter = start.year * 4 + Math.floor(start.month / 3);
  for (let q = firstQuarter; q < firstQuarter + count; q++) {
    const year = Math.floor(q / 4);
    const lastMonth = (q % 4) * 3 + 2;
    ends.push(epochMs(Date.UTC(year, lastMonth + 1, 0))); // day 0 of the next month: the last day of lastMonth
  }
  return ends;
}
