import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, DataError } from '@quantbot/core';
import { NYSE_CALENDAR, WEEKDAY_CALENDAR } from '@quantbot/data-quality';
import { backtestInputFromRunSummary, parseBacktestInput, runParameters } from './backtest-evidence';
import { parseExperimentInput } from './experiment-input';
import { calendarDaysBetween, isCalendarDate, latestPaperStreak, parsePaperDays } from './paper-days';
import { parseReviewInput } from './review-input';
import { overfitRatioOf, parseValidationInput, parseWalkForwardArtifact } from './walk-forward-evidence';

const ARTIFACT_FILE = resolve(__dirname, '../test/fixtures/walk-forward-artifact.json');
const artifact = (): Record<string, unknown> & { overall: Record<string, unknown>; folds: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(ARTIFACT_FILE, 'utf8')) as Record<string, unknown> & { overall: Record<string, unknown>; folds: Record<string, unknown>[] };

const DIGEST = '0f'.repeat(32);

describe('walk-forward artifacts', () => {
  it('reads per-fold IS/OOS metrics, the overfit ratio, the verdict and the weakest fold’s DSR and PBO', () => {
    const input = parseWalkForwardArtifact(artifact(), { file: ARTIFACT_FILE });
    expect(input).toMatchObject({ kind: 'walk-forward', source: ARTIFACT_FILE, strategy: 'sma-crossover', overfitRatioStatus: 'finite', passed: true, reasons: [], trials: 27 });
    expect(input.meanIsSharpe).toBeCloseTo(1.2333, 4);
    expect(input.meanOosSharpe).toBeCloseTo(0.9, 12);
    expect(input.overfitRatio).toBeCloseTo(1.37037, 5);
    expect(input.deflatedSharpe).toBe(0.91); // the lowest fold DSR; fold 2 has none
    expect(input.pbo).toBe(0.25); // the highest fold PBO
    expect(input.folds.map((f) => [f.index, f.inSample.sharpe, f.outOfSample.sharpe, f.trials, f.deflatedSharpe])).toEqual([
      [0, 1.4, 0.9, 9, 0.97],
      [1, 1.1, 0.8, 9, 0.91],
      [2, 1.2, 1, 9, null],
    ]);
    expect(input.folds[0]?.outOfSample).toEqual({ sharpe: 0.9, totalReturn: 0.08, maxDrawdownPct: 4.1, closedTrades: 18 });
    expect(input.artifact).toEqual(artifact());
  });

  it('reads overfitRatio null with status "infinite" as Infinity', () => {
    const doc = artifact();
    Object.assign(doc.overall, { meanOosSharpe: -0.1, overfitRatio: null, overfitRatioStatus: 'infinite', pass: false, reasons: ['overfit ratio is infinite'] });
    const input = parseWalkForwardArtifact(doc);
    expect(input).toMatchObject({ overfitRatio: Number.POSITIVE_INFINITY, overfitRatioStatus: 'infinite', passed: false, reasons: ['overfit ratio is infinite'] });
  });

  it.each([
    ['schemaVersion', (d: ReturnType<typeof artifact>) => (d['schemaVersion'] = 2), 'field schemaVersion: must be 1'],
    ['kind', (d: ReturnType<typeof artifact>) => (d['kind'] = 'sweep'), "field kind: must be 'walk-forward', got \"sweep\""],
    ['a fold Sharpe', (d: ReturnType<typeof artifact>) => ((d.folds[1]?.['outOfSample'] as Record<string, unknown>)['sharpe'] = 'high'), 'field folds[1].outOfSample.sharpe: must be a finite number or null, got "high"'],
    ['a missing fold side', (d: ReturnType<typeof artifact>) => delete d.folds[2]?.['inSample'], 'field folds[2].inSample: must be a JSON object, got nothing'],
    ['a DSR above 1', (d: ReturnType<typeof artifact>) => (((d.folds[0]?.['statistics'] as Record<string, Record<string, unknown>>)['deflatedSharpe'] as Record<string, unknown>)['value'] = 3), 'field folds[0].statistics.deflatedSharpe.value: must be at most 1, got 3'],
    ['the means', (d: ReturnType<typeof artifact>) => delete d.overall['meanOosSharpe'], 'field overall.meanOosSharpe: must be a finite number or null, got nothing'],
    ['a finite status without a ratio', (d: ReturnType<typeof artifact>) => (d.overall['overfitRatio'] = null), "field overall.overfitRatio: must be a number when overall.overfitRatioStatus is 'finite'"],
    ['an unknown status', (d: ReturnType<typeof artifact>) => (d.overall['overfitRatioStatus'] = 'huge'), "field overall.overfitRatioStatus: must be one of 'finite', 'infinite', 'no-in-sample-edge', got \"huge\""],
    ['no folds', (d: ReturnType<typeof artifact>) => (d['folds'] = []), 'field folds: must hold at least one fold'],
  ])('refuses a bad %s with a DataError naming the file and field', (_title, breakIt, message) => {
    const doc = artifact();
    breakIt(doc);
    expect(() => parseWalkForwardArtifact(doc, { file: 'wf.json' })).toThrow(DataError);
    expect(() => parseWalkForwardArtifact(doc, { file: 'wf.json' })).toThrow(`wf.json, ${message}`);
  });
});

