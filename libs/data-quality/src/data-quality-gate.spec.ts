import type { EpochMs } from '@quantbot/core';
import { DataError } from '@quantbot/core';
import type { BarSource, BarSourceProblem } from './data-quality-gate';
import { DataQualityError, applyDataQuality } from './data-quality-gate';
import { cleanBars, dayMs, seriesOf } from './test-series.spec-helper';

const FILE = 'bars/acme.csv';

/** A clean series read from FILE (line = bar + 2) with `problems` from its reader. */
function sourced(problems: readonly BarSourceProblem[], change?: (bars: ReturnType<typeof cleanBars>) => void) {
  const bars = cleanBars(8);
  change?.(bars);
  const series = seriesOf('ACME', bars);
  const source: BarSource = { file: FILE, series, lines: Int32Array.from({ length: series.length }, (_, i) => i + 2), problems };
  return { series, source };
}

const duplicate: BarSourceProblem = Object.freeze({
  kind: 'duplicate-timestamp',
  file: FILE,
  line: 5,
  field: 'Date',
  date: '2014-01-06',
  time: dayMs('2014-01-06') as EpochMs,
  message: "duplicate date '2014-01-06' (line 4 has '2014-01-06'); dates must strictly increase",
  resolution: 'line 4 dropped: the last row written for a date is kept',
});
const zeroClose: BarSourceProblem = Object.freeze({
  kind: 'non-positive-price',
  file: FILE,
  line: 9,
  field: 'Close',
  date: '2014-01-10',
  time: dayMs('2014-01-10') as EpochMs,
  message: 'Close 0 is not a positive price',
  resolution: 'row left out',
});

function refusal(action: () => unknown): DataQualityError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof DataQualityError) return error;
    throw error;
  }
  throw new Error('expected a DataQualityError');
}

describe('applyDataQuality with bar sources', () => {
  it('warn: a duplicate row is a warning saying how it was resolved, with file and line', () => {
    const { series, source } = sourced([duplicate]);
    const { outcome } = applyDataQuality([series], { mode: 'warn', calendar: null, sources: [source] });
    expect(outcome.report?.findings).toEqual([
      expect.objectContaining({
        check: 'duplicate-timestamp',
        severity: 'warning',
        file: FILE,
        line: 5,
        message: "ACME duplicate date '2014-01-06' (line 4 has '2014-01-06'); resolved: line 4 dropped: the last row written for a date is kept",
      }),
    ]);
  });

  it.each(['off', 'warn'] as const)('%s: a row problem no mode can resolve refuses the data, listing all of them', (mode) => {
    const { series, source } = sourced([duplicate, zeroClose]);
    const error = refusal(() => applyDataQuality([series], { mode, calendar: null, sources: [source] }));
    expect(error).toBeInstanceOf(DataError);
    const expected = mode === 'off' ? [5, 9] : [9];
    expect(error.findings.map((f) => f.line)).toEqual(expected);
    expect(error.message).toContain(`  ${FILE}:9 2014-01-10 Close: ACME Close 0 is not a positive price`);
  });

  it('strict: lists the row problems and the checks\' errors together, each with file, line and date', () => {
    const { series, source } = sourced([duplicate, zeroClose], (bars) => {
      const bar = bars[3] as (typeof bars)[number];
      bars[3] = [bar[0], bar[1], bar[2], bar[3], bar[4] * 1.8, bar[5]];
    });
    const error = refusal(() => applyDataQuality([series], { mode: 'strict', calendar: null, sources: [source] }));
    expect(error.findings.map((f) => [f.check, f.file, f.line])).toEqual([
      ['duplicate-timestamp', FILE, 5],
      ['high-below-open-close', FILE, 5],
      ['large-move', FILE, 5],
      ['non-positive-price', FILE, 9],
    ]);
    expect(error.message.split('\n')[0]).toBe('field data-quality: data quality is strict and the data has 4 error(s):');
  });

  it('passes maxBarMovePct to the checks', () => {
    const { series, source } = sourced([], (bars) => {
      const bar = bars[3] as (typeof bars)[number];
      bars[3] = [bar[0], bar[1], bar[2] * 2, bar[3], bar[4] * 1.8, bar[5]];
    });
    expect(() => applyDataQuality([series], { mode: 'strict', calendar: null, sources: [source] })).toThrow(DataQualityError);
    expect(() => applyDataQuality([series], { mode: 'strict', calendar: null, sources: [source], maxBarMovePct: 90 })).not.toThrow();
  });
});
