import { ConfigError } from '@quantbot/core';
import type { SyntheticFundamentalsOptions } from './synthetic-fundamentals';
import {
  SAMPLE_FUNDAMENTALS_OPTIONS,
  SYNTHETIC_FUNDAMENTALS_MODEL,
  generateSyntheticFundamentals,
  sampleFundamentals,
} from './synthetic-fundamentals';

const MS_PER_DAY = 86_400_000;
const OPTIONS: SyntheticFundamentalsOptions = { symbols: ['AAA', 'BBB'], start: '2010-02-15', quarters: 12, seed: 7 };
const iso = (time: number): string => new Date(time).toISOString().slice(0, 10);

describe('generateSyntheticFundamentals', () => {
  it('gives the same output for the same options', () => {
    expect(generateSyntheticFundamentals(OPTIONS)).toEqual(generateSyntheticFundamentals({ ...OPTIONS }));
  });

  it('gives different output for a different seed', () => {
    const a = generateSyntheticFundamentals(OPTIONS);
    const b = generateSyntheticFundamentals({ ...OPTIONS, seed: 8 });
    expect(b.map((r) => r.value)).not.toEqual(a.map((r) => r.value));
    expect(b.map((r) => r.announcedAt)).not.toEqual(a.map((r) => r.announcedAt));
  });

  it("makes a symbol's data depend only on its name and the seed", () => {
    const alone = generateSyntheticFundamentals({ ...OPTIONS, symbols: ['BBB'] });
    const withOthers = generateSyntheticFundamentals({ ...OPTIONS, symbols: ['ZZZ', 'BBB', 'AAA'] }).filter((r) => r.symbol === 'BBB');
    expect(withOthers).toEqual(alone);
  });

  it('covers consecutive calendar quarters from the one containing start, ending at 00:00 UTC', () => {
    const periods = [...new Set(generateSyntheticFundamentals({ ...OPTIONS, symbols: ['AAA'], quarters: 5 }).map((r) => r.periodEnd))];
    expect(periods.map(iso).sort()).toEqual(['2010-03-31', '2010-06-30', '2010-09-30', '2010-12-31', '2011-03-31']);
  });

  it('announces each period once 20 to 45 days after it ends, and restatements 60 to 120 days after', () => {
    const model = SYNTHETIC_FUNDAMENTALS_MODEL;
    const records = generateSyntheticFundamentals({ symbols: ['AAA', 'BBB', 'CCC', 'DDD'], start: '1990-01-01', quarters: 100, seed: 3 });
    const firstSeen = new Set<string>();
    let restatements = 0;
    for (const record of [...records].sort((a, b) => a.announcedAt - b.announcedAt)) {
      const lagDays = (record.announcedAt - record.periodEnd) / MS_PER_DAY;
      expect(Number.isInteger(lagDays)).toBe(true);
      const key = `${record.symbol} ${record.periodEnd}`;
      if (firstSeen.has(key)) {
        restatements++;
        expect(lagDays).toBeGreaterThanOrEqual(model.restatementLagDaysMin);
        expect(lagDays).toBeLessThanOrEqual(model.restatementLagDaysMax);
      } else {
        firstSeen.add(key);
        expect(lagDays).toBeGreaterThanOrEqual(model.announcementLagDaysMin);
        expect(lagDays).toBeLessThanOrEqual(model.announcementLagDaysMax);
      }
    }
    expect(firstSeen.size).toBe(400);
    // About 5% of 400 periods: 20 expected, a binomial standard deviation of about 4.4.
    expect(restatements).toBeGreaterThanOrEqual(8);
    expect(restatements).toBeLessThanOrEqual(35);
  });

  it('restates with slightly changed values', () => {
    const records = generateSyntheticFundamentals({ symbols: ['AAA', 'BBB', 'CCC', 'DDD'], start: '1990-01-01', quarters: 100, seed: 3 });
    const byPeriod = new Map<string, (typeof records)[number][]>();
    for (const r of records) byPeriod.set(`${r.symbol} ${r.periodEnd}`, [...(byPeriod.get(`${r.symbol} ${r.periodEnd}`) ?? []), r]);
    const pairs = [...byPeriod.values()].filter((list) => list.length === 2);
    expect(pairs.length).toBeGreaterThan(0);
    for (const [original, restated] of pairs) {
      if (original === undefined || restated === undefined) throw new Error('unreachable');
      expect(restated.value).not.toEqual(original.value);
      expect(Math.abs(restated.value.revenue / original.value.revenue - 1)).toBeLessThan(0.06);
    }
  });

  it('lists records by symbol, each in announcement order, all frozen', () => {
    const records = generateSyntheticFundamentals(OPTIONS);
    expect(records.map((r) => r.symbol)).toEqual([...records.map((r) => r.symbol)].sort());
    for (let k = 1; k < records.length; k++) {
      const [prev, next] = [records[k - 1], records[k]];
      if (prev?.symbol === next?.symbol) expect(next?.announcedAt).toBeGreaterThanOrEqual(prev?.announcedAt as number);
    }
    expect(Object.isFrozen(records)).toBe(true);
    expect(records.every((r) => Object.isFrozen(r) && Object.isFrozen(r.value))).toBe(true);
  });

  it('produces plausible, finite values rounded to cents', () => {
    for (const { value } of generateSyntheticFundamentals(OPTIONS)) {
      expect(value.revenue).toBeGreaterThan(0);
      for (const v of [value.eps, value.revenue, value.bookValue]) expect(Math.round(v * 100) / 100).toBe(v);
    }
  });

  it.each([
    [{ quarters: 0 }, 'quarters'],
    [{ quarters: 1.5 }, 'quarters'],
    [{ seed: Number.NaN }, 'seed'],
    [{ start: '2010-02-30' }, 'start'],
    [{ start: '2010-2-3' }, 'start'],
    [{ symbols: ['AAA', 'AAA'] }, 'symbols'],
    [{ symbols: [''] }, 'symbols'],
  ])('rejects %j with a ConfigError naming %s', (override, key) => {
    let error: unknown;
    try {
      generateSyntheticFundamentals({ ...OPTIONS, ...override });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
  });
});

describe('sampleFundamentals', () => {
  it('is ORCL, YHOO and NVDA over 64 quarters from 1999-Q1, cached between calls', () => {
    const sample = sampleFundamentals();
    expect(sample).toBe(sampleFundamentals());
    expect(sample).toEqual(generateSyntheticFundamentals(SAMPLE_FUNDAMENTALS_OPTIONS));
    expect([...new Set(sample.map((r) => r.symbol))]).toEqual(['ORCL', 'YHOO', 'NVDA']);
    const periods = sample.map((r) => r.periodEnd);
    expect(iso(Math.min(...periods))).toBe('1999-03-31');
    expect(iso(Math.max(...periods))).toBe('2014-12-31');
    expect(new Set(sample.map((r) => `${r.symbol} ${r.periodEnd}`)).size).toBe(3 * 64);
  });

  it('announces every record after its period end', () => {
    expect(sampleFundamentals().every((r) => r.announcedAt > r.periodEnd)).toBe(true);
  });
});