describe('validation payloads', () => {
  it('computes the overfit ratio from the means with the walk-forward rules', () => {
    expect(overfitRatioOf(1.5, 0.5)).toEqual({ ratio: 3, status: 'finite' });
    expect(overfitRatioOf(1.5, 0)).toEqual({ ratio: Number.POSITIVE_INFINITY, status: 'infinite' });
    expect(overfitRatioOf(1.5, null)).toEqual({ ratio: Number.POSITIVE_INFINITY, status: 'infinite' });
    expect(overfitRatioOf(0, 0.5)).toEqual({ ratio: null, status: 'no-in-sample-edge' });
    expect(overfitRatioOf(null, 0.5)).toEqual({ ratio: null, status: 'no-in-sample-edge' });
  });

  it('takes the short form, computing means from folds (a null Sharpe counts as 0)', () => {
    const input = parseValidationInput({ folds: [{ inSample: { sharpe: 1.2 }, outOfSample: { sharpe: null } }, { inSample: { sharpe: 0.8 }, outOfSample: { sharpe: 0.6 } }], pbo: 0.2 });
    expect(input).toMatchObject({ meanIsSharpe: 1, meanOosSharpe: 0.3, overfitRatioStatus: 'finite', pbo: 0.2, deflatedSharpe: null, artifact: null, trials: null });
    expect(input.overfitRatio).toBeCloseTo(3.3333, 4);
  });

  it('recognizes a whole walk-forward artifact given as a payload', () => {
    expect(parseValidationInput(artifact()).artifact).not.toBeNull();
  });

  it('refuses unknown and missing fields with a ConfigError naming them under the label', () => {
    expect(() => parseValidationInput({ meanIsSharpe: 1, meanOosSharp: 0.5 }, { label: 'payload' })).toThrow(ConfigError);
    expect(() => parseValidationInput({ meanIsSharpe: 1, meanOosSharp: 0.5 }, { label: 'payload' })).toThrow('payload.meanOosSharp: unknown field');
    expect(() => parseValidationInput({ meanIsSharpe: 1 }, { label: 'payload' })).toThrow('payload.meanOosSharpe: is required');
    expect(() => parseValidationInput({ meanIsSharpe: 1, meanOosSharpe: 1, pbo: 1.5 })).toThrow('pbo: must be at most 1, got 1.5');
  });
});

