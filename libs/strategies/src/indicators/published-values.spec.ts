import fs from 'node:fs';
import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { computeIndicatorSeries } from './catalog';

/**
 * Values published in the test suite of an established Python backtesting library for its
 * default indicators on `2006-day-001.txt`, printed with `%f` at three points: the last bar,
 * the first bar with a value (index minperiod − 1), and a bar in between.
 */
const PUBLISHED: readonly { name: string; minPeriod: number; lines: Readonly<Record<string, readonly [string, string, string]>> }[] = [
  { name: 'sma', minPeriod: 30, lines: { sma: ['4063.463000', '3644.444667', '3554.693333'] } },
  { name: 'ema', minPeriod: 30, lines: { ema: ['4070.115719', '3644.444667', '3581.728712'] } },
  { name: 'wma', minPeriod: 30, lines: { wma: ['4076.212366', '3655.193634', '3576.228000'] } },
  { name: 'smma', minPeriod: 30, lines: { smma: ['4021.569725', '3644.444667', '3616.427648'] } },
  { name: 'rsi', minPeriod: 15, lines: { rsi: ['57.644284', '41.630968', '53.352553'] } },
  { name: 'atr', minPeriod: 15, lines: { atr: ['35.866308', '34.264286', '54.329064'] } },
  {
    name: 'bollinger',
    minPeriod: 20,
    lines: {
      mid: ['4065.884000', '3621.185000', '3582.895500'],
      upper: ['4190.782310', '3712.008864', '3709.453081'],
      lower: ['3940.985690', '3530.361136', '3456.337919'],
    },
  },
  {
    name: 'macd',
    minPeriod: 34,
    lines: {
      macd: ['25.821368', '32.469404', '1.772445'],
      signal: ['21.977853', '26.469735', '-2.845646'],
      histogram: ['3.843516', '5.999669', '4.618090'],
    },
  },
  {
    name: 'stochastic',
    minPeriod: 18,
    lines: { k: ['88.667626', '21.409626', '63.796187'], d: ['82.845850', '15.710059', '77.642219'] },
  },
];

function loadColumns(): { high: Float64Array; low: Float64Array; close: Float64Array; length: number } {
  const file = realMarketDataFile('2006-day-001.txt');
  const rows = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1);
  const high = new Float64Array(rows.length);
  const low = new Float64Array(rows.length);
  const close = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    const cells = row.split(',');
    high[i] = Number(cells[2]);
    low[i] = Number(cells[3]);
    close[i] = Number(cells[4]);
  });
  return { high, low, close, length: rows.length };
}

describeWithPrerequisite(realMarketDataPrerequisite(), 'indicators against published reference values', () => {
  const columns = loadColumns();

  it.each(PUBLISHED.map((p) => [p.name, p] as const))('%s matches at the last, first and middle checkpoints', (_name, published) => {
    const n = columns.length;
    const checkpoints = [n - 1, published.minPeriod - 1, n - 1 + Math.floor((published.minPeriod - n) / 2)];
    const { lines, values } = computeIndicatorSeries(published.name, {}, columns);
    for (const [line, expected] of Object.entries(published.lines)) {
      const series = values[lines.indexOf(line)] as Float64Array;
      expect(series[published.minPeriod - 2]).toBeNaN();
      expect(checkpoints.map((k) => (series[k] as number).toFixed(6))).toEqual(expected);
    }
  });
});
