import fc from 'fast-check';
import type { EpochMs } from '@quantbot/core';
import { ConfigError, epochMs } from '@quantbot/core';
import { checkPointInTime, checkPointInTimeReport } from './point-in-time-check';
import type { PitRecord } from './point-in-time-series';
import { SYNTHETIC_FUNDAMENTALS_MODEL, sampleFundamentals } from './synthetic-fundamentals';

const MS_PER_DAY = 86_400_000;
const RUNS = { seed: 20_100_428, numRuns: 200 } as const;

const day = (iso: string): EpochMs => epochMs(Date.parse(`${iso}T00:00:00Z`));

function rec(symbol: string, periodEnd: string, announcedAt: string): PitRecord<number> {
  return { symbol, periodEnd: day(periodEnd), announcedAt: day(announcedAt), value: 0 };
}

const rowsArb = fc.array(
  fc.record({
    symbol: fc.constantFrom('AAA', 'BBB'),
    periodEnd: fc.integer({ min: 0, max: 100 }).map((d) => epochMs(d * MS_PER_DAY)),
    announcedAt: fc.integer({ min: 0, max: 150 }).map((d) => epochMs(d * MS_PER_DAY)),
    value: fc.constant(0),
  }),
  { maxLength: 40 },
);

describe('checkPointInTime', () => {
  it('reports a row joined on period end as a leak, naming symbol, period end, field and lag in days', () => {
    expect(checkPointInTime([rec('ORCL', '2010-03-31', '2010-04-28')])).toEqual([
      {
        check: 'pit-leak',
        severity: 'error',
        symbol: 'ORCL',
        time: day('2010-03-31'),
        field: 'announcedAt',
        message: 'value for period ending 2010-03-31 was announced 2010-04-28, 28 days later: joining on period end uses it 28 days early',
      },
    ]);
  });

  it('calls a later announcement of the same period a restatement', () => {
    const findings = checkPointInTime([rec('ORCL', '2010-03-31', '2010-04-28'), rec('ORCL', '2010-03-31', '2010-08-15')]);
    expect(findings.map((f) => f.message.split(' for ')[0])).toEqual(['value', 'restated value']);
  });

  it('does not report a row announced on its period end', () => {
    expect(checkPointInTime([rec('ORCL', '2010-03-31', '2010-03-31')])).toEqual([]);
  });

  it('warns about a row announced before its period ended, under either key', () => {
    for (const usageKey of ['periodEnd', 'announcedAt'] as const) {
      const findings = checkPointInTime([rec('ORCL', '2010-03-31', '2010-03-21')], { usageKey });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ check: 'pit-leak', severity: 'warning', field: 'announcedAt', time: day('2010-03-31') });
      expect(findings[0]?.message).toContain('10 days before the period ended');
    }
  });

  it('flags exactly the rows announced after their period end when keyed by period end, and none when keyed by announcement', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const byPeriod = checkPointInTime(rows).filter((f) => f.severity === 'error');
        const leaking = rows.filter((r) => r.announcedAt > r.periodEnd);
        const byAnnouncement = checkPointInTime(rows, { usageKey: 'announcedAt' }).filter((f) => f.severity === 'error');
        return (
          byPeriod.length === leaking.length &&
          byPeriod.every((f, k) => f.symbol === leaking[k]?.symbol && f.time === leaking[k]?.periodEnd) &&
          byAnnouncement.length === 0
        );
      }),
      RUNS,
    );
  });

  it('with maxLagMs flags only rows announced later than the assumed lag, and says by how much', () => {
    const findings = checkPointInTime([rec('ORCL', '2010-03-31', '2010-04-28'), rec('ORCL', '2010-06-30', '2010-08-24')], {
      maxLagMs: 45 * MS_PER_DAY,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toBe(
      'value for period ending 2010-06-30 was announced 2010-08-24, 55 days later: joining on period end + 45 days uses it 10 days early',
    );
  });

  it('reports non-finite times instead of throwing', () => {
    const findings = checkPointInTime([{ symbol: 'AAA', periodEnd: day('2010-03-31'), announcedAt: epochMs(Number.NaN), value: 0 }]);
    expect(findings).toEqual([
      expect.objectContaining({ check: 'non-finite-value', severity: 'error', field: 'announcedAt', time: day('2010-03-31') }),
    ]);
  });

  it.each([
    [{ maxLagMs: -1 }, 'maxLagMs'],
    [{ maxLagMs: Number.NaN }, 'maxLagMs'],
    [{ usageKey: 'closeTime' as 'periodEnd' }, 'usageKey'],
  ])('rejects invalid options %j with a ConfigError naming %s', (options, key) => {
    let error: unknown;
    try {
      checkPointInTime([], options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
  });

  describe('on the synthetic sample', () => {
    const { announcementLagDaysMin, restatementLagDaysMax } = SYNTHETIC_FUNDAMENTALS_MODEL;

    it('flags every record, with lags in the generated range', () => {
      const records = sampleFundamentals();
      const findings = checkPointInTime(records);
      expect(findings).toHaveLength(records.length);
      for (const finding of findings) {
        expect(finding.severity).toBe('error');
        const lagDays = Number(/, (\d+) days later/.exec(finding.message)?.[1]);
        expect(lagDays).toBeGreaterThanOrEqual(announcementLagDaysMin);
        expect(lagDays).toBeLessThanOrEqual(restatementLagDaysMax);
      }
    });

    it('flags only the restatements when the join assumes a 45-day lag', () => {
      const records = sampleFundamentals();
      const findings = checkPointInTime(records, { maxLagMs: SYNTHETIC_FUNDAMENTALS_MODEL.announcementLagDaysMax * MS_PER_DAY });
      const restatements = records.length - new Set(records.map((r) => `${r.symbol} ${r.periodEnd}`)).size;
      expect(restatements).toBeGreaterThan(0);
      expect(findings).toHaveLength(restatements);
      expect(findings.every((f) => f.message.startsWith('restated value'))).toBe(true);
    });

    it('flags nothing when joined on announcement time', () => {
      expect(checkPointInTime(sampleFundamentals(), { usageKey: 'announcedAt' })).toEqual([]);
    });
  });
});

describe('checkPointInTimeReport', () => {
  it('summarizes the findings by severity and check, counting symbols and records', () => {
    const records = [rec('ORCL', '2010-03-31', '2010-04-28'), rec('NVDA', '2010-03-31', '2010-03-31'), rec('NVDA', '2010-06-30', '2010-06-01')];
    const report = checkPointInTimeReport(records);
    expect(report.summary).toEqual({
      symbols: 2,
      bars: 3,
      findings: 2,
      bySeverity: { error: 1, warning: 1, info: 0 },
      byCheck: { 'pit-leak': { error: 1, warning: 1, info: 0 } },
    });
    expect(report.findings.map((f) => f.symbol)).toEqual(['NVDA', 'ORCL']);
  });
});
