import * as path from 'node:path';
import { detectBarInterval, periodsPerYear } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataDir, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { loadBarFile } from './bar-file-loader';

describeWithPrerequisite(realMarketDataPrerequisite(), 'detectBarInterval on the real data files', () => {
  it.each([
    ['orcl-1995-2014.txt', '1d'],
    ['2006-day-001.txt', '1d'],
    ['2006-volume-day-001.txt', '1d'],
    ['2006-week-001.txt', '1w'],
    ['2006-week-002.txt', '1w'],
    ['2006-month-001.txt', '1mo'],
  ] as const)('tells that %s holds %s bars (weekends, holidays and sparse days included)', (name, interval) => {
    const series = loadBarFile(path.join(realMarketDataDir(), name));
    expect(detectBarInterval(series.time).interval).toBe(interval);
  });

  it('annualises daily files with 252 periods, as always', () => {
    const series = loadBarFile(path.join(realMarketDataDir(), 'orcl-2014.txt'));
    expect(periodsPerYear(detectBarInterval(series.time).interval ?? '1mo')).toBe(252);
  });
});
