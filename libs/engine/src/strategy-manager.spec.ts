import fc from 'fast-check';
import type { ClientOrderId, Fill, JsonValue, OrderUpdate, ReversalRule } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import { EXECUTION_PROFILES } from '@quantbot/execution-sim';
import type { SizingRule } from '@quantbot/risk-guardrails';
import type { OrderSpec, StepView, Strategy, StrategyContext, StrategyNotice } from '@quantbot/strategies';
import { SmaCrossover } from '@quantbot/strategies';
import { universeOf } from '../test/universe-builder';
import type { BacktestConfig } from './backtest-runner';
import { runBacktest } from './backtest-runner';
import { checkLookahead } from './lookahead-check';
import type { SleeveConfig } from './sleeve';
import { StrategyManager } from './strategy-manager';

type Action = (ctx: StrategyContext, ids: ClientOrderId[]) => void;

/** A sleeve strategy that does what its plan says at each step, keeping the ids it got back. */
class Scripted implements Strategy {
  readonly name: string;
  readonly ids: ClientOrderId[] = [];
  readonly fills: Fill[] = [];
  readonly updates: OrderUpdate[] = [];
  readonly #plan: ReadonlyMap<number, readonly Action[]>;

  constructor(name: string, plan: Readonly<Record<number, Action | readonly Action[]>>) {
    this.name = name;
    this.#plan = new Map(Object.entries(plan).map(([k, v]) => [Number(k), Array.isArray(v) ? (v as readonly Action[]) : [v as Action]]));
  }

