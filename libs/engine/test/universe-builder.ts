import type { BarUniverse, Ticker } from '@quantbot/core';
import { ticker } from '@quantbot/core';

const DAY = 86_400_000;
const START = Date.UTC(2020, 0, 1);

/**
 * Builds a one-or-more-symbol universe for tests from rows of [open, close] (high/low are
 * derived) or `null` for a missing bar. Time step k is day k after 2020-01-01.
 */
export function universeOf(columns: Readonly<Record<string, readonly ([number, number] | null)[]>>): BarUniverse {
  const names = Object.keys(columns);
  const length = Math.max(...names.map((n) => (columns[n] ?? []).length));
  const size = names.length * length;
  const u = {
    symbols: names.map((n) => ticker(n)) as readonly Ticker[],
    length,
    time: new Float64Array(length).map((_, k) => START + k * DAY),
    open: new Float64Array(size).fill(NaN),
    high: new Float64Array(size).fill(NaN),
    low: new Float64Array(size).fill(NaN),
    close: new Float64Array(size).fill(NaN),
    volume: new Float64Array(size).fill(NaN),
    hasBar: new Uint8Array(size),
  };
  names.forEach((name, s) => {
    (columns[name] ?? []).forEach((row, k) => {
      if (row === null) return;
      const at = s * length + k;
      u.open[at] = row[0];
      u.close[at] = row[1];
      u.high[at] = Math.max(row[0], row[1]);
      u.low[at] = Math.min(row[0], row[1]);
      u.volume[at] = 1_000;
      u.hasBar[at] = 1;
    });
  });
  return u;
}

/** Rows whose open and close are both `price`. */
export function flatRows(prices: readonly number[]): [number, number][] {
  return prices.map((p) => [p, p]);
}
