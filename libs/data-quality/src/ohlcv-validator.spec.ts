import { ConfigError, formatIsoTime } from '@quantbot/core';
import { describeWithPrerequisite, itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import type { DataQualityCheck, DataQualityFinding } from './data-quality-finding';
import { NYSE_CALENDAR, WEEKDAY_CALENDAR } from './exchange-calendar';
import type { OhlcvCheck } from './ohlcv-validator';
import { OHLCV_CHECK_SEVERITIES, validateDataset, validateSeries } from './ohlcv-validator';
import { readSharedBarFile } from './shared-bar-file.spec-helper';
import type { TestBar } from './test-series.spec-helper';
import { cleanBars, dayMs, seriesOf } from './test-series.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;
type BarPatch = Partial<Record<(typeof FIELDS)[number], number | string>>;

/** A copy of `bars` with bar `index` changed by `patch`. */
function patchBar(bars: readonly TestBar[], index: number, patch: BarPatch): TestBar[] {
  return bars.map((bar, i) => {
    if (i !== index) return bar;
    const values = FIELDS.map((field, k) => patch[field] ?? bar[k]);
    return values as unknown as TestBar;
  });
}

/** A copy of `bars` with every price from bar `from` on multiplied by `factor`. */
function scaleFrom(bars: readonly TestBar[], from: number, factor: number, scaleOpenAtFrom: boolean): TestBar[] {
  return bars.map((bar, i) => {
    if (i < from) return bar;
    const open = i === from && !scaleOpenAtFrom ? bar[1] : bar[1] * factor;
    const close = bar[4] * factor;
    return [bar[0], open, Math.max(open, close, bar[2] * factor), Math.min(open, close, bar[3] * factor), close, bar[5]];
  });
}

const BASE = cleanBars(30);
const timeOf = (i: number): number => BASE[i]?.[0] as number;

/** The parts of a finding a case pins down. */
const brief = (f: DataQualityFinding) => ({ check: f.check, severity: f.severity, field: f.field, time: f.time });

interface Case {
  readonly name: string;
  readonly bars: readonly TestBar[];
  readonly check: OhlcvCheck;
  readonly expected: readonly { readonly field: string | null; readonly time: number | null }[];
  /** Text every finding of the check must contain (values and location). */
  readonly mentions: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'a NaN close',
    bars: patchBar(BASE, 5, { close: Number.NaN }),
    check: 'non-finite-value',
    expected: [{ field: 'close', time: timeOf(5) }],
    mentions: ['TEST bar 5 (2014-01-09)', 'close is NaN'],
  },
  {
    name: 'an infinite volume',
    bars: patchBar(BASE, 6, { volume: Number.POSITIVE_INFINITY }),
    check: 'non-finite-value',
    expected: [{ field: 'volume', time: timeOf(6) }],
    mentions: ['bar 6', 'volume is Infinity'],
  },
  {
    name: 'a NaN time (reported with time null, located by index)',
    bars: patchBar(BASE, 7, { time: Number.NaN }),
    check: 'non-finite-value',
    expected: [{ field: 'time', time: null }],
    mentions: ['bar 7 (NaN)', 'time is NaN'],
  },
  {
    name: 'a zero open',
    bars: patchBar(BASE, 3, { open: 0 }),
    check: 'non-positive-price',
    expected: [{ field: 'open', time: timeOf(3) }],
    mentions: ['bar 3', 'open 0 is not a positive price'],
  },
  {
    name: 'a negative low',
    bars: patchBar(BASE, 4, { low: -1 }),
    check: 'non-positive-price',
    expected: [{ field: 'low', time: timeOf(4) }],
    mentions: ['low -1'],
  },
  {
    name: 'a high below the close',
    bars: patchBar(BASE, 8, { high: (BASE[8]?.[4] as number) - 0.25 }),
    check: 'high-below-open-close',
    expected: [{ field: 'high', time: timeOf(8) }],
    mentions: [`high ${(BASE[8]?.[4] as number) - 0.25} is below max(open ${BASE[8]?.[1]}, close ${BASE[8]?.[4]})`],
  },
  {
    name: 'a low above the open',
    bars: patchBar(BASE, 9, { low: Math.min(BASE[9]?.[1] as number, BASE[9]?.[4] as number) + 0.25 }),
    check: 'low-above-open-close',
    expected: [{ field: 'low', time: timeOf(9) }],
    mentions: ['is above min(open'],
  },
  {
    name: 'a negative volume',
    bars: patchBar(BASE, 10, { volume: -5 }),
    check: 'negative-volume',
    expected: [{ field: 'volume', time: timeOf(10) }],
    mentions: ['volume -5 is negative'],
  },
  {
    name: 'two bars with the same time',
    bars: patchBar(BASE, 12, { time: timeOf(11) }),
    check: 'duplicate-timestamp',
    expected: [{ field: 'time', time: timeOf(11) }],
    mentions: ['bar 12 (2014-01-17): same time as bar 11 (2014-01-17)'],
  },
  {
    name: 'two bars swapped',
    bars: patchBar(patchBar(BASE, 13, { time: timeOf(14) }), 14, { time: timeOf(13) }),
    check: 'unsorted-timestamp',
    expected: [{ field: 'time', time: timeOf(13) }],
    mentions: ['bar 14 (2014-01-22): time is before bar 13 (2014-01-23)'],
  },
  {
    name: 'a session without a bar (2014-01-15 removed)',
    bars: BASE.filter((_, i) => i !== 9),
    check: 'missing-session',
    expected: [{ field: 'time', time: dayMs('2014-01-15') }],
    mentions: ['no bar on NYSE session 2014-01-15', 'last bar before it on 2014-01-14'],
  },
  {
    name: 'a bar on Martin Luther King Jr. Day (2014-01-20)',
    bars: [...BASE.slice(0, 12), [dayMs('2014-01-20'), 100, 101, 99, 100.5, 10] as TestBar, ...BASE.slice(12)],
    check: 'unexpected-session',
    expected: [{ field: 'time', time: dayMs('2014-01-20') }],
    mentions: ['bar at 2014-01-20: not a NYSE session day'],
  },
  {
    name: 'six identical closes in a row',
    bars: BASE.map((bar, i) => (i >= 15 && i <= 20 ? ([bar[0], 90, 91, 89, 90, bar[5]] as TestBar) : bar)),
    check: 'stale-run',
    expected: [{ field: 'close', time: timeOf(15) }],
    mentions: ['bar 15 (2014-01-24): close 90 unchanged for 6 bars (through bar 20 (2014-01-31))'],
  },
  {
    name: 'a 30% intraday jump that persists',
    bars: scaleFrom(BASE, 20, 1.3, false),
    check: 'spike',
    expected: [{ field: 'close', time: timeOf(20) }],
    mentions: ['bar 20', `after ${BASE[19]?.[4]}`, 'move (log return 0.26'],
  },
  {
    name: 'an unadjusted 2-for-1 split (open and close halved)',
    bars: scaleFrom(BASE, 20, 0.5, true),
    check: 'split-like-jump',
    expected: [{ field: 'close', time: timeOf(20) }],
    mentions: ['bar 20', 'within 2% of 1/2', 'gapped too'],
  },
  {
    name: 'an unadjusted 1-for-3 reverse split',
    bars: scaleFrom(BASE, 20, 3, true),
    check: 'split-like-jump',
    expected: [{ field: 'close', time: timeOf(20) }],
    mentions: ['within 2% of 3'],
  },
  {
    name: 'weekly bars (session checks skipped once)',
    bars: BASE.map((bar, i) => [dayMs('2014-01-03') + i * 7 * 86_400_000, ...bar.slice(1)] as unknown as TestBar),
    check: 'calendar-not-applicable',
    expected: [{ field: 'time', time: null }],
    mentions: ['median gap between bars is 7.0 days', 'NYSE session checks skipped'],
  },
  {
    name: 'hourly bars (session checks skipped once)',
    bars: BASE.map((bar, i) => [dayMs('2014-01-02') + i * 3_600_000, ...bar.slice(1)] as unknown as TestBar),
    check: 'calendar-not-applicable',
    expected: [{ field: 'time', time: null }],
    mentions: ['intraday'],
  },
];

