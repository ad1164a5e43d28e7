import type { BarSeries } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import type { ExchangeCalendar } from './exchange-calendar';
import { NYSE_CALENDAR } from './exchange-calendar';

/** One bar as written in a test: `[date or epoch ms, open, high, low, close, volume]`. */
export type TestBar = readonly [string | number, number, number, number, number, number];

/** Epoch ms at 00:00 UTC of `YYYY-MM-DD`. */
export const dayMs = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);

/** Builds a series from rows (no validation: tests feed it broken data on purpose). */
export function seriesOf(symbol: string, bars: readonly TestBar[], adjClose?: readonly number[]): BarSeries {
  const column = (k: number): Float64Array =>
    Float64Array.from(bars, (bar) => {
      const value = bar[k] as string | number;
      return typeof value === 'string' ? dayMs(value) : value;
    });
  return Object.freeze({
    symbol: ticker(symbol),
    length: bars.length,
    time: column(0),
    open: column(1),
    high: column(2),
    low: column(3),
    close: column(4),
    volume: column(5),
    adjClose: adjClose === undefined ? null : Float64Array.from(adjClose),
  });
}

/**
 * `count` clean bars on consecutive sessions of `calendar` from `startIso`: closes wander
 * deterministically by under 2% a day, each open is the previous close, high and low 0.5 around.
 */
export function cleanBars(count: number, startIso = '2014-01-02', calendar: ExchangeCalendar = NYSE_CALENDAR): TestBar[] {
  const bars: TestBar[] = [];
  let time = dayMs(startIso);
  let previousClose = 100;
  while (bars.length < count) {
    if (calendar.isSession(time)) {
      const i = bars.length;
      const close = Math.round(previousClose * (1 + 0.015 * Math.sin(i * 1.7 + 0.3)) * 100) / 100;
      const open = previousClose;
      bars.push([time, open, Math.max(open, close) + 0.5, Math.min(open, close) - 0.5, close, 1000 + i]);
      previousClose = close;
    }
    time += 86_400_000;
  }
  return bars;
}
