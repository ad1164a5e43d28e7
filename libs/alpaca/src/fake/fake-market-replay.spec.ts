import type { BarUniverse, Ticker } from '@quantbot/core';
import { ConfigError, DataError, SeededRng } from '@quantbot/core';
import { AlpacaClient } from '../alpaca-client';
import { startFakeAlpacaServer } from './fake-alpaca-server';
import { clockWire } from './fake-market-clock';
import type { FakeAlpacaServer, FakeBar } from './fake-alpaca-server';
import { FakeMarketReplay, FakeReplayError } from './fake-market-replay';
import type { FakeReplayScheduler, FakeReplayStep } from './fake-market-replay';
import { AlpacaMarketDataClient } from '../market-data-client';

const KEY = 'PKREPLAYKEY1';
const SECRET = 'replay-secret-161803';
const MINUTE = 60_000;
const DAY = 86_400_000;
/** 09:30 New York on Tuesday 2024-03-05 (EST) and on Wednesday 2024-03-06. */
const TUE = Date.parse('2024-03-05T14:30:00Z');
const WED = Date.parse('2024-03-06T14:30:00Z');

type Cell = Omit<FakeBar, 'time'> | null;

/** A universe from a time axis and a cell function (null: no bar there). */
function makeUniverse(symbols: readonly string[], times: readonly number[], cell: (s: number, k: number) => Cell): BarUniverse {
  const n = symbols.length * times.length;
  const columns = { open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
  const hasBar = new Uint8Array(n);
  symbols.forEach((_, s) => {
    times.forEach((__, k) => {
      const i = s * times.length + k;
      const bar = cell(s, k);
      if (bar === null) {
        for (const column of Object.values(columns)) column[i] = NaN;
        return;
      }
      hasBar[i] = 1;
      columns.open[i] = bar.open;
      columns.high[i] = bar.high;
      columns.low[i] = bar.low;
      columns.close[i] = bar.close;
      columns.volume[i] = bar.volume;
    });
  });
  return { symbols: symbols as readonly Ticker[], length: times.length, time: Float64Array.from(times), hasBar, ...columns };
}

/** Price 100 + 10·symbol + step; open half a dollar below the close. */
const priced = (s: number, k: number): Cell => {
  const close = 100 + 10 * s + k;
  return { open: close - 0.5, high: close + 1, low: close - 1, close, volume: 1_000 };
};

/** Three minute bars on Tuesday and two on Wednesday; BBB has no bar at Tuesday's second minute. */
const TIMES = [TUE, TUE + MINUTE, TUE + 2 * MINUTE, WED, WED + MINUTE];
const twoSessions = (): BarUniverse => makeUniverse(['AAA', 'BBB'], TIMES, (s, k) => (s === 1 && k === 1 ? null : priced(s, k)));

interface Pushed {
  readonly symbol: string;
  readonly bar: FakeBar;
  readonly nowMs: number;
}

/** A stand-in server that records what the replay does. */
function recordingTarget(replay: FakeMarketReplay): { pushed: Pushed[]; sessionEnds: number[]; state: { pushBar(symbol: string, bar: FakeBar): void; endSession(): void } } {
  const pushed: Pushed[] = [];
  const sessionEnds: number[] = [];
  return {
    pushed,
    sessionEnds,
    state: {
      pushBar: (symbol, bar) => pushed.push({ symbol, bar, nowMs: replay.now() }),
      endSession: () => sessionEnds.push(replay.now()),
    },
  };
}

/** A scheduler driven by hand: `fire()` runs the pending task. */
function manualScheduler(): { schedule: FakeReplayScheduler; delays: number[]; fire(): void; readonly pending: boolean } {
  let task: (() => void) | undefined;
  const delays: number[] = [];
  return {
    delays,
    schedule: (next, ms) => {
      task = next;
      delays.push(ms);
      return () => {
        if (task === next) task = undefined;
      };
    },
    fire: () => {
      const run = task;
      task = undefined;
      run?.();
    },
    get pending() {
      return task !== undefined;
    },
  };
}

describe('FakeMarketReplay', () => {
  it('pushes each time step in symbol order, skipping missing bars, with the clock at the bars\' start, then their close', () => {
    const steps: FakeReplayStep[] = [];
    const replay = new FakeMarketReplay({ universe: twoSessions(), onStep: (step) => steps.push(step) });
    const target = recordingTarget(replay);
    replay.attach(target);
    expect([replay.barDurationMs, replay.timeframe, replay.length, replay.position]).toEqual([MINUTE, '1Min', 5, 0]);
    expect(replay.now()).toBe(TUE);
    expect(replay.step()).toEqual({ index: 0, time: TUE, now: TUE + MINUTE, bars: 2, omitted: 0, sessionEnded: false, remaining: 4 });
    expect(target.pushed.map((p) => [p.symbol, p.bar.close, p.nowMs])).toEqual([
      ['AAA', 100, TUE],
      ['BBB', 110, TUE],
    ]);
    expect(target.pushed[0]?.bar).toEqual({ time: TUE, open: 99.5, high: 101, low: 99, close: 100, volume: 1_000 });
    expect(replay.step()?.bars).toBe(1);
    expect(replay.now()).toBe(TUE + 2 * MINUTE);
    while (replay.step() !== null);
    expect(replay.isDone).toBe(true);
    expect(steps.map((s) => [s.index, s.bars, s.sessionEnded])).toEqual([
      [0, 2, false],
      [1, 1, false],
      [2, 2, true],
      [3, 2, false],
      [4, 2, true],
    ]);
    // Day orders expire at each session's close.
    expect(target.sessionEnds).toEqual([TUE + 3 * MINUTE, WED + 2 * MINUTE]);
    expect(replay.now()).toBe(WED + 2 * MINUTE);
    expect(replay.step()).toBeNull();
  });

  it('can leave sessions open (no expiry of day orders)', () => {
    const replay = new FakeMarketReplay({ universe: twoSessions(), endSessions: false });
    const target = recordingTarget(replay);
    replay.attach(target);
    while (replay.step() !== null);
    expect(target.sessionEnds).toEqual([]);
  });

  it('infers the bar duration and timeframe, or takes them, and says when it cannot', () => {
    const days = [0, 1, 4, 5].map((d) => Date.parse('2024-03-01T00:00:00Z') + d * DAY);
    expect(new FakeMarketReplay({ universe: makeUniverse(['A'], days, priced) }).timeframe).toBe('1Day');
    const fives = [0, 5, 10, 20].map((m) => TUE + m * MINUTE);
    expect(new FakeMarketReplay({ universe: makeUniverse(['A'], fives, priced) })).toMatchObject({ barDurationMs: 5 * MINUTE, timeframe: '5Min' });
    const hours = [0, 1, 3].map((h) => TUE + h * 3_600_000);
    expect(new FakeMarketReplay({ universe: makeUniverse(['A'], hours, priced) }).timeframe).toBe('1Hour');
    const single = makeUniverse(['A'], [TUE], priced);
    expect(() => new FakeMarketReplay({ universe: single })).toThrow(/barDurationMs: cannot be inferred/);
    expect(new FakeMarketReplay({ universe: single, barDurationMs: MINUTE }).timeframe).toBe('1Min');
    const odd = makeUniverse(['A'], [TUE, TUE + 90_000], priced);
    expect(() => new FakeMarketReplay({ universe: odd })).toThrow(ConfigError);
    expect(new FakeMarketReplay({ universe: odd, timeframe: '1Min' }).timeframe).toBe('1Min');
    expect(() => new FakeMarketReplay({ universe: makeUniverse(['A'], [], priced) })).toThrow(/no bars/);
  });

  it('refuses a bar a fake server would refuse, naming the symbol and time', () => {
    const bad = makeUniverse(['GOOD', 'BAD'], [TUE, TUE + MINUTE], (s, k) => (s === 1 && k === 1 ? { open: 10, high: 9, low: 11, close: 10, volume: 5 } : priced(s, k)));
    expect(() => new FakeMarketReplay({ universe: bad })).toThrow(DataError);
    expect(() => new FakeMarketReplay({ universe: bad })).toThrow(/symbol BAD: bar at 2024-03-05T14:31:00.000Z/);
  });

  it('is used in order: attach first, once', () => {
    const replay = new FakeMarketReplay({ universe: twoSessions() });
    expect(() => replay.step()).toThrow(FakeReplayError);
    replay.attach(recordingTarget(replay));
    expect(() => replay.attach(recordingTarget(replay))).toThrow(FakeReplayError);
  });

  it('runs on its scheduler, one step per interval, until stopped from onStep, and resumes', async () => {
    const scheduler = manualScheduler();
    let stopAt = 2;
    const replay: FakeMarketReplay = new FakeMarketReplay({
      universe: twoSessions(),
      scheduler: scheduler.schedule,
      onStep: (step) => {
        if (step.index === stopAt) replay.stop();
      },
    });
    replay.attach(recordingTarget(replay));
    const running = replay.run({ intervalMs: 250 });
    expect(replay.isRunning).toBe(true);
    await expect(replay.run({ intervalMs: 250 })).rejects.toThrow(FakeReplayError);
    expect(replay.position).toBe(0); // the first step comes after one interval
    scheduler.fire();
    scheduler.fire();
    expect(replay.position).toBe(2);
    scheduler.fire();
    await running;
    expect(replay.position).toBe(3);
    expect(replay.isRunning).toBe(false);
    expect(scheduler.pending).toBe(false);
    expect(scheduler.delays).toEqual([250, 250, 250]);

    stopAt = -1;
    const rest = replay.run({ intervalMs: 10 });
    scheduler.fire();
    scheduler.fire();
    await rest;
    expect(replay.isDone).toBe(true);
    await replay.run({ intervalMs: 10 }); // nothing left: resolves at once
    await expect(replay.run({ intervalMs: -1 })).rejects.toThrow(ConfigError);
  });

  it('stop() cancels the pending step; a failing step rejects run', async () => {
    const scheduler = manualScheduler();
    const replay = new FakeMarketReplay({ universe: twoSessions(), scheduler: scheduler.schedule });
    let failing = false;
    replay.attach({
      state: {
        pushBar: () => {
          if (failing) throw new RangeError('refused');
        },
        endSession: () => undefined,
      },
    });
    const running = replay.run({ intervalMs: 5 });
    scheduler.fire();
    replay.stop();
    await running;
    expect(scheduler.pending).toBe(false);
    expect(replay.position).toBe(1);
    failing = true;
    const failed = replay.run({ intervalMs: 5 });
    scheduler.fire();
    await expect(failed).rejects.toThrow('refused');
    expect(replay.isRunning).toBe(false);
  });

  it('runs to the end on real timers', async () => {
    const replay = new FakeMarketReplay({ universe: twoSessions() });
    const target = recordingTarget(replay);
    replay.attach(target);
    await replay.run({ intervalMs: 0 });
    expect(target.pushed).toHaveLength(9);
  });

  it('answers the market clock from the replayed sessions', () => {
    const replay = new FakeMarketReplay({ universe: twoSessions() });
    const iso = (ms: number): string => new Date(ms).toISOString();
    expect(replay.clockAt(TUE + MINUTE)).toEqual({ timestamp: iso(TUE + MINUTE), is_open: true, next_open: iso(WED), next_close: iso(TUE + 3 * MINUTE) });
    expect(replay.clockAt(TUE + 3 * MINUTE)).toEqual({ timestamp: iso(TUE + 3 * MINUTE), is_open: false, next_open: iso(WED), next_close: iso(WED + 2 * MINUTE) });
    expect(replay.clockAt(TUE - MINUTE)).toMatchObject({ is_open: false, next_open: iso(TUE), next_close: iso(TUE + 3 * MINUTE) });
    // Past the data: the regular-hours clock gives the next session.
    expect(replay.clockAt(WED + 2 * MINUTE)).toMatchObject({ is_open: false, next_open: '2024-03-07T14:30:00.000Z', next_close: '2024-03-07T21:00:00.000Z' });
    const daily = new FakeMarketReplay({ universe: makeUniverse(['A'], [Date.parse('2024-07-01T00:00:00Z'), Date.parse('2024-07-02T00:00:00Z')], priced) });
    const at = Date.parse('2024-07-01T15:00:00Z');
    expect(daily.clockAt(at)).toEqual(clockWire(at));
    expect(daily.clockAt(at)).toMatchObject({ is_open: true, next_close: '2024-07-01T20:00:00.000Z' }); // EDT
  });

  it('pushes daily bars with Alpaca\'s stamp, 00:00 New York, and ends a session after each', () => {
    const days = [Date.parse('2024-01-02T00:00:00Z'), Date.parse('2024-07-02T00:00:00Z')];
    const replay = new FakeMarketReplay({ universe: makeUniverse(['A'], days, priced), barDurationMs: DAY });
    const target = recordingTarget(replay);
    replay.attach(target);
    replay.step();
    replay.step();
    expect(target.pushed.map((p) => new Date(p.bar.time).toISOString())).toEqual(['2024-01-02T05:00:00.000Z', '2024-07-02T04:00:00.000Z']);
    expect(target.sessionEnds).toHaveLength(2);
    expect(replay.now()).toBe(days[1] as number + DAY);
  });
});

describe('FakeMarketReplay driving a fake Alpaca server', () => {
  let server: FakeAlpacaServer;
  let client: AlpacaClient;
  let data: AlpacaMarketDataClient;
  let replay: FakeMarketReplay;

  beforeEach(async () => {
    replay = new FakeMarketReplay({ universe: twoSessions() });
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 5, ...replay.serverOptions() });
    replay.attach(server);
    const credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' as const };
    client = new AlpacaClient({ credentials, now: replay.now, rng: new SeededRng(1), timeoutMs: 2_000 });
    data = new AlpacaMarketDataClient({ credentials, dataUrl: server.url, now: replay.now, rng: new SeededRng(2), timeoutMs: 2_000 });
  });

  afterEach(async () => {
    await client.close();
    await data.close();
    await server.close();
  });

  it('keeps the server\'s clock, market clock, bars and fills on the replayed time', async () => {
    replay.step();
    expect(await client.getClock()).toMatchObject({ timestamp: TUE + MINUTE, isOpen: true, nextClose: TUE + 3 * MINUTE });
    const order = await client.submitOrder({ symbol: 'AAA', qty: 10, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'r-1' });
    const dayLimit = await client.submitOrder({ symbol: 'BBB', qty: 1, side: 'buy', type: 'limit', limit_price: 50, time_in_force: 'day' });
    const gtcLimit = await client.submitOrder({ symbol: 'BBB', qty: 1, side: 'buy', type: 'limit', limit_price: 50, time_in_force: 'gtc' });
    expect(order.submittedAt).toBe(TUE + MINUTE);
    expect(order.status).toBe('new');
    replay.step(); // AAA's second bar opens at 100.5
    expect(await client.getOrder(order.id)).toMatchObject({ status: 'filled', filledAvgPrice: 100.5, filledAt: TUE + MINUTE });
    const bars = await data.getAllBars({ symbols: ['AAA', 'BBB'], timeframe: '1Min', start: TUE });
    expect(bars.get('AAA')?.map((b) => b.close)).toEqual([100, 101]);
    expect(bars.get('BBB')?.map((b) => b.close)).toEqual([110]);
    replay.step(); // the last bar of Tuesday: the session ends
    expect(await client.getClock()).toMatchObject({ timestamp: TUE + 3 * MINUTE, isOpen: false, nextOpen: WED });
    expect((await client.getOrder(dayLimit.id)).status).toBe('expired');
    expect((await client.getOrder(gtcLimit.id)).status).toBe('new');
    replay.step();
    expect((await client.getClock()).isOpen).toBe(true);
    expect((await data.getLatestBars(['AAA'])).get('AAA')?.time).toBe(WED);
  });
});