  onBar(): void {
    // Decides per step.
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    const k = (step.views[0]?.visibleSteps ?? 0) - 1;
    for (const action of this.#plan.get(k) ?? []) action(ctx, this.ids);
  }

  onFill(fill: Fill): void {
    this.fills.push(fill);
  }

  onOrderUpdate(update: OrderUpdate): void {
    this.updates.push(update);
  }

  #fillsBefore = 0;

  /** Fills seen so far: the one thing it keeps (the plan is fixed). */
  exportState(): JsonValue {
    return { fills: this.#fillsBefore + this.fills.length };
  }

  importState(state: JsonValue): void {
    this.#fillsBefore = (state as { readonly fills: number }).fills;
  }
}

const send =
  (spec: OrderSpec): Action =>
  (ctx, ids) => {
    const id = ctx.submitOrder(spec);
    if (id !== undefined) ids.push(id);
  };
const buy = (symbolIndex: number, qty?: number): Action => send(qty === undefined ? { symbolIndex, side: 'buy', type: 'market' } : { symbolIndex, side: 'buy', type: 'market', qty });
const sell = (symbolIndex: number, qty?: number): Action => send(qty === undefined ? { symbolIndex, side: 'sell', type: 'market' } : { symbolIndex, side: 'sell', type: 'market', qty });
/** Closes the sleeve's position as `closePosition` would, keeping the id. */
const close =
  (symbolIndex: number): Action =>
  (ctx, ids) => {
    const qty = ctx.position(symbolIndex);
    if (qty !== 0) send({ symbolIndex, side: qty > 0 ? 'sell' : 'buy', type: 'market', qty: Math.abs(qty) })(ctx, ids);
  };
const closeAll =
  (symbolIndex: number): Action =>
  (ctx) =>
    ctx.closePosition(symbolIndex);

/** Wraps the manager to see every fill the engine reports, as a second, independent record. */
class Tap implements Strategy {
  readonly name: string;
  readonly fills: Fill[] = [];
  readonly inner: StrategyManager;
  readonly #beforeStep: (k: number, time: number) => void;

  constructor(inner: StrategyManager, beforeStep: (k: number, time: number) => void = () => undefined) {
    this.inner = inner;
    this.name = inner.name;
    this.#beforeStep = beforeStep;
  }

  onBar(): void {
    this.inner.onBar();
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    this.#beforeStep((step.views[0]?.visibleSteps ?? 0) - 1, ctx.time);
    this.inner.onStep(step, ctx);
  }

  onFill(fill: Fill): void {
    this.fills.push(fill);
    this.inner.onFill(fill);
  }

  onOrderUpdate(update: OrderUpdate): void {
    this.inner.onOrderUpdate(update);
  }
}

const fixed = (shares: number): SizingRule => ({ kind: 'fixed-shares', shares });
const withFees = { ...EXECUTION_PROFILES.idealistic, feeBps: 10 };

function run(strategy: Strategy, universe: BacktestConfig['universe'], extra: Partial<BacktestConfig> = {}) {
  return runBacktest({ universe, strategy, startingCash: 100_000, sizing: fixed(10), ...extra });
}

/** Cash flows of `fills` plus what they leave open, marked at `marks`: P&L computed from fills alone. */
function pnlOfFills(fills: readonly Fill[], marks: Readonly<Record<string, number>>): number {
  let cash = 0;
  const held = new Map<string, number>();
  for (const f of fills) {
    const signed = f.side === 'buy' ? f.qty : -f.qty;
    cash -= signed * f.price + f.commission;
    held.set(f.symbol, (held.get(f.symbol) ?? 0) + signed);
  }
  let value = 0;
  for (const [symbol, qty] of held) value += qty * (marks[symbol] as number);
  return cash + value;
}

const rising = universeOf({
  AAA: [[100, 100], [101, 102], [103, 104], [104, 103], [102, 101], [100, 99], [98, 97], [97, 98], [99, 100], [100, 101]],
  BBB: [[50, 50], [50, 51], [52, 52], [52, 53], [54, 55], [55, 54], [53, 52], [52, 52], [51, 50], [50, 50]],
});
const lastCloses = { AAA: 101, BBB: 50 };

describe('StrategyManager', () => {
  it('sizes each sleeve from its own equity, not the portfolio’s', () => {
    const a = new Scripted('a', { 0: buy(0) });
    const b = new Scripted('b', { 0: buy(1) });
    const manager = new StrategyManager({ sleeves: [{ name: 'a', strategy: a, allocation: 0.6 }, { name: 'b', strategy: b, allocation: 0.2 }] });
    run(manager, rising, { sizing: { kind: 'percent-of-equity', percent: 50 } });
    // 50% of the sleeve's equity at the decision close: a has 60 000 at AAA 100, b 20 000 at BBB 50.
    expect(a.fills.map((f) => f.qty)).toEqual([Math.floor((60_000 * 0.5) / 100)]);
    expect(b.fills.map((f) => f.qty)).toEqual([Math.floor((20_000 * 0.5) / 50)]);
    expect(manager.report().sleeves.map((s) => s.capital)).toEqual([60_000, 20_000]);
    expect(manager.report().unallocated).toBeCloseTo(20_000, 9);
  });

  it('attributes P&L per sleeve, and the sleeves’ P&L sums to the portfolio’s with commissions and opposite positions in one symbol', () => {
    // a: long 10 AAA from step 2 to step 6; b: short 7 AAA from step 3 to step 7 (the portfolio nets them); b also trades BBB.
    const a = new Scripted('a', { 1: buy(0, 10), 5: close(0) });
    const b = new Scripted('b', { 2: sell(0, 7), 3: buy(1, 20), 6: close(0), 8: close(1) });
    const tap = new Tap(new StrategyManager({ sleeves: [{ name: 'a', strategy: a, allocation: 0.5 }, { name: 'b', strategy: b, allocation: 0.5 }] }));
    const result = run(tap, rising, { fillModel: 'next-open', execution: withFees });
    const report = tap.inner.report();
    const [ra, rb] = report.sleeves;
    // Independently, from the fills of each sleeve's own order ids.
    const fillsOf = (ids: readonly ClientOrderId[]) => tap.fills.filter((f) => ids.includes(f.clientOrderId));
    expect(fillsOf(a.ids)).toHaveLength(2);
    expect(fillsOf(b.ids)).toHaveLength(4);
    expect(ra?.pnl).toBeCloseTo(pnlOfFills(fillsOf(a.ids), lastCloses), 6);
    expect(rb?.pnl).toBeCloseTo(pnlOfFills(fillsOf(b.ids), lastCloses), 6);
    // a bought at the open of step 2 (103) and sold at the open of step 6 (98).
    expect(ra?.realizedPnl).toBeCloseTo(10 * (98 - 103), 9);
    expect(ra?.commission).toBeGreaterThan(0);
    expect((ra?.commission ?? 0) + (rb?.commission ?? 0)).toBeCloseTo(result.metrics.totalCommission, 9);
    const portfolioPnl = (result.equity[result.equity.length - 1] as number) - 100_000;
    expect((ra?.pnl ?? 0) + (rb?.pnl ?? 0) + report.unattributed.pnl).toBeCloseTo(portfolioPnl, 6);
    expect(report.unattributed.fills).toBe(0);
    expect([ra?.closedTrades, rb?.closedTrades]).toEqual([1, 2]);
    // At every step's close, too.
    const curves = tap.inner.sleeveEquityCurves();
    for (let k = 0; k < result.equity.length; k++) {
      const sum = (curves.sleeves[0]?.equity[k] as number) + (curves.sleeves[1]?.equity[k] as number) + report.unallocated;
      expect(Math.abs(sum - (result.equity[k] as number))).toBeLessThan(1e-6);
    }
  });

  it('keeps the sum for any sequence of sleeve orders, netted or not, under either reversal rule (property)', () => {
    const step = fc.record({ sleeve: fc.integer({ min: 0, max: 2 }), k: fc.integer({ min: 0, max: 8 }), s: fc.integer({ min: 0, max: 1 }), side: fc.constantFrom('buy', 'sell', 'close'), qty: fc.integer({ min: 1, max: 40 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), fc.constantFrom<ReversalRule>('one-order', 'close-then-open'), (orders, reversals) => {
        const plans: Record<number, Action[]>[] = [{}, {}, {}];
        for (const o of orders) {
          const plan = plans[o.sleeve] as Record<number, Action[]>;
          const action = o.side === 'close' ? closeAll(o.s) : o.side === 'buy' ? buy(o.s, o.qty) : sell(o.s, o.qty);
          (plan[o.k] ??= []).push(action);
        }
        const sleeves: SleeveConfig[] = plans.map((plan, i) => ({ name: `s${i}`, strategy: new Scripted(`s${i}`, plan), allocation: 0.3 }));
        const manager = new StrategyManager({ sleeves });
        const result = run(manager, rising, { execution: withFees, reversals });
        const report = manager.report();
        const total = report.sleeves.reduce((sum, s) => sum + s.pnl, 0) + report.unattributed.pnl;
        expect(Math.abs(total - ((result.equity[result.equity.length - 1] as number) - 100_000))).toBeLessThan(1e-6);
        expect(report.unattributed.fills).toBe(0);
        // The portfolio holds the net of the sleeves' positions.
        for (const symbol of ['AAA', 'BBB']) {
          const net = report.sleeves.reduce((sum, s) => sum + (s.positions.find((p) => p.symbol === symbol)?.qty ?? 0), 0);
          const held = result.openPositions.filter((p) => p.symbol === symbol).reduce((sum, p) => sum + (p.side === 'long' ? p.qty : -p.qty), 0);
          expect(net).toBeCloseTo(held, 9);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('attributes the held opening part of a close-then-open split to the sleeve that sent the order', () => {
    // a holds 10 long; b sells 15, opening a short while the portfolio is long 10: the core splits
    // it into a sell of 10 (sent) and a sell of 5 (held until the position is flat, an id of its own).
    const a = new Scripted('a', { 0: buy(0, 10) });
    const b = new Scripted('b', { 2: sell(0, 15) });
    const manager = new StrategyManager({ sleeves: [{ name: 'a', strategy: a, allocation: 0.5 }, { name: 'b', strategy: b, allocation: 0.5 }] });
    const tap = new Tap(manager);
    const result = run(tap, rising, { reversals: 'close-then-open' });
    expect(b.ids).toHaveLength(1);
    const bFills = tap.fills.filter((f) => f.side === 'sell');
    expect(bFills.map((f) => f.qty)).toEqual([10, 5]);
    const heldId = bFills[1]?.clientOrderId as ClientOrderId;
    expect(heldId).not.toBe(b.ids[0]);
    // b's strategy was told of the held part's fill (only a fill of its own order reaches it).
    expect(b.fills.map((f) => f.clientOrderId)).toEqual([b.ids[0], heldId]);
    const [ra, rb] = manager.report().sleeves;
    expect(ra?.positions).toEqual([expect.objectContaining({ symbol: 'AAA', qty: 10 })]);
    expect(rb?.positions).toEqual([expect.objectContaining({ symbol: 'AAA', qty: -15 })]);
    expect(result.openPositions).toEqual([expect.objectContaining({ symbol: 'AAA', side: 'short', qty: 5 })]);
    expect(rb?.ordersSent).toBe(2);
  });

  it('tells a sleeve of its held order that the gateway refused when it was released, and stops counting it as working', () => {
    // b sells 15 against the portfolio's long 10 (a's): the sell of 10 goes, the 5 left is held; once
    // the portfolio is flat, the gateway (no shorts) refuses it. b is short 10 in its own books, which a's long nets.
    const a = new Scripted('a', { 0: buy(0, 10) });
    const pending: boolean[] = [];
    const b = new Scripted('b', { 2: sell(0, 15), 3: (ctx) => pending.push(ctx.hasPendingOrder(0)) });
    const manager = new StrategyManager({ sleeves: [{ name: 'a', strategy: a, allocation: 0.5 }, { name: 'b', strategy: b, allocation: 0.5 }] });
    const result = run(manager, rising, { reversals: 'close-then-open', risk: { limits: { allowShort: false } } });
    const rejected = b.updates.filter((u) => u.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(result.rejectedOrders.map((r) => r.clientOrderId)).toEqual([rejected[0]?.clientOrderId]);
    expect(pending).toEqual([false]);
    const rb = manager.report().sleeves[1];
    expect(rb?.ordersRejected).toBe(1);
    expect(rb?.positions).toEqual([expect.objectContaining({ symbol: 'AAA', qty: -10 })]);
    expect(result.openPositions).toEqual([]);
  });

  describe('a sleeve kill switch', () => {
    // AAA falls from 100 to 85; BBB drifts up.
    const falling = universeOf({
      AAA: [[100, 100], [100, 100], [100, 98], [98, 95], [95, 93], [93, 90], [90, 88], [88, 87], [87, 86], [86, 85]],
      BBB: [[50, 50], [50, 50], [50, 51], [51, 51], [51, 52], [52, 52], [52, 53], [53, 53], [53, 54], [54, 54]],
    });

    function twoSleeves(killSwitch: SleeveConfig['killSwitch'], planA: ConstructorParameters<typeof Scripted>[1]) {
      const notices: StrategyNotice[] = [];
      const a = new Scripted('a', planA);
      const b = new Scripted('b', { 4: buy(1, 10), 7: close(1) });
      const manager = new StrategyManager({
        sleeves: [{ name: 'a', strategy: a, allocation: 0.5, ...(killSwitch !== undefined ? { killSwitch } : {}) }, { name: 'b', strategy: b, allocation: 0.5 }],
        notify: (n) => notices.push(n),
      });
      return { a, b, manager, notices };
    }

    it('halts the sleeve at its loss limit: its new orders are dropped and a notice is raised, while the other sleeve trades on', () => {
      // a holds 500 AAA bought at 100: at the close of 95 (step 3) it has lost 2 500, 5% of its 50 000.
      const { a, b, manager, notices } = twoSleeves({ maxLossPct: 5, action: 'halt' }, { 0: buy(0, 500), 5: buy(1, 10) });
      const result = run(manager, falling);
      expect(notices).toEqual([expect.objectContaining({ strategy: 'a', code: 'sleeve-halted', time: falling.time[3] })]);
      expect(notices[0]?.message).toMatch(/loss 5\.00% reached maxLossPct 5/);
      const [ra, rb] = manager.report().sleeves;
      expect(ra).toEqual(expect.objectContaining({ state: 'halted', ordersDropped: 1, ordersSent: 1 }));
      expect(ra?.transitions).toEqual([expect.objectContaining({ from: 'active', to: 'halted', source: 'kill-switch', time: falling.time[3] })]);
      // Halting keeps what it holds; the dropped order never reached the engine.
      expect(ra?.positions).toEqual([expect.objectContaining({ symbol: 'AAA', qty: 500 })]);
      expect(a.ids).toHaveLength(1);
      expect(b.fills).toHaveLength(2);
      expect(rb).toEqual(expect.objectContaining({ state: 'active', closedTrades: 1 }));
      expect(result.trades).toEqual([expect.objectContaining({ symbol: 'BBB', qty: 10 })]);
      // The portfolio's kill switch was never involved.
      expect(result.guardrails.transitions).toEqual([]);
    });

    it('flattens the sleeve at its drawdown limit: its working orders are canceled and its positions closed, then it is halted', () => {
      // a also has a limit buy working far below the market when it trips.
      const { a, manager, notices } = twoSleeves({ maxDrawdownPct: 4, action: 'flatten' }, { 0: buy(0, 500), 1: send({ symbolIndex: 0, side: 'buy', type: 'limit', qty: 10, limitPrice: 50 }) });
      const tap = new Tap(manager);
      const result = run(tap, falling);
      expect(notices.map((n) => [n.code, n.time])).toEqual([
        ['sleeve-flattening', falling.time[3]],
        ['sleeve-flattened', falling.time[4]],
      ]);
      expect(result.canceledOrders).toEqual([expect.objectContaining({ clientOrderId: a.ids[1], status: 'canceled' })]);
      // Closed at the open of step 4 (95): a lost 500 x 5, and holds nothing.
      const closing = tap.fills.find((f) => f.side === 'sell' && f.symbol === 'AAA');
      expect(closing).toEqual(expect.objectContaining({ qty: 500, price: 95, time: falling.time[4] }));
      const [ra, rb] = manager.report().sleeves;
      expect(ra).toEqual(expect.objectContaining({ state: 'halted', positions: [], realizedPnl: -2_500 }));
      expect(a.fills.map((f) => f.clientOrderId)).toContain(closing?.clientOrderId);
      expect(rb?.closedTrades).toBe(1);
      expect(result.openPositions).toEqual([]);
    });

    it('lets an operator resume a halted sleeve; its limits are measured from its equity at the resume', () => {
      let outcome: unknown;
      const { manager, notices } = twoSleeves({ maxLossPct: 5, action: 'halt' }, { 0: buy(0, 500), 5: buy(1, 10) });
      const tap = new Tap(manager, (k, time) => {
        if (k === 5) outcome = manager.resumeSleeve('a', { reason: 'loss reviewed', time, by: 'risk desk' });
      });
      run(tap, falling);
      expect(outcome).toEqual({ applied: true, sleeve: 'a', state: 'active' });
      // Resumed before step 5 decides, at its equity then (the close of 93: 46 500, 7% below its capital), a trades
      // at step 5; only what it loses after the resume counts: at the close of 88 it is 5.35% down from 46 500 and halts again.
      const ra = manager.report().sleeves[0];
      expect(ra?.ordersDropped).toBe(0);
      expect(ra?.positions.map((p) => [p.symbol, p.qty])).toEqual([['AAA', 500], ['BBB', 10]]);
      expect(notices.map((n) => n.code)).toEqual(['sleeve-halted', 'sleeve-resumed', 'sleeve-halted']);
      expect(notices[1]?.message).toContain('operator risk desk: loss reviewed');
      expect(notices[2]?.time).toBe(falling.time[6]);
      expect(notices[2]?.message).toContain('from 46500.00');
    });

    it('refuses operator commands that do not apply, and names the sleeves', () => {
      const { manager } = twoSleeves(undefined, {});
      expect(manager.haltSleeve('a', { action: 'halt', reason: 'x', time: 0 })).toEqual(expect.objectContaining({ applied: false, refusal: 'the manager has not seen a bar yet' }));
      run(manager, falling);
      expect(manager.haltSleeve('a', { action: 'halt', reason: 'desk', time: 1 })).toEqual({ applied: true, sleeve: 'a', state: 'halted' });
      expect(manager.haltSleeve('a', { action: 'halt', reason: 'again', time: 2 })).toEqual(expect.objectContaining({ applied: false, state: 'halted', refusal: "sleeve a is halted: 'halt' does not apply" }));
      expect(manager.haltSleeve('zz', { action: 'flatten', reason: 'x', time: 3 })).toEqual(expect.objectContaining({ applied: false, state: 'unknown', refusal: "no sleeve named 'zz'; sleeves: a, b" }));
      expect(manager.haltSleeve('a', { action: 'flatten', reason: 'close it', time: 4 })).toEqual({ applied: true, sleeve: 'a', state: 'flatten' });
      expect(() => manager.sleeveState('zz')).toThrow(ConfigError);
    });

    it('survives export and import: books, states, counters and order ownership come back; other sleeves are refused', () => {
      const { manager } = twoSleeves({ maxLossPct: 5, action: 'halt' }, { 0: buy(0, 500), 1: send({ symbolIndex: 0, side: 'buy', type: 'limit', qty: 10, limitPrice: 50 }), 5: buy(1, 10) });
      run(manager, falling);
      const saved = JSON.parse(JSON.stringify(manager.exportState())) as JsonValue;
      const fresh = twoSleeves({ maxLossPct: 5, action: 'halt' }, {});
      fresh.manager.importState(saved);
      expect(fresh.manager.report()).toEqual(manager.report());
      expect(fresh.manager.sleeveState('a')).toBe('halted');
      expect(fresh.manager.exportState()).toEqual(saved);

      const other = new StrategyManager({ sleeves: [{ name: 'a', strategy: new Scripted('a', {}), allocation: 0.5 }, { name: 'c', strategy: new Scripted('c', {}), allocation: 0.5 }] });
      expect(() => other.importState(saved)).toThrow(new ConfigError('strategy state.sleeves', 'holds sleeves a, b; this manager has a, c: start a new session for other sleeves'));
      const damaged = JSON.parse(JSON.stringify(saved)) as { sleeves: { ledger: { cash: unknown } }[] };
      (damaged.sleeves[1] as { ledger: { cash: unknown } }).ledger.cash = 'lots';
      expect(() => twoSleeves(undefined, {}).manager.importState(damaged as unknown as JsonValue)).toThrow(/strategy state\.sleeves\[1\]\.ledger\.cash: expected a finite number/);
    });
  });

  it('attributes bracket legs to the sleeve of their entry, by parentId', () => {
    // a: a bracket buy of 10 AAA at step 1 (entry at 103), stop at 99.5 (hit at step 5), take-profit far away.
    const a = new Scripted('a', { 1: send({ symbolIndex: 0, side: 'buy', type: 'bracket', qty: 10, takeProfitPrice: 200, stopLossPrice: 99.5 }) });
    const b = new Scripted('b', { 1: sell(0, 5) });
    const manager = new StrategyManager({ sleeves: [{ name: 'a', strategy: a, allocation: 0.5 }, { name: 'b', strategy: b, allocation: 0.5 }] });
    const tap = new Tap(manager);
    const result = run(tap, rising);
    const entry = a.ids[0] as ClientOrderId;
    expect(a.fills.map((f) => [f.side, f.qty, f.parentId])).toEqual([
      ['buy', 10, undefined],
      ['sell', 10, entry],
    ]);
    expect(a.updates.filter((u) => u.parentId === entry).map((u) => u.status)).toEqual(expect.arrayContaining(['accepted', 'filled', 'canceled']));
    const [ra, rb] = manager.report().sleeves;
    expect(ra).toEqual(expect.objectContaining({ positions: [], closedTrades: 1, fills: 2 }));
    expect(rb?.positions).toEqual([expect.objectContaining({ qty: -5 })]);
    // Nothing of a's is followed any more once the legs ended.
    expect(manager.sleeveOf(entry)).toBeUndefined();
    const total = (ra?.pnl ?? 0) + (rb?.pnl ?? 0);
    expect(Math.abs(total - ((result.equity[result.equity.length - 1] as number) - 100_000))).toBeLessThan(1e-6);
  });

  it('follows a replacement as the sleeve’s order, and refuses a sleeve that touches another’s order', () => {
    const seen: (string | undefined)[] = [];
    let caught: unknown;
    const a = new Scripted('a', {
      1: send({ symbolIndex: 0, side: 'buy', type: 'limit', qty: 10, limitPrice: 50 }),
      2: (ctx, ids) => {
        ids.push(ctx.replaceOrder(ids[0] as ClientOrderId, { limitPrice: 60 }));
        seen.push(manager.sleeveOf(ids[1] as ClientOrderId));
      },
      // Replaced again by a limit at 200, which fills at the next open.
      4: (ctx, ids) => ids.push(ctx.replaceOrder(ids[1] as ClientOrderId, { limitPrice: 200 })),
    });
    const b = new Scripted('b', {
      3: (ctx) => {
        seen.push(manager.sleeveOf(a.ids[1] as ClientOrderId));
        try {
          ctx.cancelOrder(a.ids[1] as ClientOrderId);
        } catch (error) {
          caught = error;
        }
      },
    });
    const manager = new StrategyManager({ sleeves: [{ name: 'a', strategy: a, allocation: 0.5 }, { name: 'b', strategy: b, allocation: 0.5 }] });
    run(manager, rising);
    expect(seen).toEqual(['a', 'a']);
    expect(caught).toEqual(new RangeError(`sleeve b cannot change order ${a.ids[1] as string}: it is sleeve a's`));
    expect(a.fills.map((f) => [f.clientOrderId, f.qty])).toEqual([[a.ids[2], 10]]);
    expect(a.updates.filter((u) => u.status === 'replaced').map((u) => u.clientOrderId)).toEqual([a.ids[0], a.ids[1]]);
    expect(manager.report().sleeves[0]?.positions).toEqual([expect.objectContaining({ symbol: 'AAA', qty: 10 })]);
  });

  it('counts orders refused for a sleeve: sized to 0 from its books, refused by the gateway, rejected by the broker', () => {
    const tiny = new Scripted('tiny', { 1: buy(0) });
    const big = new Scripted('big', { 1: buy(1, 50) });
    const broke = new Scripted('broke', { 1: buy(0, 2_000) });
    const manager = new StrategyManager({
      sleeves: [
        { name: 'tiny', strategy: tiny, allocation: 0.001 },
        { name: 'big', strategy: big, allocation: 0.3 },
        { name: 'broke', strategy: broke, allocation: 0.3 },
      ],
    });
    const result = run(manager, rising, { sizing: { kind: 'percent-of-cash', percent: 50 }, fillModel: 'next-open', risk: { limits: { maxOrderNotional: 250_000 } } });
    // 50% of tiny's 100 buys no share of a 102 stock; big's 50 x 51 passes; broke's 2 000 x 102 passes the gateway, but not the broker's buying power.
    expect(result.rejectedOrders[0]?.reason).toBe('sized quantity is 0 (percent-of-cash; sleeve tiny cash 100.00, price 102)');
    const counts = manager.report().sleeves.map((s) => [s.name, s.ordersSent, s.ordersRefused, s.ordersRejected]);
    expect(counts).toEqual([
      ['tiny', 0, 1, 0],
      ['big', 1, 0, 0],
      ['broke', 1, 0, 1],
    ]);

    const capped = new StrategyManager({ sleeves: [{ name: 'big', strategy: new Scripted('big', { 1: buy(1, 50) }), allocation: 0.3 }] });
    run(capped, rising, { risk: { limits: { maxOrderNotional: 1_000 } } });
    expect(capped.report().sleeves[0]).toEqual(expect.objectContaining({ ordersSent: 0, ordersRefused: 1 }));
  });

  it('shares a close the portfolio kill switch makes among the sleeves that hold the symbol', () => {
    const falling = universeOf({ AAA: [[100, 100], [100, 100], [100, 97], [96, 95], [95, 94], [94, 93]] });
    const a = new Scripted('a', { 0: buy(0, 200) });
    const b = new Scripted('b', { 0: buy(0, 100) });
    const c = new Scripted('c', { 0: sell(0, 50) });
    const manager = new StrategyManager({ sleeves: [{ name: 'a', strategy: a, allocation: 0.4 }, { name: 'b', strategy: b, allocation: 0.3 }, { name: 'c', strategy: c, allocation: 0.3 }] });
    const tap = new Tap(manager);
    const result = run(tap, falling, { execution: withFees, risk: { killSwitch: { flattenAtDrawdownPct: 0.5 } } });
    // The portfolio (net long 250) is flattened with one sell of 250 that no sleeve sent.
    const flatten = tap.fills.find((f) => !a.ids.includes(f.clientOrderId) && !b.ids.includes(f.clientOrderId) && !c.ids.includes(f.clientOrderId));
    expect(flatten).toEqual(expect.objectContaining({ side: 'sell', qty: 250 }));
    const report = manager.report();
    expect(report.sleeves.map((s) => s.positions)).toEqual([[], [], []]);
    expect(report.unattributed.fills).toBe(0);
    const price = flatten?.price as number;
    const [ra, , rc] = report.sleeves;
    // a sold its 200, c bought back its 50, each at the flatten's price; the commission is shared by quantity (200 of 350 to a).
    expect(ra?.realizedPnl).toBeCloseTo(200 * (price - 100), 9);
    expect(rc?.realizedPnl).toBeCloseTo(50 * (100 - price), 9);
    const aOwnCommission = tap.fills.filter((f) => a.ids.includes(f.clientOrderId)).reduce((sum, f) => sum + f.commission, 0);
    expect(ra?.commission).toBeCloseTo(aOwnCommission + ((flatten?.commission as number) * 200) / 350, 9);
    const total = report.sleeves.reduce((sum, s) => sum + s.pnl, 0);
    expect(Math.abs(total - ((result.equity[result.equity.length - 1] as number) - 100_000))).toBeLessThan(1e-6);
  });

  it('is refused by the lookahead check, which takes each sleeve’s strategy on its own', () => {
    const build = () => new StrategyManager({ sleeves: [{ name: 'trend', strategy: new SmaCrossover({ fast: 2, slow: 3, allowShort: false }, 2), allocation: 1 }] });
    expect(() => checkLookahead({ universe: rising, build, startingCash: 100_000, sizing: fixed(1), cutoffs: 2 })).toThrow(/check each sleeve's strategy \(trend\) on its own/);
  });

  it('checks its settings: allocations, names and kill switches', () => {
    const strategy = new Scripted('x', {});
    const make = (sleeves: readonly Partial<SleeveConfig>[], capital?: number) => () =>
      new StrategyManager({ sleeves: sleeves.map((s, i) => ({ name: `s${i}`, strategy, allocation: 0.5, ...s })), ...(capital !== undefined ? { capital } : {}) });
    expect(make([{}, {}, {}])).toThrow(new ConfigError('sleeves[2].allocation', 'the allocations add up to 1.5 with this sleeve; they may add up to at most 1'));
    expect(make([{ allocation: 0 }])).toThrow(/sleeves\[0\]\.allocation: must be a fraction/);
    expect(make([{}, { name: 's0' }])).toThrow(/sleeves\[1\]\.name: 's0' is the name of an earlier sleeve/);
    expect(make([{ name: 'a b' }])).toThrow(/sleeves\[0\]\.name/);
    expect(make([{ killSwitch: { action: 'halt' } }])).toThrow(/sleeves\[0\]\.killSwitch: give maxDrawdownPct, maxLossPct or both/);
    expect(make([{ killSwitch: { maxLossPct: 120, action: 'halt' } }])).toThrow(/sleeves\[0\]\.killSwitch\.maxLossPct: must be a percentage/);
    expect(make([{}], -5)).toThrow(/capital: must be a positive amount/);
    expect(make([])).toThrow(/sleeves: a manager needs at least one sleeve/);
  });
});
