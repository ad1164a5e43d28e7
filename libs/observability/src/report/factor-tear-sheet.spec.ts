import { ConfigError, DataError } from '@quantbot/core';
import { cumulativeSpread, rollingMean } from './factor-tear-sheet-charts';
import { TEAR_SHEET_MAX_FINDING_ROWS, renderFactorTearSheet } from './factor-tear-sheet';
import type { FactorTearSheetDatedValues, FactorTearSheetInput } from './factor-tear-sheet';

describe('rollingMean', () => {
  it.each<[string, number[], number, number[]]>([
    ['waits for a full window, then averages it', [1, 2, 3, 4], 2, [NaN, 1.5, 2.5, 3.5]],
    ['leaves a missing value out of its windows', [1, 2, NaN, 4], 2, [NaN, 1.5, 2, 4]],
    ['is NaN for a window with no value', [1, NaN, NaN, 4], 2, [NaN, 1, NaN, 4]],
    ['with a window of 1 is the series', [3, NaN, -1], 1, [3, NaN, -1]],
    ['is all NaN when the window is longer than the series', [1, 2], 3, [NaN, NaN]],
  ])('%s', (_case, values, window, expected) => {
    expect(Array.from(rollingMean(values, window))).toEqual(expected);
  });

  it('refuses a window that is not a whole number of at least 1', () => {
    expect(() => rollingMean([1], 0)).toThrow(ConfigError);
    expect(() => rollingMean([1], 1.5)).toThrow('window: must be a whole number of at least 1, got 1.5');
  });
});

describe('cumulativeSpread', () => {
  it.each<[string, number[], number, { index: number; value: number }[]]>([
    ['compounds every date for period 1', [0.1, -0.1, NaN], 1, [{ index: 0, value: 0 }, { index: 1, value: 0.1 }, { index: 2, value: 1.1 * 0.9 - 1 }]],
    ['holds cash through a missing spread', [0.1, NaN, 0.2, NaN, NaN], 1, [{ index: 0, value: 0 }, { index: 1, value: 0.1 }, { index: 2, value: 0.1 }, { index: 3, value: 1.1 * 1.2 - 1 }]],
    ['forms a holding every k dates from the first spread, without overlap', [NaN, 0.1, 0.2, 0.3, NaN], 2, [{ index: 1, value: 0 }, { index: 3, value: 0.1 }]],
    ['ends with the last holding that ends within the dates', [0.1, 0.5, -0.1, NaN], 2, [{ index: 0, value: 0 }, { index: 2, value: 0.1 }]],
    ['is empty without any spread', [NaN, NaN], 1, []],
  ])('%s', (_case, spread, period, expected) => {
    const points = cumulativeSpread(spread, period);
    expect(points.map((p) => p.index)).toEqual(expected.map((p) => p.index));
    points.forEach((p, i) => expect(p.value).toBeCloseTo(expected[i]?.value as number, 15));
  });

  it('refuses a period that is not a whole number of at least 1', () => {
    expect(() => cumulativeSpread([0.1], 0)).toThrow('period: must be a whole number of at least 1, got 0');
  });
});

/** A small evaluation: 30 weekdays, periods 1 and 2, 3 quantiles, a period-2 IC undefined at the end. */
function input(overrides: Partial<FactorTearSheetInput> = {}): FactorTearSheetInput {
  const dates = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));
  const series = (scale: number): FactorTearSheetDatedValues[] =>
    dates.map((date, i) => ({ date, '1': i < 29 ? Math.sin(i) * scale : null, '2': i < 28 ? Math.cos(i) * scale : null }) as FactorTearSheetDatedValues);
  return {
    factor: 'value <b>',
    source: 'panel.csv: 90 rows & more',
    periods: [1, 2],
    quantiles: 3,
    ic: { '1': { mean: 0.051234, std: 0.1, icir: 0.51234, t: 2.7593, n: 29 }, '2': { mean: null, std: null, icir: null, t: null, n: 0 } },
    quantileReturns: { '1': [-0.001, 0.0002, 0.0015], '2': [null, null, null] },
    topMinusBottom: { '1': 0.0025, '2': null },
    turnover: { '1': 0.4, '2': 0.655, '3': null },
    rankAutocorrelation: 0.12,
    icSeries: series(0.2),
    spreadSeries: series(0.01),
    findings: [{ date: '2024-01-05', kind: 'too-few-values', detail: '<script>x</script> one value' }],
    generatedAt: '2026-01-02T03:04:05.000Z',
    ...overrides,
  };
}

