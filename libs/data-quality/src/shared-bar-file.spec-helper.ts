import * as fs from 'node:fs';
import type { BarSeries } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { realMarketDataFile } from '@quantbot/core/testing';

/**
 * Reads a Yahoo-layout file of the shared real data (`Date,Open,High,Low,Close,Adj Close,Volume`)
 * into a `BarSeries` (tests calling it need `realMarketDataPrerequisite`). Deliberately minimal (no validation): data-quality sits beside
 * market-data in the layering, so its tests do not import the production loader.
 */
export function readSharedBarFile(fileName: string, symbol: string): BarSeries {
  const lines = fs
    .readFileSync(realMarketDataFile(fileName), 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const header = (lines.shift() ?? '').split(',').map((name) => name.trim().toLowerCase());
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index === -1) throw new Error(`${fileName}: no column ${name}`);
    return index;
  };
  const [date, open, high, low, close, volume] = ['date', 'open', 'high', 'low', 'close', 'volume'].map(column) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const adjIndex = header.indexOf('adj close');
  const n = lines.length;
  const series = {
    symbol: ticker(symbol),
    length: n,
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    adjClose: adjIndex === -1 ? null : new Float64Array(n),
  };
  lines.forEach((line, i) => {
    const fields = line.split(',');
    const at = (index: number): string => fields[index] ?? '';
    series.time[i] = Date.parse(`${at(date).slice(0, 10)}T00:00:00Z`);
    series.open[i] = Number(at(open));
    series.high[i] = Number(at(high));
    series.low[i] = Number(at(low));
    series.close[i] = Number(at(close));
    series.volume[i] = Number(at(volume));
    if (series.adjClose !== null) series.adjClose[i] = Number(at(adjIndex));
  });
  return Object.freeze(series);
}
