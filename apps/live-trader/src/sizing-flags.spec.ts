import { ConfigError } from '@quantbot/core';
import { sizingOf } from './sizing-flags';

describe('live-trader run --sizing / --sizing-pct', () => {
  it('sizes 10% of the cash left by default, as before', () => {
    expect(sizingOf({})).toEqual({ kind: 'percent-of-cash', percent: 10 });
  });

  it('takes the backtester\'s rule names', () => {
    expect(sizingOf({ sizing: 'percent-of-equity', 'sizing-pct': 20 })).toEqual({ kind: 'percent-of-equity', percent: 20 });
    expect(sizingOf({ sizing: 'percent-of-cash', 'sizing-pct': 5 })).toEqual({ kind: 'percent-of-cash', percent: 5 });
  });

  it.each([
    [{ sizing: 'percent-of-everything' }, /^--sizing: unknown rule 'percent-of-everything'; available: percent-of-cash, percent-of-equity$/],
    [{ 'sizing-pct': 0 }, /^--sizing-pct: must be in \(0, 100\], got 0$/],
    [{ sizing: 'percent-of-equity', 'sizing-pct': 150 }, /^--sizing-pct: must be in \(0, 100\], got 150$/],
  ])('refuses %j, naming the flag', (flags, message) => {
    expect(() => sizingOf(flags)).toThrow(ConfigError);
    expect(() => sizingOf(flags)).toThrow(message);
  });
});
