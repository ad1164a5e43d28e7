// Test-only support shared by the indicator specs: fixtures (a seeded synthetic series and the
// ORCL 2014 daily bars) and exact references that share no code with the library. The
// `.spec-helper` suffix keeps it out of Jest's test match and out of the published package
// (package.json drops dist/**/*.spec.*).
import fs from 'node:fs';
import { SeededRng } from '@quantbot/core';
import { realMarketDataFile } from '@quantbot/core/testing';

/** High, low and close columns of a bar series. */
export interface Bars {
  readonly high: number[];
  readonly low: number[];
  readonly close: number[];
}

/** ORCL daily bars for 2014 (252 rows) from the shared real data (tests using it need `realMarketDataPrerequisite`). */
export function loadOrcl(): Bars {
  const file = realMarketDataFile('orcl-2014.txt');
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1);
  const bars: Bars = { high: [], low: [], close: [] };
  for (const line of lines) {
    const cols = line.split(',').map(Number);
    bars.high.push(cols[2] as number);
    bars.low.push(cols[3] as number);
    bars.close.push(cols[4] as number);
  }
  return bars;
}

/**
 * A seeded random walk priced in cents, with flat stretches (identical bars) so that zero
 * ranges, zero losses and exact ties occur.
 */
export function syntheticBars(length = 600, seed = 20140101): Bars {
  const rng = new SeededRng(seed);
  const bars: Bars = { high: [], low: [], close: [] };
  let close = 50;
  for (let i = 0; i < length; i++) {
    const flat = i % 150 >= 120 && i % 150 < 140;
    if (!flat) close = Math.max(1, Math.round(close * Math.exp(0.015 * rng.nextNormal()) * 100) / 100);
    const spreadUp = flat ? 0 : Math.round(Math.abs(rng.nextNormal()) * 50) / 100;
    const spreadDown = flat ? 0 : Math.round(Math.abs(rng.nextNormal()) * 50) / 100;
    bars.high.push(Math.round((close + spreadUp) * 100) / 100);
    bars.low.push(Math.round((close - spreadDown) * 100) / 100);
    bars.close.push(close);
  }
  return bars;
}

function bitsOf(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0);
}

/** x · 2^1074 as an exact integer: every finite double is an integer multiple of 2^-1074. */
export function toScaled(x: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`);
  const bits = bitsOf(x);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const magnitude = exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
  return negative ? -magnitude : magnitude;
}

/** 2^e as a double, built from its bits (Infinity above the range). */
function pow2(e: number): number {
  if (e > 1023) return Infinity;
  const view = new DataView(new ArrayBuffer(8));
  if (e >= -1022) view.setBigUint64(0, BigInt(e + 1023) << 52n);
  else view.setBigUint64(0, 1n << BigInt(e + 1074));
  return view.getFloat64(0);
}

/** The double nearest to n · 2^-scale, ties to even (IEEE round-to-nearest). */
export function fromScaled(n: bigint, scale = 1074): number {
  if (n === 0n) return 0;
  const negative = n < 0n;
  const m = negative ? -n : n;
  const bitLength = m.toString(2).length;
  // Keep 53 significant bits, or fewer where the result would be subnormal.
  const shift = Math.max(bitLength - 53, scale - 1074, 0);
  let q = m >> BigInt(shift);
  if (shift > 0) {
    const rest = m - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  }
  const result = Number(q) * pow2(shift - scale);
  return negative ? -result : result;
}

/** The correctly rounded exact sum of `values` (what math.fsum returns). */
export function exactSumRef(values: readonly number[]): number {
  let total = 0n;
  for (const v of values) total += toScaled(v);
  return fromScaled(total);
}

/** The correctly rounded exact value of Σ weights[i] · values[i] (integer weights). */
export function exactWeightedSumRef(values: readonly number[], weights: readonly number[]): number {
  let total = 0n;
  values.forEach((v, i) => (total += BigInt(weights[i] as number) * toScaled(v)));
  return fromScaled(total);
}

/** The correctly rounded exact population variance of `values`. */
export function exactVarianceRef(values: readonly number[]): number {
  const p = BigInt(values.length);
  let sum = 0n;
  let sumSq = 0n;
  for (const v of values) {
    const s = toScaled(v);
    sum += s;
    sumSq += s * s;
  }
  // p²·var in units of 2^-2148, then divided by p² as one rounded double division, as the
  // library does (p² is exact for any sane period).
  return fromScaled(p * sumSq - sum * sum, 2148) / Number(p * p);
}

/** The last `period` values ending at index `i`. */
export function windowAt(values: readonly number[], i: number, period: number): number[] {
  return values.slice(i - period + 1, i + 1);
}

/** Plain mean of a window (the naive definition, naive summation). */
export function meanOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Exponential smoothing from its closed form, not its recurrence: with the seed s (the mean of
 * the first `period` values, at index period − 1) the value at index t is
 * (1 − α)^(t−period+1)·s + Σ_{j=period..t} α(1 − α)^(t−j)·x_j. O(n²) on purpose.
 */
export function expSmoothingRef(values: readonly number[], period: number, alpha: number): number[] {
  const out = values.map(() => NaN);
  if (values.length < period) return out;
  const seed = meanOf(values.slice(0, period));
  for (let t = period - 1; t < values.length; t++) {
    let acc = Math.pow(1 - alpha, t - period + 1) * seed;
    for (let j = period; j <= t; j++) acc += alpha * Math.pow(1 - alpha, t - j) * (values[j] as number);
    out[t] = acc;
  }
  return out;
}

/**
 * Asserts two series have NaN at the same places and elsewhere agree within `tolerance`,
 * relative to max(1, |expected|). Reports the first few mismatches.
 */
export function expectSeriesClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tolerance = 1e-9,
): void {
  expect(actual.length).toBe(expected.length);
  const problems: string[] = [];
  for (let i = 0; i < expected.length && problems.length < 5; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) problems.push(`[${i}] got ${a}, expected ${e}`);
    } else if (Math.abs(a - e) > tolerance * Math.max(1, Math.abs(e))) {
      problems.push(`[${i}] got ${a}, expected ${e}`);
    }
  }
  expect(problems).toEqual([]);
}

/** Index of the first non-NaN entry, or -1. */
export function firstDefined(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i] as number)) return i;
  return -1;
}
