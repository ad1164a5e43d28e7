import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BarSeries, LiveBroker, LiveVenue, OrderRequest, Ticker, VenueOrder, VenueSnapshot } from '@quantbot/core';
import { ConfigError, epochMs, ticker } from '@quantbot/core';
import { writeKillFile } from '@quantbot/risk-guardrails';
import { SmaCrossover } from '@quantbot/strategies';
import type { StopRequests } from './drive-session';
import type { LiveNotice } from './live-notice';
import { LiveAuthorization, LiveAuthorizationError, authorizeLiveTrading } from './live-authorization';
import type { AuthorizeLiveOptions } from './live-authorization';
import { tradeOnReplay, tradeOnVenue } from './live-trading';
import type { LiveTradingOptions, VenueTradingOptions } from './live-trading';
import { MemoryLiveStateStore } from './memory-live-state-store';
import { START, walk } from './minute-bars.spec-helper';
import { OutageWatchdog } from './outage-watchdog';
import { connectVenue } from './venue-connection';

const SYMBOLS: readonly Ticker[] = [ticker('AAA'), ticker('BBB')];
const snapshotClock = { isOpen: true, nextOpen: START + 86_400_000, nextClose: START + 6 * 3_600_000, timestamp: START };
const PARAMS = { fast: 5, slow: 20, allowShort: false };

/** A stop request the test triggers. */
function manualStop(): StopRequests & { stop(): void } {
  const handlers = new Set<(signal: string) => void>();
  return {
    on: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    stop: () => [...handlers].forEach((h) => h('test')),
  };
}