describe('backtest evidence', () => {
  const summary = {
    schemaVersion: 1,
    summary: { strategy: 'sma-crossover', sharpe: 0.2182, totalReturn: 0.0265, maxDrawdownPct: 2.297, closedTrades: 97, cagr: 0.0013, sortino: null, bars: 5036 },
    dataQuality: { mode: 'warn', report: { summary: { bySeverity: { error: 0, warning: 5, info: 0 } } } },
    lookahead: { passed: true, comparedDecisions: 2308 },
  };

  it('reads a run summary: headline metrics, others present, data-quality errors and the lookahead verdict', () => {
    const input = backtestInputFromRunSummary({ runId: '20240101T000000Z-abc', digest: DIGEST, digestVerified: true, summary });
    expect(input).toEqual({
      runId: '20240101T000000Z-abc',
      digest: DIGEST,
      digestVerified: true,
      metrics: { sharpe: 0.2182, totalReturn: 0.0265, maxDrawdownPct: 2.297, closedTrades: 97, extra: { cagr: 0.0013, sortino: null, bars: 5036 } },
      dataQualityErrors: 0,
      lookaheadPassed: true,
    });
  });

  it('reads a run without data-quality report or lookahead check as null for both', () => {
    const input = backtestInputFromRunSummary({ runId: 'r', digest: DIGEST, digestVerified: false, summary: { summary: summary.summary } });
    expect([input.dataQualityErrors, input.lookaheadPassed]).toEqual([null, null]);
  });

  it('names the file and field of a malformed summary', () => {
    const bad = { ...summary, dataQuality: { report: { summary: { bySeverity: { error: 'none' } } } } };
    expect(() => backtestInputFromRunSummary({ runId: 'r', digest: DIGEST, digestVerified: true, summary: bad }, { file: 'runs/r/summary.json' })).toThrow(
      'runs/r/summary.json, field dataQuality.report.summary.bySeverity.error: must be a finite number or null, got "none"',
    );
  });

  it('checks a payload, defaulting digestVerified to false and refusing a bad digest or unknown field', () => {
    const payload = { runId: 'r-1', digest: DIGEST, metrics: { sharpe: 1, totalReturn: 0.1, maxDrawdownPct: 3, closedTrades: 5, turnover: 2 }, dataQualityErrors: 0, lookaheadPassed: null };
    expect(parseBacktestInput(payload)).toMatchObject({ digestVerified: false, lookaheadPassed: null, metrics: { extra: { turnover: 2 } } });
    expect(() => parseBacktestInput({ ...payload, digest: 'abc' }, { label: 'payload' })).toThrow('payload.digest: must be 64 lower-case hex digits');
    expect(() => parseBacktestInput({ ...payload, lookahead: true }, { label: 'payload' })).toThrow('payload.lookahead: unknown field');
    expect(() => parseBacktestInput({ ...payload, metrics: { sharpe: 1 } })).toThrow('metrics.totalReturn: must be a finite number or null, got nothing');
    expect(() => parseBacktestInput({ ...payload, lookaheadPassed: undefined })).toThrow('lookaheadPassed: is required');
  });

  it('reads the strategy and its parameters from a run manifest, leaving out data, cash and execution', () => {
    expect(runParameters({ data: 'x.txt', strategy: 'sma-crossover', params: { fast: 10, slow: 30 }, cash: 1e5 })).toEqual({ strategy: 'sma-crossover', params: { fast: 10, slow: 30 }, strategyFileSha256: null });
    expect(runParameters(null)).toEqual({ strategy: null, params: null, strategyFileSha256: null });
    expect(runParameters({ strategy: 's', params: [1] })).toEqual({ strategy: 's', params: null, strategyFileSha256: null });
    // A run of a strategy file: its manifest records the file's hash beside the parameters.
    const sha = 'ab'.repeat(32);
    expect(runParameters({ strategy: 'my-breakout', strategyFile: { path: './my-breakout.ts', sha256: sha }, params: { lookback: 20 } })).toEqual({
      strategy: 'my-breakout',
      params: { lookback: 20 },
      strategyFileSha256: sha,
    });
  });
});

