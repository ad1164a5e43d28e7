import type { BarUniverse, OrderRequest, Ticker } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { EXECUTION_PROFILES } from '@quantbot/execution-sim';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import { SmaCrossover } from '@quantbot/strategies';
import { runBacktest } from '@quantbot/engine';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { CheckpointError, parseLiveCheckpoint } from './live-checkpoint';
import type { LiveCheckpoint, LiveCheckpointV1 } from './live-checkpoint';
import { LiveSession } from './live-session';
import type { LiveSessionOptions } from './live-session';
import { SimulatedLiveBroker } from './simulated-live-broker';
import { barsAt, walk } from './minute-bars.spec-helper';

const SYMBOLS: readonly Ticker[] = [ticker('AAA'), ticker('BBB')];
const SIZING: SizingRule = { kind: 'percent-of-cash', percent: 40 };
const PARAMS = { fast: 5, slow: 20, allowShort: true };

function session(overrides: Partial<LiveSessionOptions> & { profile?: ExecutionProfile } = {}): { session: LiveSession; submitted: OrderRequest[] } {
  const submitted: OrderRequest[] = [];
  const profile = overrides.profile ?? EXECUTION_PROFILES.idealistic;
  const live = new LiveSession({
    sessionId: 'paper-1',
    strategy: new SmaCrossover(PARAMS, SYMBOLS.length),
    params: PARAMS,
    symbols: SYMBOLS,
    startingCash: 100_000,
    sizing: SIZING,
    gateway: { limits: {}, killSwitch: {} },
    latencyClock: () => performance.now(),
    broker: ({ universe, core, sink }) => {
      const sim = new SimulatedLiveBroker({ universe, profile, seed: 7, account: core.ledger, sink });
      return {
        submit: (order) => {
          submitted.push(order);
          sim.submit(order);
        },
        cancel: (id) => sim.cancel(id),
        replace: (id, changes) => sim.replace(id, changes),
        beforeDecision: (step) => sim.beforeDecision(step),
        adopt: (orders) => sim.adopt(orders),
      };
    },
    ...overrides,
  });
  return { session: live, submitted };
}

async function feed(live: LiveSession, u: BarUniverse, from: number, to: number): Promise<void> {
  for (let k = from; k < to; k++) await live.onBar(u.time[k] as number, barsAt(u, k), performance.now());
}

const roundTrip = (checkpoint: unknown): LiveCheckpoint => parseLiveCheckpoint(JSON.parse(JSON.stringify(checkpoint)) as unknown);