describe('tradeOnReplay and tradeOnVenue', () => {
  let dir: string;
  let notices: LiveNotice[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-live-trading-'));
    notices = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function common(store: MemoryLiveStateStore, stop = manualStop()): LiveTradingOptions {
    return {
      sessionId: 'paper-1',
      strategy: new SmaCrossover(PARAMS, SYMBOLS.length),
      params: PARAMS,
      sizing: { kind: 'fixed-shares', shares: 10 },
      gateway: { limits: {}, killSwitch: {} },
      checkpoint: undefined,
      latencyClock: () => performance.now(),
      store,
      now: () => START,
      notify: (notice) => notices.push(notice),
      stop,
      killFile: join(dir, 'KILL'),
      killFilePollMs: 20,
    };
  }

  it('replays every bar after the warm-up, trades, saves after each bar and reports a summary', async () => {
    const store = new MemoryLiveStateStore();
    const outcome = await tradeOnReplay({ ...common(store), data: walk(200, 3, SYMBOLS), warmupBars: 50, intervalMs: 0, startingCash: 100_000 });
    expect(outcome.kind).toBe('stopped');
    if (outcome.kind !== 'stopped') return;
    expect(outcome.summary.bars).toBe(150);
    expect(outcome.summary.session).toBe('paper-1');
    expect(notices.filter((n) => n.kind === 'step')).toHaveLength(150);
    expect(notices.some((n) => n.kind === 'step' && n.report.ordersSubmitted > 0)).toBe(true);
    expect(notices.find((n) => n.kind === 'trading')).toMatchObject({ kind: 'trading', sessionId: 'paper-1', symbols: ['AAA', 'BBB'] });
    expect((await store.latestCheckpoint('paper-1'))?.seq).toBeGreaterThan(0);
    expect((await store.fills('paper-1')).length).toBeGreaterThan(0);
  });

  it('trades on when the alert path throws on every notice, and reports the failures in the summary', async () => {
    const store = new MemoryLiveStateStore();
    let thrown = 0;
    const outcome = await tradeOnReplay({
      ...common(store),
      notify: () => {
        thrown++;
        throw new Error('alert webhook down');
      },
      data: walk(200, 3, SYMBOLS),
      warmupBars: 50,
      intervalMs: 0,
      startingCash: 100_000,
    });
    expect(outcome.kind).toBe('stopped');
    if (outcome.kind !== 'stopped') return;
    expect(outcome.summary.bars).toBe(150);
    expect(outcome.summary.alertFailures).toBe(thrown);
    expect(thrown).toBeGreaterThan(150);
    expect((await store.fills('paper-1')).length).toBeGreaterThan(0);
  });

  it('obeys a kill file that is in place before the first decision: halted, no order sent', async () => {
    writeKillFile(join(dir, 'KILL'), { level: 'halted', by: 'ops', reason: 'desk closed', requestedAt: new Date(START).toISOString() });
    const store = new MemoryLiveStateStore();
    const outcome = await tradeOnReplay({ ...common(store), data: walk(200, 3, SYMBOLS), warmupBars: 50, intervalMs: 0, startingCash: 100_000 });
    expect(notices[0]).toMatchObject({ kind: 'kill-switch', from: 'active', to: 'halted' });
    expect(notices.every((n) => n.kind !== 'step' || n.report.ordersSubmitted === 0)).toBe(true);
    expect(outcome.kind === 'stopped' && outcome.summary.positions).toEqual([]);
    expect(await store.fills('paper-1')).toEqual([]);
  });

  describe('on a venue', () => {
    /** A broker behind the LiveVenue port: open market, one foreign and one own open order, no bars. */
    function fakeVenue(): { venue: LiveVenue; cancelled: string[]; submitted: OrderRequest[] } {
      const cancelled: string[] = [];
      const submitted: OrderRequest[] = [];
      const own: VenueOrder = {
        clientOrderId: 'paper-1-AAA-1-0',
        symbol: 'AAA',
        side: 'buy',
        type: 'limit',
        timeInForce: 'day',
        qty: 5,
        filledQty: 0,
        filledAvgPrice: null,
        limitPrice: 1,
        stopPrice: null,
        createdAt: START,
        lastActivityAt: START,
      };
      const snapshot: VenueSnapshot = {
        clock: { isOpen: true, nextOpen: START + 86_400_000, nextClose: START + 6 * 3_600_000, timestamp: START },
        cash: 50_000,
        positions: [],
        openOrders: [own],
      };
      const history = walk(60, 5, SYMBOLS);
      const series = (s: number): BarSeries => ({
        symbol: SYMBOLS[s] as Ticker,
        length: history.length,
        time: history.time,
        open: history.open.slice(s * history.length, (s + 1) * history.length),
        high: history.high.slice(s * history.length, (s + 1) * history.length),
        low: history.low.slice(s * history.length, (s + 1) * history.length),
        close: history.close.slice(s * history.length, (s + 1) * history.length),
        volume: history.volume.slice(s * history.length, (s + 1) * history.length),
        adjClose: null,
      });
      const venue: LiveVenue = {
        moneyMode: 'paper',
        snapshot: async () => snapshot,
        clock: async () => snapshot.clock,
        openOrders: async () => [own],
        findOrder: async () => null,
        ordersSince: async () => [],
        cancelOrder: async (id) => {
          cancelled.push(id);
        },
        account: async () => ({ cash: snapshot.cash, positions: [] }),
        loadBars: async () => [series(0), series(1)],
        startOrderUpdates: async () => undefined,
        broker: (): LiveBroker => ({
          submit: (order) => submitted.push(order),
          cancel: () => undefined,
          replace: () => undefined,
          beforeDecision: () => undefined,
        }),
        // No bars come: the bar stream goes down before the first one.
        startBars: async () => undefined,
        isUnreachable: () => false,
        close: async () => undefined,
      };
      return { venue, cancelled, submitted };
    }

    it('connects with the broker as the authority, then stops on an outage and cancels its own open orders', async () => {
      const { venue, cancelled } = fakeVenue();
      const store = new MemoryLiveStateStore();
      const options = common(store);
      const watchdog = new OutageWatchdog({ probeClock: async () => Promise.reject(new Error('down')), maxOutageMs: 100, now: () => performance.now(), notify: options.notify });
      const trading = tradeOnVenue({
        ...options,
        venue,
        symbols: SYMBOLS,
        orphanPolicy: 'cancel',
        historyMinutes: 60,
        align: () => walk(60, 5, SYMBOLS),
        clockPollMs: 1_000,
        watchdog,
      });
      // The adapter reports its streams' states to the watchdog; here the bar stream goes down.
      setTimeout(() => watchdog.streamState('bar-stream', 'reconnecting', 'connection refused'), 50);
      const outcome = await trading;
      expect(outcome).toEqual({ kind: 'outage', positions: [] });
      const kinds = notices.map((n) => n.kind);
      expect(kinds).toContain('broker-unhealthy');
      expect(kinds).toContain('outage');
      // The session's own open order was adopted at the start (its prefix), then cancelled after the outage.
      expect(notices.find((n) => n.kind === 'outage-cancels')).toEqual({ kind: 'outage-cancels', cancelled: 1, failed: [] });
      expect(cancelled).toEqual(['paper-1-AAA-1-0']);
      // The broker's cash is the session's: the books were reconciled to it.
      const checkpoint = await store.latestCheckpoint('paper-1');
      expect(checkpoint?.document).toMatchObject({ ledger: { cash: 50_000 } });
    });

    it('compares its books with the broker every 30 steps, and halts (audited) when a position differs', async () => {
      const { venue } = fakeVenue();
      const store = new MemoryLiveStateStore();
      const options = common(store);
      const bars = walk(100, 9, SYMBOLS);
      // The broker holds 7 BBB the session never bought; the session itself never trades.
      const drifted: LiveVenue = {
        ...venue,
        account: async () => ({ cash: 50_000, positions: [{ symbol: 'BBB', qty: 7, avgEntryPrice: 10, currentPrice: 10 }] }),
        startBars: async (symbols, after, onBar) => {
          for (let k = 0; k < bars.length; k++) {
            const time = bars.time[k] as number;
            if (time <= after) continue;
            symbols.forEach((symbol, s) => {
              const at = s * bars.length + k;
              onBar({ symbol, time: epochMs(time), open: bars.open[at] as number, high: bars.high[at] as number, low: bars.low[at] as number, close: bars.close[at] as number, volume: 1_000 });
            });
          }
        },
      };
      const watchdog = new OutageWatchdog({ probeClock: async () => snapshotClock, maxOutageMs: 60_000, now: () => performance.now(), notify: options.notify });
      const outcome = await tradeOnVenue({
        ...options,
        strategy: { name: 'idle', onBar: () => undefined },
        stopAfter: 31,
        venue: drifted,
        symbols: SYMBOLS,
        orphanPolicy: 'cancel',
        historyMinutes: 60,
        align: () => walk(60, 5, SYMBOLS),
        clockPollMs: 1_000,
        watchdog,
      });
      expect(outcome.kind).toBe('stopped');
      const audit = await store.audit('paper-1');
      expect(audit.filter((a) => a.kind === 'divergence-position').map((a) => a.detail)).toEqual([{ symbol: 'BBB', local: 0, broker: 7, action: 'halted: restart to take the broker position' }]);
      const checkpoint = await store.latestCheckpoint('paper-1');
      expect(checkpoint?.document).toMatchObject({ gateway: { killSwitch: { peakState: 'halted', reason: 'reconciliation: position differ from the broker' } } });
    });

    it('a stop asked for while a step waits on the broker, which then cannot be reached, ends as an outage: no unhandled rejection', async () => {
      const { venue } = fakeVenue();
      const store = new MemoryLiveStateStore();
      const stop = manualStop();
      const options = common(store, stop);
      const bars = walk(100, 9, SYMBOLS);
      let failStep: (error: Error) => void = () => undefined;
      let stepWaiting: () => void = () => undefined;
      const waiting = new Promise<void>((resolve) => (stepWaiting = resolve));
      const unreachable = new Error('broker unreachable');
      const hanging: LiveVenue = {
        ...venue,
        // The first decision waits on the broker until the test fails it.
        broker: (sink, adopted) => ({
          ...venue.broker(sink, adopted),
          beforeDecision: () =>
            new Promise<void>((_, reject) => {
              failStep = reject;
              stepWaiting();
            }),
        }),
        startBars: async (symbols, after, onBar) => {
          for (let k = 60; k < 63; k++) {
            const time = bars.time[k] as number;
            if (time <= after) continue;
            symbols.forEach((symbol, s) => {
              const at = s * bars.length + k;
              onBar({ symbol, time: epochMs(time), open: bars.open[at] as number, high: bars.high[at] as number, low: bars.low[at] as number, close: bars.close[at] as number, volume: 1_000 });
            });
          }
        },
        isUnreachable: (error) => error === unreachable,
      };
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const watchdog = new OutageWatchdog({ probeClock: async () => snapshotClock, maxOutageMs: 60_000, now: () => performance.now(), notify: options.notify });
        const trading = tradeOnVenue({ ...options, venue: hanging, symbols: SYMBOLS, orphanPolicy: 'cancel', historyMinutes: 60, align: () => walk(60, 5, SYMBOLS), clockPollMs: 1_000, watchdog });
        await waiting;
        // SIGTERM while the step is in flight; then the broker call fails after its retries.
        stop.stop();
        failStep(unreachable);
        const outcome = await trading;
        // Give an unobserved rejection the turns it needs to be reported.
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(outcome).toEqual({ kind: 'outage', positions: [] });
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('fails closed when the venue cannot be reached at the start', async () => {
      const { venue } = fakeVenue();
      const store = new MemoryLiveStateStore();
      const options = common(store);
      const watchdog = new OutageWatchdog({ probeClock: async () => Promise.reject(new Error('down')), maxOutageMs: 100, now: () => performance.now(), notify: options.notify });
      const unreachable: LiveVenue = { ...venue, snapshot: async () => Promise.reject(new Error('connect ECONNREFUSED')) };
      await expect(
        tradeOnVenue({ ...options, venue: unreachable, symbols: SYMBOLS, orphanPolicy: 'cancel', historyMinutes: 60, align: () => walk(60, 5, SYMBOLS), clockPollMs: 1_000, watchdog }),
      ).rejects.toThrow('connect ECONNREFUSED');
      expect(await store.latestCheckpoint('paper-1')).toBeUndefined();
    });

    describe('real money', () => {
      /** A registry holding one experiment, `exp-1` on sma-crossover, promoted to live with PARAMS. */
      const registry: AuthorizeLiveOptions['registry'] = {
        getExperiment: async (id) => {
          if (id !== 'exp-1') throw new ConfigError('experimentId', `no experiment ${id}`);
          return { id, strategy: 'sma-crossover' } as Awaited<ReturnType<AuthorizeLiveOptions['registry']['getExperiment']>>;
        },
        listPromotions: async () => [{ stage: 'live', snapshotId: 'snap-1' }] as unknown as Awaited<ReturnType<AuthorizeLiveOptions['registry']['listPromotions']>>,
        resolveSnapshot: async () => ({ params: PARAMS }) as unknown as Awaited<ReturnType<AuthorizeLiveOptions['registry']['resolveSnapshot']>>,
        // Stage 2 of the ramp: 5 % of 200,000.
        capitalStage: async () => ({ ...STAGE, halted: halted }),
      };
      const STAGE = { experimentId: 'exp-1', snapshotId: 'snap-1', promotionId: 'promo-2', stageIndex: 1, stagePct: 5, targetCapital: 200_000, notionalCap: 10_000, halted: false, lastAction: 'advance' as const, since: epochMs(0), reason: null };
      let halted = false;
      afterEach(() => {
        halted = false;
      });
      const CAPPED = { limits: { maxOrderNotional: 5_000, maxPositionQty: 50, maxGrossNotional: 10_000 }, killSwitch: { haltAtDrawdownPct: 5, rearm: 'manual' as const } };
      const authorize = (sessionId = 'paper-1', params: Record<string, string> = { fast: '5', slow: '20' }) =>
        authorizeLiveTrading({ registry, experimentId: 'exp-1', sessionId, strategy: 'sma-crossover', params });

      /** A live-money venue that records every call: a refused session must not make one. */
      function liveVenue(): { venue: LiveVenue; calls: string[] } {
        const { venue } = fakeVenue();
        const calls: string[] = [];
        const recorded = Object.fromEntries(
          Object.entries(venue).map(([name, value]) => [name, typeof value === 'function' ? (...args: unknown[]) => (calls.push(name), (value as (...a: unknown[]) => unknown)(...args)) : value]),
        ) as unknown as LiveVenue;
        return { venue: { ...recorded, moneyMode: 'live' }, calls };
      }

      async function attempt(venue: LiveVenue, store: MemoryLiveStateStore, extra: Partial<VenueTradingOptions>): Promise<unknown> {
        const options = common(store);
        const watchdog = new OutageWatchdog({ probeClock: async () => snapshotClock, maxOutageMs: 60_000, now: () => performance.now(), notify: options.notify });
        try {
          await tradeOnVenue({ ...options, venue, symbols: SYMBOLS, orphanPolicy: 'cancel', historyMinutes: 60, align: () => walk(60, 5, SYMBOLS), clockPollMs: 1_000, watchdog, ...extra });
          return undefined;
        } catch (error) {
          return error;
        }
      }

      it.each([
        ['no authorization', async () => ({ gateway: CAPPED }), 'LIVE_NOT_AUTHORIZED', 'live'],
        [
          'a forged authorization',
          async () => ({ gateway: CAPPED, live: Object.assign(Object.create(LiveAuthorization.prototype) as LiveAuthorization, await authorize()) }),
          'LIVE_NOT_AUTHORIZED',
          'live',
        ],
        ["another session's authorization", async () => ({ gateway: CAPPED, live: await authorize('paper-2') }), 'LIVE_AUTHORIZATION_MISMATCH', 'sessionId'],
        ['no order-notional cap', async () => ({ gateway: { ...CAPPED, limits: { maxPositionQty: 50, maxGrossNotional: 10_000 } }, live: await authorize() }), 'LIVE_UNCAPPED', 'gateway.limits.maxOrderNotional'],
        ['no position cap', async () => ({ gateway: { ...CAPPED, limits: { maxOrderNotional: 5_000, maxGrossNotional: 10_000 } }, live: await authorize() }), 'LIVE_UNCAPPED', 'gateway.limits.maxPositionQty'],
        ['no gross-notional cap', async () => ({ gateway: { ...CAPPED, limits: { maxOrderNotional: 5_000, maxPositionQty: 50 } }, live: await authorize() }), 'LIVE_UNCAPPED', 'gateway.limits.maxGrossNotional'],
        [
          'a gross-notional cap above its capital stage',
          async () => ({ gateway: { ...CAPPED, limits: { ...CAPPED.limits, maxGrossNotional: 10_001 } }, live: await authorize() }),
          'LIVE_UNCAPPED',
          'gateway.limits.maxGrossNotional',
        ],
        ['no halt level', async () => ({ gateway: { limits: CAPPED.limits, killSwitch: {} }, live: await authorize() }), 'LIVE_KILL_SWITCH', 'gateway.killSwitch'],
        ['a halt level that never fires (1,000,000%)', async () => ({ gateway: { ...CAPPED, killSwitch: { haltAtDrawdownPct: 1_000_000, rearm: 'manual' as const } }, live: await authorize() }), 'LIVE_KILL_SWITCH', 'gateway.killSwitch'],
        ['a kill switch that re-arms itself', async () => ({ gateway: { ...CAPPED, killSwitch: { haltAtDrawdownPct: 5, rearm: 'auto' as const } }, live: await authorize() }), 'LIVE_KILL_SWITCH', 'gateway.killSwitch.rearm'],
      ])('refuses a live venue with %s, before the journal or the venue is touched', async (_, extra, code, field) => {
        const { venue, calls } = liveVenue();
        const store = new MemoryLiveStateStore();
        const error = await attempt(venue, store, await extra());
        expect(error).toBeInstanceOf(LiveAuthorizationError);
        expect(error).toMatchObject({ code, field });
        expect(calls).toEqual([]);
        expect(await store.latestCheckpoint('paper-1')).toBeUndefined();
      });

      it('connectVenue alone refuses a live venue without an issued authorization, before calling it', async () => {
        const { venue, calls } = liveVenue();
        const base = { venue, sessionId: 'paper-1', strategy: { name: 'sma-crossover', params: PARAMS }, symbols: SYMBOLS, orphanPolicy: 'cancel' as const, historyMinutes: 60, align: () => walk(60, 5, SYMBOLS), latencyClock: () => 0 };
        await expect(connectVenue(base, undefined)).rejects.toMatchObject({ code: 'LIVE_NOT_AUTHORIZED', field: 'live' });
        await expect(connectVenue({ ...base, live: await authorize('paper-9') }, undefined)).rejects.toMatchObject({ code: 'LIVE_AUTHORIZATION_MISMATCH', field: 'sessionId' });
        expect(calls).toEqual([]);
      });

      it('refuses to authorize a halted capital ramp, and carries the stage it authorizes', async () => {
        expect((await authorize()).capital).toMatchObject({ stageIndex: 1, notionalCap: 10_000 });
        halted = true;
        await expect(authorize()).rejects.toMatchObject({ code: 'LIVE_NOT_PROMOTED', field: 'experimentId', message: expect.stringContaining('the capital ramp of exp-1 is halted') });
      });

      it('refuses parameters other than the promoted ones, at authorization and at the venue', async () => {
        await expect(authorize('paper-1', { fast: '6', slow: '20' })).rejects.toMatchObject({ code: 'LIVE_NOT_PROMOTED', field: 'params' });
        await expect(authorizeLiveTrading({ registry, experimentId: 'exp-2', sessionId: 'paper-1', strategy: 'sma-crossover', params: {} })).rejects.toMatchObject({
          code: 'LIVE_NOT_PROMOTED',
          field: 'experimentId',
        });
        const { venue, calls } = liveVenue();
        const other = { fast: 6, slow: 20, allowShort: false };
        const error = await attempt(venue, new MemoryLiveStateStore(), { gateway: CAPPED, live: await authorize(), strategy: new SmaCrossover(other, SYMBOLS.length), params: other });
        expect(error).toMatchObject({ code: 'LIVE_AUTHORIZATION_MISMATCH', field: 'params' });
        expect(calls).toEqual([]);
      });

      it('trades a live venue with an issued authorization, both caps and a manual halt level', async () => {
        const { venue, calls } = liveVenue();
        const store = new MemoryLiveStateStore();
        const options = common(store);
        const watchdog = new OutageWatchdog({ probeClock: async () => Promise.reject(new Error('down')), maxOutageMs: 100, now: () => performance.now(), notify: options.notify });
        const trading = tradeOnVenue({ ...options, gateway: CAPPED, live: await authorize(), venue, symbols: SYMBOLS, orphanPolicy: 'cancel', historyMinutes: 60, align: () => walk(60, 5, SYMBOLS), clockPollMs: 1_000, watchdog });
        setTimeout(() => watchdog.streamState('bar-stream', 'reconnecting', 'connection refused'), 50);
        expect((await trading).kind).toBe('outage');
        expect(calls).toContain('snapshot');
        expect(await store.latestCheckpoint('paper-1')).toBeDefined();
      });

      it('applies every live safeguard to an authorized session on a paper or local venue (a rehearsal)', async () => {
        const { venue } = fakeVenue();
        for (const moneyMode of ['local', 'paper'] as const) {
          const error = await attempt({ ...venue, moneyMode }, new MemoryLiveStateStore(), { gateway: { limits: {}, killSwitch: {} }, live: await authorize() });
          expect(error).toMatchObject({ code: 'LIVE_UNCAPPED' });
        }
      });
    });
  });
});