describe('paper days', () => {
  const day = { date: '2024-01-02', dailyPnl: 10, qualityScore: 90, averageSlippageBps: 3, fillRate: 0.99, drawdownPct: 0.5 };

  it('accepts one day, an array, or { days }', () => {
    expect(parsePaperDays(day)).toEqual([{ ...day, equity: null }]);
    expect(parsePaperDays([day, { ...day, date: '2024-01-03' }]).map((d) => d.date)).toEqual(['2024-01-02', '2024-01-03']);
    expect(parsePaperDays({ days: [day] })).toHaveLength(1);
  });

  it.each([
    [{ ...day, date: '2024-02-30' }, 'date: must be a calendar date YYYY-MM-DD, got "2024-02-30"'],
    [{ ...day, fillRate: 1.1 }, 'fillRate: must be at most 1, got 1.1'],
    [{ ...day, qualityScore: -1 }, 'qualityScore: must be at least 0, got -1'],
    [{ ...day, drawdownPct: undefined }, 'drawdownPct: is required: a finite number, got nothing'],
    [{ ...day, pnl: 1 }, 'pnl: unknown field'],
    [{ days: [day, day] }, 'days[1].date: 2024-01-02 is given twice (also day #1)'],
    [{ days: [day, { ...day, date: '2024-01-03', fillRate: 'all' }] }, 'days[1].fillRate: is required: a finite number, got "all"'],
    [{ days: [] }, 'days: must hold at least one day'],
  ])('refuses %p naming the field', (value, message) => {
    expect(() => parsePaperDays(value, { label: 'payload' })).toThrow(ConfigError);
    expect(() => parsePaperDays(value, { label: 'payload' })).toThrow(`payload.${message}`);
  });

  it('knows calendar dates and counts calendar days between them', () => {
    expect([isCalendarDate('2024-02-29'), isCalendarDate('2023-02-29'), isCalendarDate('2024-1-02')]).toEqual([true, false, false]);
    expect(calendarDaysBetween('2024-01-05', '2024-01-08')).toBe(3);
    expect(calendarDaysBetween('2024-03-29', '2024-04-02')).toBe(4);
  });

  it('finds the latest run of consecutive NYSE trading days, in any input order: holidays and weekends do not break it, a missed session does', () => {
    // 2024-01-15 is Martin Luther King Jr. Day: Fri 01-12 → Tue 01-16 is consecutive; 01-10 → 01-12 skips Thursday 01-11.
    const dates = ['2024-01-12', '2024-01-02', '2024-01-03', '2024-01-10', '2024-01-16', '2024-01-17'];
    expect(latestPaperStreak(dates.map((date) => ({ date })), NYSE_CALENDAR).map((d) => d.date)).toEqual(['2024-01-12', '2024-01-16', '2024-01-17']);
    // July 4th 2024 (a Thursday) is closed: Wed 07-03 → Fri 07-05 is consecutive.
    expect(latestPaperStreak([{ date: '2024-07-05' }, { date: '2024-07-03' }], NYSE_CALENDAR)).toHaveLength(2);
    // Every weekday would count 07-04 as a missed session.
    expect(latestPaperStreak([{ date: '2024-07-05' }, { date: '2024-07-03' }], WEEKDAY_CALENDAR)).toHaveLength(1);
    expect(latestPaperStreak([], NYSE_CALENDAR)).toEqual([]);
  });
});

describe('experiment and review payloads', () => {
  it('checks experiments and reviews, naming the field', () => {
    expect(parseExperimentInput({ strategy: ' s ', hypothesis: 'h', owner: 'o' })).toEqual({ strategy: 's', hypothesis: 'h', owner: 'o' });
    expect(() => parseExperimentInput({ strategy: 's', hypothesis: 'h' }, { label: 'payload' })).toThrow('payload.owner: is required: a non-empty string, got nothing');
    expect(() => parseExperimentInput({ strategy: 's', hypothesis: 'h', owner: 'o', team: 'x' })).toThrow('team: unknown field');
    expect(parseReviewInput({ decision: 'changes-requested', reviewer: 'bob' })).toEqual({ decision: 'changes-requested', reviewer: 'bob', comment: null });
    expect(() => parseReviewInput({ decision: 'ok', reviewer: 'bob' })).toThrow("decision: must be one of 'approved', 'changes-requested', got \"ok\"");
  });
});