describe('renderFactorTearSheet', () => {
  it('lays out the sections in order with one IC chart per period', async () => {
    const html = await renderFactorTearSheet(input());
    expect([...html.matchAll(/<section id="([a-z-]+)"/g)].map((m) => m[1])).toEqual(['information-coefficient', 'ic-series', 'quantile-returns', 'spread', 'turnover', 'findings']);
    expect([...html.matchAll(/data-chart="([a-z-]+)"(?: data-period="(\d+)")?/g)].map((m) => `${m[1]}${m[2] ?? ''}`)).toEqual(['ic-series1', 'ic-series2', 'quantile-returns', 'cumulative-spread']);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('prints the tables with bps and percent, and a missing number as —', async () => {
    const html = await renderFactorTearSheet(input());
    const row = (id: string, first: string): string[] => {
      const table = new RegExp(`id="${id}">[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
      const tr = [...table.matchAll(/<tr><td>([^<]*)<\/td>(.*?)<\/tr>/g)].find((m) => m[1] === first);
      return [...(tr?.[2] ?? '').matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1] as string);
    };
    expect(row('ic-table', '1')).toEqual(['0.0512', '0.1000', '0.5123', '2.76', '29']);
    expect(row('ic-table', '2')).toEqual(['—', '—', '—', '—', '0']);
    expect(row('quantile-returns-table', '3')).toEqual(['15.00', '—']);
    expect(row('spread-table', '2')[0]).toBe('—');
    expect(row('turnover-table', '2')).toEqual(['65.50 %']);
    expect(row('turnover-table', '3')).toEqual(['—']);
  });

  it('adds a turnover column and a rank autocorrelation per period lag when given', async () => {
    const html = await renderFactorTearSheet(input({ turnoverByPeriod: { '1': { '1': 0.4, '2': 0.655, '3': null }, '2': { '1': 0.5, '2': 0.75, '3': 0.25 } }, rankAutocorrelationByPeriod: { '1': 0.12, '2': 0.05 } }));
    const table = /id="turnover-table">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect([...table.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1])).toEqual(['Quantile', 'Turnover', 'Turnover (lag 2)']);
    expect(table).toContain('<tr><td>2</td><td class="num">65.50 %</td><td class="num">75.00 %</td></tr>');
    expect(html).toContain('Rank autocorrelation (lag 2)');
    expect(html).toContain('0.0500');
  });

  it('shows the first period in the headline tiles', async () => {
    const html = await renderFactorTearSheet(input());
    const tiles = [...html.matchAll(/<div class="tile-label">([^<]*)<\/div><div class="tile-value[^"]*">([^<]*)<\/div>/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(tiles).toEqual(['Mean IC (1)=0.0512', 'ICIR (1)=0.512', 't-stat (1)=2.76', 'Top − bottom (1, bps)=25.00', 'Rank autocorrelation=0.120']);
  });

  it('draws at most 2,000 dates of a long IC series, and says so', async () => {
    const dates = Array.from({ length: 3000 }, (_, i) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10));
    const series = dates.map((date, i) => ({ date, '1': Math.sin(i / 7) / 10 }) as FactorTearSheetDatedValues);
    const html = await renderFactorTearSheet(input({ periods: [1], icSeries: series, spreadSeries: series }));
    const vertices = (label: RegExp): number => {
      const path = [...html.matchAll(/<path aria-label="([^"]*)"[^>]* d="([^"]*)"/g)].find((m) => label.test(m[1] as string));
      return path?.[2]?.match(/[ML]/g)?.length ?? 0;
    };
    expect(vertices(/^t: .*s: daily IC$/)).toBeGreaterThan(1000);
    expect(vertices(/^t: .*s: daily IC$/)).toBeLessThanOrEqual(2000);
    expect(vertices(/^t: .*period: 1$/)).toBeGreaterThan(1000);
    expect(vertices(/^t: .*period: 1$/)).toBeLessThanOrEqual(2000);
    expect(html).toContain('Each chart draws at most 2,000 of the 3,000 dates');
  });

  it('escapes every string of the input', async () => {
    const html = await renderFactorTearSheet(input());
    expect(html).toContain('<h1>value &lt;b&gt;</h1>');
    expect(html).toContain('panel.csv: 90 rows &amp; more');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt; one value');
  });

  it('lists the first findings and says how many were left out', async () => {
    const findings = Array.from({ length: TEAR_SHEET_MAX_FINDING_ROWS + 7 }, (_, i) => ({ date: null, kind: 'undefined-ic', detail: `finding ${i}` }));
    const html = await renderFactorTearSheet(input({ findings }));
    expect(html.match(/finding \d+/g)).toHaveLength(TEAR_SHEET_MAX_FINDING_ROWS);
    expect(html).toContain(`Showing the first 200 of 207 findings; 7 left out`);
  });

  it('refuses series whose dates disagree or are not dates', async () => {
    const good = input();
    await expect(renderFactorTearSheet({ ...good, spreadSeries: good.spreadSeries.slice(1) })).rejects.toThrow(DataError);
    const swapped = [...good.spreadSeries];
    swapped[3] = { ...swapped[3], date: '2024-02-01' } as FactorTearSheetDatedValues;
    await expect(renderFactorTearSheet({ ...good, spreadSeries: swapped })).rejects.toThrow("field spreadSeries[3].date: date 3 is '2024-01-04' in icSeries but '2024-02-01' in spreadSeries");
    const bad = [...good.icSeries];
    bad[0] = { ...bad[0], date: '2024/01/01' } as FactorTearSheetDatedValues;
    await expect(renderFactorTearSheet({ ...good, icSeries: bad })).rejects.toThrow("field icSeries[0].date: '2024/01/01' is not a date written YYYY-MM-DD");
  });
});
