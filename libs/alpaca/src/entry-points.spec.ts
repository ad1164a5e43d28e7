import * as alpaca from './index';
import * as fake from './fake';

describe('@quantbot/alpaca entry points', () => {
  it('the main entry ships no part of the fake', () => {
    expect(Object.keys(alpaca).filter((name) => /fake/i.test(name) || name === 'clockWire' || name === 'routeMarketData')).toEqual([]);
  });

  it('@quantbot/alpaca/fake has the fake trading server, the fake market data and the replay', () => {
    expect(Object.keys(fake).sort()).toEqual(
      ['ALPACA_RATE_LIMIT_PER_MINUTE', 'FAKE_FAULT_NAMES', 'FAKE_FILL_MODES', 'FAKE_STREAM_KINDS', 'FakeBarStore', 'applyFakeFault', 'FakeMarketReplay', 'FakeReplayError', 'SEEDED_MINUTE_DAY_OPEN', 'clockWire', 'routeMarketData', 'seededMinuteDay', 'startFakeAlpacaServer', 'startFakeMarketDataServer'].sort(),
    );
  });
});
