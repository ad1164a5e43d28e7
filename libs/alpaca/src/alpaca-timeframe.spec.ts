import { ConfigError } from '@quantbot/core';
import { parseAlpacaTimeframe } from './alpaca-timeframe';

describe('parseAlpacaTimeframe', () => {
  it.each([
    ['1Min', '1Min', false],
    ['5Min', '5Min', false],
    ['15T', '15Min', false],
    ['59Min', '59Min', false],
    ['1Hour', '1Hour', false],
    ['4H', '4Hour', false],
    ['23Hour', '23Hour', false],
    ['1Day', '1Day', true],
    ['1D', '1Day', true],
    ['1Week', '1Week', true],
    ['1W', '1Week', true],
    ['1Month', '1Month', true],
    ['6M', '6Month', true],
    ['12Month', '12Month', true],
  ])('accepts %s as %s', (text, canonical, isDaily) => {
    const timeframe = parseAlpacaTimeframe(text);
    expect(timeframe.text).toBe(canonical);
    expect(timeframe.isDaily).toBe(isDaily);
  });

  it.each(['', '1min', '60Min', '0Min', '24Hour', '2Day', '2Week', '5Month', '1Sec', 'Day', '1 Day', '01Min', '1Days', 'daily'])(
    'rejects %p with a ConfigError naming the value',
    (text) => {
      expect(() => parseAlpacaTimeframe(text)).toThrow(ConfigError);
      expect(() => parseAlpacaTimeframe(text)).toThrow(`timeframe: '${text}' is not an Alpaca timeframe`);
    },
  );
});