describe('LiveSession', () => {
  const bars = walk(600, 11, SYMBOLS);

  it.each(['idealistic', 'realistic'] as const)('ends bar by bar exactly where the backtest ends (%s profile, simulated broker)', async (name) => {
    const profile = EXECUTION_PROFILES[name];
    const backtest = runBacktest({ universe: bars, strategy: new SmaCrossover(PARAMS, SYMBOLS.length), startingCash: 100_000, sizing: SIZING, execution: profile, seed: 7 });
    const { session: live } = session({ profile });
    await feed(live, bars, 0, bars.length);
    const ledger = live.core.ledger.snapshot();
    expect(backtest.trades.length).toBeGreaterThan(10);
    expect(live.core.trades.closed.length).toBe(backtest.trades.length);
    expect(ledger.cash).toBe(live.core.ledger.cash);
    expect(live.core.ledger.equity()).toBe(backtest.equity[bars.length - 1]);
    expect(live.core.trades.closed.map((t) => t.pnl)).toEqual(backtest.trades.map((t) => t.pnl));
  });

  it("journals each order's state as its Order aggregate holds it, across drains, with cumulative fill keys", async () => {
    // Realistic fills are partial: an order carries several fills and reports.
    const { session: live, submitted } = session({ profile: EXECUTION_PROFILES.realistic });
    await feed(live, bars, 0, 300);
    const first = live.drainJournal();
    await feed(live, bars, 300, 600);
    const second = live.drainJournal();
    const orders = [...first.orders, ...second.orders];
    const fills = [...first.fills, ...second.fills];
    expect(submitted.length).toBeGreaterThan(5);
    // Every journaled order keeps its real type and decision time, also in a later drain.
    for (const row of orders) {
      const request = submitted.find((o) => o.clientOrderId === row.clientOrderId);
      expect(request).toBeDefined();
      expect(row).toMatchObject({ type: request?.type, decidedAt: request?.decidedAt, side: request?.side });
      // What a shadow needs to place it again: the decision price (the close that decided it) and its terms.
      expect(row.decisionPrice).toBe(request?.decisionPrice);
      expect(row.decisionPrice).toBeGreaterThan(0);
      expect(row).toMatchObject({ limitPrice: request?.limitPrice ?? null, stopPrice: request?.stopPrice ?? null, timeInForce: request?.timeInForce });
    }
    // A filled order's last row says filled, with the sum of its fills; fill keys carry the
    // cumulative quantity after each fill.
    const last = new Map(orders.map((row) => [row.clientOrderId, row]));
    const filledQty = new Map<string, number>();
    for (const fill of fills) {
      const cumulative = (filledQty.get(fill.clientOrderId) ?? 0) + fill.qty;
      filledQty.set(fill.clientOrderId, cumulative);
      expect(fill.fillKey).toBe(`${fill.clientOrderId}@${cumulative}`);
    }
    for (const [id, qty] of filledQty) {
      const row = last.get(id);
      expect(row?.filledQty).toBeCloseTo(qty, 9);
      if (row?.status === 'filled') expect(row.filledQty).toBeCloseTo(row.qty, 9);
    }
    expect([...last.values()].some((row) => row.status === 'filled')).toBe(true);
    expect(new Set(fills.map((f) => f.fillKey)).size).toBe(fills.length);
  });

  it('derives client order ids from the decision: session, symbol, bar time, count', async () => {
    const { session: live, submitted } = session();
    await feed(live, bars, 0, 200);
    expect(submitted.length).toBeGreaterThan(0);
    for (const order of submitted) {
      const stamp = new Date(order.decidedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      expect(order.clientOrderId).toMatch(new RegExp(`^paper-1-${order.symbol}-${stamp}-[12]$`));
    }
    expect(new Set(submitted.map((o) => o.clientOrderId)).size).toBe(submitted.length);
  });

  it('restarts from a v2 checkpoint (through JSON, with bounded bars) and continues exactly as if never stopped', async () => {
    const { session: uninterrupted, submitted: expectedOrders } = session();
    await feed(uninterrupted, bars, 0, bars.length);

    // Cut right after decisions (an order is working then, at the broker that dies) and elsewhere.
    const decisionSteps = expectedOrders.map((o) => bars.time.indexOf(o.decidedAt));
    const cuts = [decisionSteps[0], decisionSteps[3], decisionSteps[decisionSteps.length - 1]].map((k) => (k as number) + 1);
    for (const cut of [...cuts, 300]) {
      const { session: probe } = session({ checkpointBars: 60 });
      await feed(probe, bars, 0, cut);
      const { session: first, submitted: before } = session({ checkpointBars: 60 });
      await feed(first, bars, 0, cut);
      const checkpoint = roundTrip(first.checkpoint());
      expect(checkpoint.version).toBe(2);
      if (cut !== 300) expect(checkpoint.version === 2 && checkpoint.workingOrders.length).toBeGreaterThan(0);
      expect(probe.checkpoint()).toEqual(first.checkpoint());
      const { session: second, submitted: after } = session({ restore: checkpoint, checkpointBars: 60 });
      expect(second.lastBarTime).toBe(bars.time[cut - 1]);
      await feed(second, bars, cut, bars.length);
      expect(second.core.ledger.snapshot()).toEqual(uninterrupted.core.ledger.snapshot());
      // The same decisions, under the same ids; orders working at the cut are given again to
      // the simulated broker, which died with the first process.
      const ids = [...before, ...after.filter((o) => o.decidedAt >= (bars.time[cut] as number))].map((o) => o.clientOrderId);
      expect(ids).toEqual(expectedOrders.map((o) => o.clientOrderId));
      expect(second.liveSteps).toBe(bars.length);
      // The orders adopted from the checkpoint keep their decision price in the journal (their
      // aggregates, rebuilt from the checkpoint, carry none of their own).
      const working = checkpoint.version === 2 ? checkpoint.workingOrders : [];
      const rows = new Map(second.drainJournal().orders.map((row) => [row.clientOrderId, row]));
      for (const order of working) {
        const row = rows.get(order.clientOrderId);
        if (row !== undefined) expect(row.decisionPrice).toBe(order.referencePrice);
      }
      // (A cut after the last bar leaves nothing to fill.)
      if (cut !== 300 && cut < bars.length) expect(working.some((order) => rows.has(order.clientOrderId))).toBe(true);
    }
  });

  it('restores a v1 checkpoint (books only) by re-warming the strategy from history', async () => {
    const { session: first } = session();
    await feed(first, bars, 0, 300);
    const v2 = first.checkpoint();
    const v1: LiveCheckpointV1 = {
      format: v2.format,
      version: 1,
      sessionId: v2.sessionId,
      strategy: { name: v2.strategy.name, params: v2.strategy.params },
      symbols: v2.symbols,
      lastBarTime: v2.lastBarTime,
      ledger: v2.ledger,
    };
    const history = walk(300, 11, SYMBOLS); // the same bars, as market data would serve them
    const { session: second, submitted } = session({ restore: roundTrip(v1), history });
    expect(second.core.ledger.snapshot()).toEqual(v2.ledger);
    await feed(second, bars, 300, 400);
    expect(second.liveSteps).toBe(100);
    expect(submitted.every((o) => o.decidedAt >= (bars.time[300] as number))).toBe(true);
  });

  it('refuses a damaged checkpoint, naming the field', () => {
    const good = JSON.parse(JSON.stringify({ format: 'quantbot-live-checkpoint', version: 1, sessionId: 's', strategy: { name: 'x', params: null }, symbols: ['AAA'], lastBarTime: 1, ledger: { startingCash: 1, cash: 1, fees: 0, realizedPnl: 0, positions: [] } })) as Record<string, unknown>;
    expect(parseLiveCheckpoint(good).version).toBe(1);
    const cases: [unknown, RegExp][] = [
      [{ ...good, version: 3 }, /checkpoint version: unknown version 3/],
      [{ ...good, ledger: { ...(good['ledger'] as object), cash: '1' } }, /checkpoint ledger.cash: expected a finite number, got "1"/],
      [{ ...good, format: 'other' }, /checkpoint format/],
      ['{not json', /checkpoint \(root\): expected an object/],
      [{ ...good, ledger: { ...(good['ledger'] as object), positions: [{ symbol: 'ZZZ', qty: 1, averageCost: 1, mark: 1, realizedPnl: 0 }] } }, /ZZZ is not one of the session's symbols/],
    ];
    for (const [doc, message] of cases) {
      expect(() => parseLiveCheckpoint(doc)).toThrow(CheckpointError);
      expect(() => parseLiveCheckpoint(doc)).toThrow(message);
    }
  });

  it('refuses a checkpoint of another session, strategy, symbol set or parameters', async () => {
    const { session: first } = session();
    await feed(first, bars, 0, 50);
    const checkpoint = roundTrip(first.checkpoint());
    expect(() => session({ restore: checkpoint, sessionId: 'paper-2' })).toThrow(/belongs to session 'paper-1'/);
    expect(() => session({ restore: checkpoint, params: { ...PARAMS, fast: 6 } })).toThrow(/start a new session for new parameters/);
  });

  it('journals orders and fills once, with keys that survive a restart, and measures decision latency', async () => {
    const { session: live } = session();
    await feed(live, bars, 0, 300);
    const journal = live.drainJournal();
    expect(journal.fills.length).toBeGreaterThan(0);
    expect(new Set(journal.fills.map((f) => f.fillKey)).size).toBe(journal.fills.length);
    expect(journal.orders.every((o) => o.clientOrderId.startsWith('paper-1-'))).toBe(true);
    expect(live.drainJournal()).toEqual({ orders: [], fills: [], audit: [] });
    const latency = live.latencyStats();
    expect(latency.count).toBeGreaterThan(0);
    expect(latency.p50Ms).toBeGreaterThanOrEqual(0);
    expect(latency.p99Ms).toBeGreaterThanOrEqual(latency.p50Ms);
  });
});

describe('LiveSession data-quality halt', () => {
  /** Walks until the session holds a position, then feeds one bar whose close is `factor` times the last. */
  async function holdThenFeed(factor: number, dataQualityHalt?: false): Promise<{ live: LiveSession; submittedAfter: number; halted: string }> {
    const bars = walk(400, 11, SYMBOLS);
    const { session: live, submitted } = session(dataQualityHalt === false ? { dataQualityHalt } : {});
    let k = 0;
    for (; k < bars.length - 1; k++) {
      await live.onBar(bars.time[k] as number, barsAt(bars, k), performance.now());
      if (live.core.position(0) !== 0) break;
    }
    expect(live.core.position(0)).not.toBe(0);
    live.drainJournal();
    const next = barsAt(bars, k + 1).map((bar, s) => {
      if (bar === undefined || s !== 0) return bar;
      const previous = bars.close[k] as number;
      const close = previous * factor;
      return { ...bar, open: close, high: close, low: close, close };
    });
    const before = submitted.length;
    await live.onBar(bars.time[k + 1] as number, next, performance.now());
    return { live, submittedAfter: submitted.length - before, halted: live.gateway.state };
  }

  it('halts before the strategy decides when a held symbol spikes beyond the limit, and audits why', async () => {
    const { live, submittedAfter, halted } = await holdThenFeed(1.4);
    expect(halted).toBe('halted');
    expect(submittedAfter).toBe(0);
    const audit = live.drainJournal().audit;
    const entry = audit.find((a) => a.kind === 'data-quality-halt');
    expect(entry?.detail).toMatchObject({ reasons: [{ symbol: 'AAA', reason: 'price-spike' }] });
    expect(live.checkpoint().gateway).toMatchObject({ killSwitch: { peakState: 'halted' } });
  });

  it('does not halt on an ordinary move, nor when turned off', async () => {
    expect((await holdThenFeed(1.01)).halted).toBe('active');
    expect((await holdThenFeed(1.6, false)).halted).toBe('active');
  });

  it('names the option of a bad setting', async () => {
    const bars = walk(400, 11, SYMBOLS);
    const { session: live } = session({ dataQualityHalt: { spikeReturn: -1 } });
    let error: unknown;
    try {
      for (let k = 0; k < bars.length; k++) await live.onBar(bars.time[k] as number, barsAt(bars, k), performance.now());
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ key: 'dataQualityHalt.spikeReturn' });
  });
});