describe('validateSeries', () => {
  it('finds nothing in a clean daily series on NYSE sessions', () => {
    expect(validateSeries(seriesOf('TEST', BASE))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.check, c.name, c] as const))('reports %s for %s', (check, _name, c) => {
    const findings = validateSeries(seriesOf('TEST', c.bars));
    const ofCheck = findings.filter((f) => f.check === check);
    expect(ofCheck.map(brief)).toEqual(
      c.expected.map((e) => ({ check, severity: OHLCV_CHECK_SEVERITIES[check], field: e.field, time: e.time })),
    );
    for (const finding of ofCheck) {
      expect(finding.symbol).toBe('TEST');
      for (const text of c.mentions) expect(finding.message).toContain(text);
    }
  });

  it('reports a non-finite and a non-positive adjusted close', () => {
    const adj = BASE.map((bar) => bar[4]);
    adj[2] = Number.NaN;
    adj[3] = 0;
    const findings = validateSeries(seriesOf('TEST', BASE, adj));
    expect(findings.map(brief)).toEqual([
      { check: 'non-finite-value', severity: 'error', field: 'adjClose', time: timeOf(2) },
      { check: 'non-positive-price', severity: 'error', field: 'adjClose', time: timeOf(3) },
    ]);
  });

  it('reports one non-finite-value per field of a bar, in field order', () => {
    const findings = validateSeries(seriesOf('TEST', patchBar(BASE, 5, { open: Number.NaN, low: Number.NEGATIVE_INFINITY })));
    expect(findings.map((f) => `${f.check}:${f.field}`)).toEqual(['non-finite-value:open', 'non-finite-value:low']);
  });

  it('skips session checks when the calendar is null, and uses the one given', () => {
    const withHoliday = [...BASE.slice(0, 12), [dayMs('2014-01-20'), 100, 101, 99, 100.5, 10] as TestBar, ...BASE.slice(12)];
    expect(validateSeries(seriesOf('TEST', withHoliday), { calendar: null })).toEqual([]);
    expect(validateSeries(seriesOf('TEST', withHoliday), { calendar: WEEKDAY_CALENDAR })).toEqual([]);
    // Against weekdays, the NYSE holiday 2014-01-20 in the clean series is a missing session.
    expect(validateSeries(seriesOf('TEST', BASE), { calendar: WEEKDAY_CALENDAR }).map(brief)).toEqual([
      { check: 'missing-session', severity: 'warning', field: 'time', time: dayMs('2014-01-20') },
    ]);
  });

  it('honours staleRunBars and spikeMadMultiple', () => {
    const fourEqual = BASE.map((bar, i) => (i >= 15 && i <= 18 ? ([bar[0], 90, 91, 89, 90, bar[5]] as TestBar) : bar));
    expect(validateSeries(seriesOf('TEST', fourEqual)).filter((f) => f.check === 'stale-run')).toEqual([]);
    expect(validateSeries(seriesOf('TEST', fourEqual), { staleRunBars: 4 }).filter((f) => f.check === 'stale-run')).toHaveLength(1);
    const jump = seriesOf('TEST', scaleFrom(BASE, 20, 1.3, false));
    expect(validateSeries(jump, { spikeMadMultiple: 1000 }).filter((f) => f.check === 'spike')).toEqual([]);
  });

  it('ignores moves under the 5% floor even when far outside a tiny MAD', () => {
    const calm = BASE.map((bar, i) => {
      const close = 100 + (i % 2) * 0.01 + (i === 20 ? 4 : 0);
      return [bar[0], close, close + 0.5, close - 0.5, close, bar[5]] as TestBar;
    });
    expect(validateSeries(seriesOf('TEST', calm)).filter((f) => f.check === 'spike')).toEqual([]);
  });

  it.each([
    [{ staleRunBars: 1 }, 'staleRunBars'],
    [{ staleRunBars: 2.5 }, 'staleRunBars'],
    [{ spikeMadMultiple: 0 }, 'spikeMadMultiple'],
    [{ spikeMadMultiple: Number.NaN }, 'spikeMadMultiple'],
  ])('rejects option %p with a ConfigError naming %s', (options, key) => {
    expect(() => validateSeries(seriesOf('TEST', BASE), options)).toThrow(ConfigError);
    expect(() => validateSeries(seriesOf('TEST', BASE), options)).toThrow(key);
  });

  it('handles an empty series and a single bar', () => {
    expect(validateSeries(seriesOf('TEST', []))).toEqual([]);
    expect(validateSeries(seriesOf('TEST', BASE.slice(0, 1)))).toEqual([]);
  });

  it('returns frozen findings sorted by time, whole-series findings first', () => {
    const bars = patchBar(patchBar(BASE, 9, { volume: -1 }), 3, { close: 0 });
    const findings = validateSeries(seriesOf('TEST', bars));
    expect(Object.isFrozen(findings)).toBe(true);
    expect(findings.every((f) => Object.isFrozen(f))).toBe(true);
    const times = findings.map((f) => f.time ?? Number.NEGATIVE_INFINITY);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('validateDataset', () => {
  it('summarizes the findings of every series with symbol and bar counts', () => {
    const broken = seriesOf('BAD', patchBar(BASE, 5, { volume: -2 }));
    const report = validateDataset([seriesOf('GOOD', BASE), broken]);
    expect(report.summary.symbols).toBe(2);
    expect(report.summary.bars).toBe(60);
    expect(report.summary.bySeverity).toEqual({ error: 1, warning: 0, info: 0 });
    expect(report.summary.byCheck).toEqual({ 'negative-volume': { error: 1, warning: 0, info: 0 } });
    expect(report.findings[0]?.message).toBe('BAD bar 5 (2014-01-09): volume -2 is negative');
  });

  it('gives an empty report for no series', () => {
    expect(validateDataset([]).summary).toMatchObject({ symbols: 0, bars: 0, findings: 0 });
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'validateSeries on the shared real data (1995-2014)', () => {
  const observe = (fileName: string, symbol: string) => {
    const series = readSharedBarFile(fileName, symbol);
    const report = validateDataset([series]);
    const dated = (check: DataQualityCheck) =>
      report.findings.filter((f) => f.check === check).map((f) => formatIsoTime(f.time ?? 0).slice(0, 10));
    return { series, report, dated };
  };

  it('orcl-1995-2014.txt: no errors, no session gaps; 4 spikes and 1 split-like jump (1999-06-16, a +31% news gap, not a split)', () => {
    const { series, report, dated } = observe('orcl-1995-2014.txt', 'ORCL');
    expect(report.summary.bySeverity).toEqual({ error: 0, warning: 5, info: 0 });
    expect(dated('spike')).toEqual(['1997-12-09', '1999-03-12', '1999-06-16', '2001-03-02']);
    expect(dated('split-like-jump')).toEqual(['1999-06-16']);
    expect(validateDataset([series])).toEqual(report);
  });

  it('yhoo-1996-2014.txt: no errors, no session gaps; 2 spikes and 1 split-like jump (2008-02-01, the +48% takeover bid)', () => {
    const { series, report, dated } = observe('yhoo-1996-2014.txt', 'YHOO');
    expect(report.summary.bySeverity).toEqual({ error: 0, warning: 3, info: 0 });
    expect(dated('spike')).toEqual(['2006-07-19', '2008-02-01']);
    expect(dated('split-like-jump')).toEqual(['2008-02-01']);
    expect(validateDataset([series])).toEqual(report);
  });

  it('nvda-1999-2014.txt: no errors, no session gaps; 6 spikes and 1 split-like jump (2003-05-09, a +33% news gap)', () => {
    const { series, report, dated } = observe('nvda-1999-2014.txt', 'NVDA');
    expect(report.summary.bySeverity).toEqual({ error: 0, warning: 7, info: 0 });
    expect(dated('spike')).toEqual(['2000-03-07', '2000-03-14', '2002-07-31', '2003-05-09', '2004-08-06', '2008-07-03']);
    expect(dated('split-like-jump')).toEqual(['2003-05-09']);
    expect(validateDataset([series])).toEqual(report);
  });
});

describe('validateSeries: one-bar moves (large-move)', () => {
  const bars: TestBar[] = [
    ['2014-01-02', 10, 11, 9, 10, 100],
    ['2014-01-03', 10, 11, 9, 10, 100],
    ['2014-01-06', 10, 16.5, 9, 16, 100],
    ['2014-01-07', 16, 17, 4, 5, 100],
  ];
  const moves = (findings: readonly DataQualityFinding[]) => findings.filter((f) => f.check === 'large-move');

  it('reports an error for each close-to-close move beyond 50% by default, up and down', () => {
    const found = moves(validateSeries(seriesOf('JUMP', bars), { calendar: null }));
    expect(found.map((f) => [f.severity, formatIsoTime(f.time as number).slice(0, 10), f.field])).toEqual([
      ['error', '2014-01-06', 'close'],
      ['error', '2014-01-07', 'close'],
    ]);
    expect(found[0]?.message).toBe(
      'JUMP bar 2 (2014-01-06): close 16 after 10 is a 60.00% move in one bar, beyond 50.00%, and no split explains it (no adjusted close to show one)',
    );
    expect(found[1]?.message).toMatch(/close 5 after 16 is a -68.75% move/);
  });

  it('takes the threshold from maxBarMovePct and refuses an invalid one', () => {
    expect(moves(validateSeries(seriesOf('JUMP', bars), { calendar: null, maxBarMovePct: 65 })).length).toBe(1);
    expect(moves(validateSeries(seriesOf('JUMP', bars), { calendar: null, maxBarMovePct: 80 }))).toEqual([]);
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => validateSeries(seriesOf('JUMP', bars), { maxBarMovePct: bad })).toThrow(ConfigError);
    }
  });

  it('accepts a move the adjusted close explains (a recorded split) and names one it does not', () => {
    const split: TestBar[] = [
      ['2014-01-02', 30, 31, 29, 30, 100],
      ['2014-01-03', 10, 10.5, 9.5, 10, 100],
    ];
    expect(moves(validateSeries(seriesOf('SPLIT', split, [10, 10]), { calendar: null }))).toEqual([]);
    const unexplained = moves(validateSeries(seriesOf('SPLIT', split, [30, 10]), { calendar: null }));
    expect(unexplained.map((f) => f.message)).toEqual([
      'SPLIT bar 1 (2014-01-03): close 10 after 30 is a -66.67% move in one bar, beyond 50.00%, and no split explains it (the adjusted close moved as much); the ratio is near a 1/3 split: adjust the data for it',
    ]);
  });

  itWithData('finds no large move in the real ORCL, YHOO and NVDA files (largest one-day moves: +41%, +48%, -35%)', () => {
    for (const name of ['orcl-1995-2014.txt', 'yhoo-1996-2014.txt', 'nvda-1999-2014.txt']) {
      expect(moves(validateSeries(readSharedBarFile(name, name.slice(0, 4).toUpperCase())))).toEqual([]);
    }
  });
});

describe('validateSeries: the cost of a clean series', () => {
  it('formats no date and no message for a clean series: only findings are described', () => {
    const series = seriesOf('CLEAN', cleanBars(3000));
    const toIsoString = jest.spyOn(Date.prototype, 'toISOString');
    try {
      expect(validateSeries(series, { calendar: NYSE_CALENDAR })).toEqual([]);
      expect(toIsoString).not.toHaveBeenCalled();
      // One bad bar: its findings are described, and nothing else.
      const broken = { ...series, high: Float64Array.from(series.high, (h, i) => (i === 1500 ? 0.5 : h)) };
      const findings = validateSeries(broken, { calendar: NYSE_CALENDAR });
      expect(findings.map((f) => f.check)).toEqual(['high-below-open-close']);
      expect(toIsoString).toHaveBeenCalledTimes(1);
    } finally {
      toIsoString.mockRestore();
    }
  });
});
