import { ConfigError, DataError } from '@quantbot/core';
import { decideHalt } from './halt-decision';
import { validateDataset } from './ohlcv-validator';
import type { TestBar } from './test-series.spec-helper';
import { cleanBars, seriesOf } from './test-series.spec-helper';

const HOUR = 3_600_000;
const BASE = cleanBars(20); // 2014-01-02 .. 2014-01-30
const LAST_TIME = BASE[19]?.[0] as number;
/** The evening after the last session: the last bar is 22 hours old. */
const NOW = LAST_TIME + 22 * HOUR;
const ORCL = seriesOf('ORCL', BASE);
const YHOO = seriesOf('YHOO', BASE);

/** `BASE` with the last close moved by `factor` (high and low widened to stay consistent). */
function withLastCloseTimes(factor: number): TestBar[] {
  return BASE.map((bar, i) => {
    if (i !== BASE.length - 1) return bar;
    const close = bar[4] * factor;
    return [bar[0], bar[1], Math.max(bar[2], close), Math.min(bar[3], close), close, bar[5]];
  });
}

describe('decideHalt', () => {
  it('does not halt on fresh, calm, clean data', () => {
    const report = validateDataset([ORCL, YHOO]);
    expect(decideHalt({ bars: [ORCL, YHOO], heldSymbols: ['ORCL', 'YHOO'], now: NOW, report })).toEqual({ halt: false, reasons: [] });
  });

  it('halts on a stale feed: the last bar is older than maxStalenessMs', () => {
    const decision = decideHalt({ bars: [ORCL], heldSymbols: ['ORCL'], now: LAST_TIME + 5 * 24 * HOUR });
    expect(decision.halt).toBe(true);
    expect(decision.reasons).toEqual([
      {
        symbol: 'ORCL',
        reason: 'stale-feed',
        message: 'ORCL: last bar at 2014-01-30T00:00:00.000Z is 120.0 h old at 2014-02-04T00:00:00.000Z (limit 96.0 h)',
      },
    ]);
    expect(decideHalt({ bars: [ORCL], heldSymbols: ['ORCL'], now: NOW, maxStalenessMs: 12 * HOUR }).reasons[0]?.reason).toBe('stale-feed');
  });

  it('halts on a stale feed when a held symbol has no bars at all', () => {
    expect(decideHalt({ bars: [ORCL], heldSymbols: ['NVDA'], now: NOW }).reasons).toEqual([
      { symbol: 'NVDA', reason: 'stale-feed', message: 'NVDA: held but no bars in the feed' },
    ]);
  });

  it.each([1.3, 0.7])('halts on a price spike when the last close moves by a factor of %p', (factor) => {
    const spiky = seriesOf('ORCL', withLastCloseTimes(factor));
    const decision = decideHalt({ bars: [spiky], heldSymbols: ['ORCL'], now: NOW });
    expect(decision.reasons.map((r) => r.reason)).toEqual(['price-spike']);
    expect(decision.reasons[0]?.message).toMatch(/^ORCL: last close [\d.]+ moved -?\d+\.\d\d% from [\d.]+ \(limit 25\.00%\)$/);
  });

  it('does not halt on a move within spikeReturn, and honours a tighter limit', () => {
    const moved = seriesOf('ORCL', withLastCloseTimes(1.2));
    expect(decideHalt({ bars: [moved], heldSymbols: ['ORCL'], now: NOW }).halt).toBe(false);
    expect(decideHalt({ bars: [moved], heldSymbols: ['ORCL'], now: NOW, spikeReturn: 0.1 }).halt).toBe(true);
  });

  it('halts on an error finding in the last 5 bars of a held symbol', () => {
    const broken = seriesOf('ORCL', BASE.map((bar, i) => (i === 16 ? ([bar[0], bar[1], bar[2], bar[3], bar[4], -1] as TestBar) : bar)));
    const report = validateDataset([broken]);
    const decision = decideHalt({ bars: [broken], heldSymbols: ['ORCL'], now: NOW, report });
    expect(decision.reasons.map((r) => r.reason)).toEqual(['data-error']);
    expect(decision.reasons[0]?.message).toContain('negative-volume: ORCL bar 16 (2014-01-27): volume -1 is negative');
  });

  it('ignores error findings older than the last 5 bars, and warnings', () => {
    const broken = seriesOf('ORCL', BASE.map((bar, i) => (i === 14 ? ([bar[0], bar[1], bar[2], bar[3], bar[4], -1] as TestBar) : bar)));
    const gappy = seriesOf('YHOO', BASE.filter((_, i) => i !== 18));
    const report = validateDataset([broken, gappy]);
    expect(report.summary.bySeverity).toMatchObject({ error: 1, warning: 1 });
    expect(decideHalt({ bars: [broken, gappy], heldSymbols: ['ORCL', 'YHOO'], now: NOW, report }).halt).toBe(false);
  });

  it('never halts for symbols that are not held, whatever their data', () => {
    const spiky = seriesOf('YHOO', withLastCloseTimes(3));
    const report = validateDataset([ORCL, spiky]);
    expect(decideHalt({ bars: [ORCL, spiky], heldSymbols: ['ORCL'], now: LAST_TIME + HOUR, report })).toEqual({ halt: false, reasons: [] });
    expect(decideHalt({ bars: [ORCL, spiky], heldSymbols: [], now: LAST_TIME + 100 * 24 * HOUR }).halt).toBe(false);
  });

  it('treats an unusable last bar as a data error (close not positive, time after now)', () => {
    const zero = seriesOf('ORCL', BASE.map((bar, i) => (i === 19 ? ([bar[0], bar[1], bar[2], 0, 0, bar[5]] as TestBar) : bar)));
    expect(decideHalt({ bars: [zero], heldSymbols: ['ORCL'], now: NOW }).reasons.map((r) => r.message)).toEqual(['ORCL: last close is 0']);
    expect(decideHalt({ bars: [ORCL], heldSymbols: ['ORCL'], now: LAST_TIME - HOUR }).reasons.map((r) => r.reason)).toEqual(['data-error']);
  });

  it('lists every reason, held symbols in order and each once, and is deterministic and frozen', () => {
    const spiky = seriesOf('YHOO', withLastCloseTimes(2));
    const input = { bars: [ORCL, spiky], heldSymbols: ['YHOO', 'ORCL', 'YHOO'], now: LAST_TIME + 10 * 24 * HOUR };
    const decision = decideHalt(input);
    expect(decision.reasons.map((r) => `${r.symbol}:${r.reason}`)).toEqual(['YHOO:stale-feed', 'YHOO:price-spike', 'ORCL:stale-feed']);
    expect(decideHalt(input)).toEqual(decision);
    expect(Object.isFrozen(decision)).toBe(true);
    expect(Object.isFrozen(decision.reasons)).toBe(true);
  });

  it('rejects invalid options and two series of one symbol', () => {
    expect(() => decideHalt({ bars: [], heldSymbols: [], now: Number.NaN })).toThrow(ConfigError);
    expect(() => decideHalt({ bars: [], heldSymbols: [], now: NOW, maxStalenessMs: 0 })).toThrow('maxStalenessMs');
    expect(() => decideHalt({ bars: [], heldSymbols: [], now: NOW, spikeReturn: -1 })).toThrow('spikeReturn');
    expect(() => decideHalt({ bars: [ORCL, ORCL], heldSymbols: [], now: NOW })).toThrow(DataError);
  });
});
