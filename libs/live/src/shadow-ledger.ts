import type { BarUniverse, BrokerEventSink, ClientOrderId, EpochMs, Fill, OrderRequest, OrderType, Ticker } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import type { ExecutionModels, ExecutionProfile } from '@quantbot/execution-sim';
import { SimulatedBroker } from '@quantbot/execution-sim';
import type { ShadowFillSide, ShadowOrderPair, ShortfallAttribution, TradingDayDrift } from '@quantbot/research-registry';
import type { LiveFillRecord, LiveOrderRecord, LiveStateStore } from './live-state';

/**
 * The shadow ledger: every paper or live order of a day placed again, on the same bars, in the
 * backtest's execution simulator (`SimulatedBroker` of `@quantbot/execution-sim`, under the
 * configured execution profile), beside what really happened. The pairs are the evidence; the
 * drift says how far the day's real executions were from what the backtest assumes.
 * See docs/execution.md, "Shadow ledger and drift".
 */

/** One OHLCV bar of a symbol (epoch ms; minute bars in a trading session). */
export interface ShadowBar {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** What {@link simulateShadowDay} compares. */
export interface ShadowDayInput {
  /**
   * The orders decided within the day, as journaled (`LiveStateStore.orders`, latest version of
   * each). Orders without a decision price, or whose limit or stop price the journal lacks, are
   * not compared (see {@link ShadowDay.skipped}).
   */
  readonly orders: readonly LiveOrderRecord[];
  /** The day's actual fills (`LiveStateStore.fills`); fills of orders not in `orders` are ignored. */
  readonly fills: readonly LiveFillRecord[];
  /**
   * Bars by symbol, in strictly increasing time: the day's bars (any bars before them serve the
   * impact model's lookback). The last bar of each symbol marks the day's P&L.
   */
  readonly bars: Readonly<Record<string, readonly ShadowBar[]>>;
  /** The execution profile the backtest runs under (e.g. `EXECUTION_PROFILES.realistic`). */
  readonly profile: ExecutionProfile;
  /** Models replacing the profile's own, as `SimulatedBrokerOptions.models` (e.g. the venue's fee schedule). */
  readonly models?: Partial<ExecutionModels>;
  /** Equity at the day's first step, above 0: the denominator of the return gap. */
  readonly startEquity: number;
  /** Seed of the simulator's liquidity-reject draws (default 1). */
  readonly seed?: number;
}

/** An order of the day the shadow could not place again, and why. */
export interface ShadowSkippedOrder {
  readonly clientOrderId: string;
  readonly reason: string;
}

/** What {@link simulateShadowDay} returns (frozen). */
export interface ShadowDay {
  /** Every compared order beside its shadow, in the order the orders were given. */
  readonly pairs: readonly ShadowOrderPair[];
  /** The day's drift; null when no order was compared. */
  readonly drift: TradingDayDrift | null;
  /** Orders left out of the comparison, in the order given. */
  readonly skipped: readonly ShadowSkippedOrder[];
}

const BPS = 10_000;
const KNOWN_TYPES: ReadonlySet<string> = new Set<OrderType>(['market', 'limit', 'stop', 'stop_limit', 'bracket']);
/** Statuses of an order the strategy (or the kill switch) ended itself: not meant to fill. */
const ENDED_BY_CLIENT: ReadonlySet<string> = new Set(['canceled', 'replaced']);

interface Compared {
  readonly record: LiveOrderRecord;
  readonly decisionPrice: number;
  readonly request: OrderRequest;
  /** When the strategy ended it (canceled or replaced), the time reported; else undefined. */
  readonly endedAt: number | undefined;
}

interface SideFill {
  readonly qty: number;
  readonly price: number;
  readonly commission: number;
  readonly time: number;
}

/**
 * Simulates the day's orders in the execution simulator and measures the drift of the actual
 * executions from it. Pure and deterministic: the same input gives the same answer.
 *
 * **The shadow.** Every compared order is submitted to a `SimulatedBroker` (the backtest's,
 * under `profile`, with `models` if given) over a universe of the given bars, with the same
 * client order id, symbol, side, quantity, type, limit and stop prices, decision time and
 * decision price; it fills by the simulator's own rules: a market order at the open of the first
 * bar after its decision (and its arrival, decision + latency), moved against it by the profile's
 * slippage, half spread and impact, and charged its fees; limits and stops as the simulator fills
 * them; partial fills under the participation cap (shared, bar by bar, by the shadow orders of
 * a symbol in decision order); liquidity rejects drawn from `seed`. Differences from a backtest,
 * all deliberate:
 * - the shadow works each order as good-till-canceled within the given bars: an order the bars'
 *   end leaves unfilled stays unfilled (a `day` order ends with the day; the simulator's own
 *   `day` rule, one bar, is meant for daily bars);
 * - an order the strategy canceled or replaced (actual status `canceled` or `replaced`) is
 *   canceled in the shadow before the first bar whose time is after the actual cancel was
 *   reported (`updatedAt`); with bars labelled by their start, the shadow may take one bar more
 *   than the venue did. A replacement is its own order (its own journal row);
 * - buying power is not checked (the account has unlimited cash): the orders passed the
 *   session's own checks;
 * - a bracket is placed as its entry (a limit when it has a limit price, else a market order):
 *   the journal holds no take-profit or stop-loss; its legs carry no decision price and are
 *   skipped;
 * - the simulator trades whole shares: it refuses a fractional quantity (the shadow is unfilled).
 *
 * **Skipped orders** (not compared, listed in `skipped`): no decision price (adopted at
 * reconciliation, a bracket leg, saved before the journal kept one); a limit or stop type without
 * its price in the journal; an unknown type; no bars for the symbol.
 *
 * **Drift** (each gap actual minus shadow; costs positive when they hurt):
 * - trading P&L of a side = Σ over its fills of s·qty·(last close of the day − fill price) −
 *   commission, s = +1 for a buy and −1 for a sell: what the day's orders made, marked at the
 *   symbol's last bar. Positions held before the day cancel out (both sides hold them);
 * - `returnGap` = (actual − shadow trading P&L) / `startEquity`;
 * - `slippageGapBps` = actual minus shadow quantity-weighted mean over fills of
 *   s·(fill − decision) / decision × 10⁴; null when either side has no fill;
 * - `fillRateGap` = actual minus shadow filled / ordered quantity, over the orders not canceled
 *   or replaced by the strategy (as execution quality counts them); null when there are none;
 * - `timingGapMs` = mean over orders filled on both sides of (actual first fill time − shadow
 *   first fill time); null when there are none. Shadow fills are stamped with their bar's time.
 *
 * **Attribution** of each actually filled order (null when it did not fill, or no bar of its
 * symbol follows its decision), in bps of decision price × filled quantity, with F the actual
 * quantity-weighted fill price and A the arrival price, the open of the first bar after the
 * decision: delay = s·(A − decision)/decision; spread = the profile's `halfSpreadBps`, capped at
 * s·(F − A)/decision when that is smaller, and never below 0; impact = s·(F − A)/decision −
 * spread; fees = commission / (decision × filled qty); total = their sum = s·(F − decision)/
 * decision + fees. Minute bars and no quotes cannot tell the spread paid from impact or from the
 * price moving in the seconds between the bar's open and the fill: the spread is the model's,
 * and all else after arrival is impact.
 *
 * Throws a `ConfigError` naming the field for a `startEquity` not above 0, two orders with one
 * client order id, or bars out of order or with a non-finite or non-positive price.
 */
export function simulateShadowDay(input: ShadowDayInput): ShadowDay {
  if (typeof input.startEquity !== 'number' || !Number.isFinite(input.startEquity) || input.startEquity <= 0) {
    throw new ConfigError('startEquity', `must be a finite number above 0, got ${String(input.startEquity)}`);
  }
  const bars = checkBars(input.bars);
  const { compared, skipped } = selectOrders(input.orders, bars);
  const universe = buildUniverse(bars);
  const shadowFills = runShadow(compared, universe, input);
  const actualFills = groupFills(input.fills, new Set(compared.map((c) => c.record.clientOrderId)));

  const pairs: ShadowOrderPair[] = [];
  let actualPnl = 0;
  let shadowPnl = 0;
  const slippage = { actual: { weighted: 0, qty: 0 }, shadow: { weighted: 0, qty: 0 } };
  const fillRate = { ordered: 0, actual: 0, shadow: 0 };
  let timingSum = 0;
  let timingCount = 0;
  for (const c of compared) {
    const { record, decisionPrice } = c;
    const sign = record.side === 'buy' ? 1 : -1;
    const symbolBars = bars.get(record.symbol) as readonly ShadowBar[];
    const mark = (symbolBars[symbolBars.length - 1] as ShadowBar).close;
    const actual = actualFills.get(record.clientOrderId) ?? [];
    const shadow = shadowFills.get(record.clientOrderId) ?? [];
    actualPnl += tradingPnl(actual, sign, mark);
    shadowPnl += tradingPnl(shadow, sign, mark);
    for (const [side, list] of [['actual', actual], ['shadow', shadow]] as const) {
      for (const f of list) {
        slippage[side].weighted += f.qty * ((sign * (f.price - decisionPrice)) / decisionPrice) * BPS;
        slippage[side].qty += f.qty;
      }
    }
    const actualSide = describeSide(actual);
    const shadowSide = describeSide(shadow);
    if (!ENDED_BY_CLIENT.has(record.status)) {
      fillRate.ordered += record.qty;
      fillRate.actual += actualSide.filledQty;
      fillRate.shadow += shadowSide.filledQty;
    }
    if (actual.length > 0 && shadow.length > 0) {
      timingSum += firstTime(actual) - firstTime(shadow);
      timingCount++;
    }
    pairs.push(
      Object.freeze({
        clientOrderId: record.clientOrderId,
        symbol: record.symbol,
        side: record.side,
        qty: record.qty,
        decisionPrice,
        decidedAt: isoTime(record.decidedAt),
        actual: actualSide,
        shadow: shadowSide,
        attribution: attribute(record, decisionPrice, actualSide, symbolBars, input.profile.halfSpreadBps),
      }),
    );
  }
  const drift: TradingDayDrift | null =
    pairs.length === 0
      ? null
      : Object.freeze({
          returnGap: (actualPnl - shadowPnl) / input.startEquity,
          slippageGapBps: slippage.actual.qty > 0 && slippage.shadow.qty > 0 ? slippage.actual.weighted / slippage.actual.qty - slippage.shadow.weighted / slippage.shadow.qty : null,
          fillRateGap: fillRate.ordered > 0 ? (fillRate.actual - fillRate.shadow) / fillRate.ordered : null,
          timingGapMs: timingCount > 0 ? timingSum / timingCount : null,
          ordersCompared: pairs.length,
          actualTradingPnl: actualPnl,
          shadowTradingPnl: shadowPnl,
        });
  return Object.freeze({ pairs: Object.freeze(pairs), drift, skipped: Object.freeze(skipped) });
}

/** The window of {@link shadowDayFromStore}: epoch ms, `fromMs` included, `toMs` excluded. */
export interface ShadowWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Options of {@link shadowDayFromStore} beyond the journal: as {@link ShadowDayInput}. */
export type ShadowDayOptions = Pick<ShadowDayInput, 'models' | 'seed'>;

/**
 * {@link simulateShadowDay} over a session's journal: the orders decided in the window
 * (`fromMs` ≤ `decidedAt` < `toMs`) and their fills within it (`fromMs` ≤ `time` < `toMs`).
 * Throws what the store throws (`LiveStateError`), a `ConfigError` `window` for a window that is
 * empty or not in whole milliseconds, and what {@link simulateShadowDay} throws.
 *
 * @example
 * const day = await shadowDayFromStore(store, 'paper-1', { fromMs: open, toMs: close }, barsBySymbol, EXECUTION_PROFILES.realistic, 100_000);
 * day.drift?.slippageGapBps; // how much worse (positive) the venue filled than the backtest assumes
 */
export async function shadowDayFromStore(
  store: LiveStateStore,
  sessionId: string,
  window: ShadowWindow,
  bars: Readonly<Record<string, readonly ShadowBar[]>>,
  profile: ExecutionProfile,
  startEquity: number,
  options: ShadowDayOptions = {},
): Promise<ShadowDay> {
  const { fromMs, toMs } = window;
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || !(fromMs < toMs)) {
    throw new ConfigError('window', `must be whole epoch milliseconds with fromMs < toMs, got ${String(fromMs)}..${String(toMs)}`);
  }
  const inWindow = (time: number): boolean => time >= fromMs && time < toMs;
  const orders = (await store.orders(sessionId)).filter((order) => inWindow(order.decidedAt));
  const ids = new Set(orders.map((order) => order.clientOrderId));
  const fills = (await store.fills(sessionId)).filter((fill) => ids.has(fill.clientOrderId) && inWindow(fill.time));
  return simulateShadowDay({ orders, fills, bars, profile, startEquity, ...options });
}

/**
 * The bars of a `BarUniverse` (a live session's buffer) within a window (`fromMs` ≤ time <
 * `toMs`), by symbol, for {@link simulateShadowDay}; symbols without a bar there are left out.
 */
export function shadowBarsFromUniverse(universe: BarUniverse, window: ShadowWindow): Readonly<Record<string, readonly ShadowBar[]>> {
  const out: Record<string, readonly ShadowBar[]> = {};
  universe.symbols.forEach((symbol, s) => {
    const list: ShadowBar[] = [];
    for (let k = 0; k < universe.length; k++) {
      const time = universe.time[k] as number;
      const at = s * universe.length + k;
      if (time < window.fromMs || time >= window.toMs || universe.hasBar[at] !== 1) continue;
      list.push(
        Object.freeze({
          time,
          open: universe.open[at] as number,
          high: universe.high[at] as number,
          low: universe.low[at] as number,
          close: universe.close[at] as number,
          volume: universe.volume[at] as number,
        }),
      );
    }
    if (list.length > 0) out[symbol as string] = Object.freeze(list);
  });
  return Object.freeze(out);
}

function checkBars(bars: Readonly<Record<string, readonly ShadowBar[]>>): Map<string, readonly ShadowBar[]> {
  if (typeof bars !== 'object' || bars === null) throw new ConfigError('bars', 'is not an object of bar lists by symbol');
  const out = new Map<string, readonly ShadowBar[]>();
  for (const [symbol, list] of Object.entries(bars)) {
    if (!Array.isArray(list)) throw new ConfigError(`bars.${symbol}`, 'is not an array of bars');
    let previous = Number.NEGATIVE_INFINITY;
    list.forEach((bar: ShadowBar, i) => {
      const at = `bars.${symbol}[${i}]`;
      if (!Number.isFinite(bar.time) || !(bar.time > previous)) throw new ConfigError(`${at}.time`, `${String(bar.time)} is not after the bar before it (${previous})`);
      previous = bar.time;
      for (const field of ['open', 'high', 'low', 'close'] as const) {
        if (!Number.isFinite(bar[field]) || !(bar[field] > 0)) throw new ConfigError(`${at}.${field}`, `${String(bar[field])} is not a finite price above 0`);
      }
      if (!Number.isFinite(bar.volume) || bar.volume < 0) throw new ConfigError(`${at}.volume`, `${String(bar.volume)} is not a finite volume of at least 0`);
    });
    if (list.length > 0) out.set(symbol, list);
  }
  return out;
}

function selectOrders(orders: readonly LiveOrderRecord[], bars: ReadonlyMap<string, readonly ShadowBar[]>): { compared: Compared[]; skipped: ShadowSkippedOrder[] } {
  const compared: Compared[] = [];
  const skipped: ShadowSkippedOrder[] = [];
  const seen = new Set<string>();
  orders.forEach((record, i) => {
    const id = record.clientOrderId;
    if (seen.has(id)) throw new ConfigError(`orders[${i}].clientOrderId`, `${JSON.stringify(id)} appears twice: pass the latest version of each order`);
    seen.add(id);
    const skip = (reason: string): void => {
      skipped.push(Object.freeze({ clientOrderId: id, reason }));
    };
    const decisionPrice = record.decisionPrice;
    if (decisionPrice === null || !(decisionPrice > 0) || !Number.isFinite(decisionPrice)) return skip('no decision price in the journal');
    if (!KNOWN_TYPES.has(record.type)) return skip(`unknown order type ${JSON.stringify(record.type)}`);
    const wire = record.type as OrderType;
    const type: Exclude<OrderType, 'bracket'> = wire === 'bracket' ? (record.limitPrice !== null ? 'limit' : 'market') : wire;
    if ((type === 'limit' || type === 'stop_limit') && record.limitPrice === null) return skip(`a ${type} order without a limit price in the journal`);
    if ((type === 'stop' || type === 'stop_limit') && record.stopPrice === null) return skip(`a ${type} order without a stop price in the journal`);
    if (!bars.has(record.symbol)) return skip(`no bars for ${record.symbol}`);
    const request: OrderRequest = Object.freeze({
      clientOrderId: id as ClientOrderId,
      symbol: record.symbol as Ticker,
      side: record.side,
      type,
      qty: record.qty,
      timeInForce: 'gtc',
      decidedAt: record.decidedAt as EpochMs,
      decisionPrice,
      ...(type === 'limit' || type === 'stop_limit' ? { limitPrice: record.limitPrice as number } : {}),
      ...(type === 'stop' || type === 'stop_limit' ? { stopPrice: record.stopPrice as number } : {}),
    });
    compared.push({ record, decisionPrice, request, endedAt: ENDED_BY_CLIENT.has(record.status) ? record.updatedAt : undefined });
  });
  return { compared, skipped };
}

/**
 * Every symbol given on the union of their bar times (the steps the session saw, so the impact
 * model's lookback counts the same bars); a symbol without a bar at a time has `hasBar` 0 there.
 */
function buildUniverse(bars: ReadonlyMap<string, readonly ShadowBar[]>): BarUniverse {
  const symbols = [...bars.keys()].sort();
  const times = [...new Set(symbols.flatMap((symbol) => (bars.get(symbol) ?? []).map((bar) => bar.time)))].sort((a, b) => a - b);
  const length = times.length;
  const size = symbols.length * length;
  const u = {
    symbols: symbols as Ticker[],
    length,
    time: Float64Array.from(times),
    open: new Float64Array(size).fill(NaN),
    high: new Float64Array(size).fill(NaN),
    low: new Float64Array(size).fill(NaN),
    close: new Float64Array(size).fill(NaN),
    volume: new Float64Array(size).fill(NaN),
    hasBar: new Uint8Array(size),
  };
  const step = new Map(times.map((time, k) => [time, k]));
  symbols.forEach((symbol, s) => {
    for (const bar of bars.get(symbol) ?? []) {
      const at = s * length + (step.get(bar.time) as number);
      u.open[at] = bar.open;
      u.high[at] = bar.high;
      u.low[at] = bar.low;
      u.close[at] = bar.close;
      u.volume[at] = bar.volume;
      u.hasBar[at] = 1;
    }
  });
  return u;
}

/** Runs the compared orders through the simulator, bar by bar; returns the shadow fills by client order id. */
function runShadow(compared: readonly Compared[], universe: BarUniverse, input: ShadowDayInput): Map<string, SideFill[]> {
  const fills = new Map<string, SideFill[]>();
  const broker = new SimulatedBroker({ universe, profile: input.profile, seed: input.seed ?? 1, ...(input.models !== undefined ? { models: input.models } : {}) });
  const sink: BrokerEventSink = {
    onFill: (fill: Fill) => {
      const list = fills.get(fill.clientOrderId) ?? [];
      list.push({ qty: fill.qty, price: fill.price, commission: fill.commission, time: fill.time });
      fills.set(fill.clientOrderId, list);
    },
    onOrderUpdate: () => undefined,
  };
  broker.connect({ cash: Number.POSITIVE_INFINITY }, sink);
  // Decision order (a stable sort keeps the given order among equal times): who comes first takes the capped volume first.
  const bySubmission = [...compared].sort((a, b) => a.record.decidedAt - b.record.decidedAt);
  const cancels = compared.filter((c) => c.endedAt !== undefined);
  let nextSubmit = 0;
  for (let k = 0; k < universe.length; k++) {
    const time = universe.time[k] as number;
    // Everything decided before this bar is at the broker when it opens; every cancel reported before it, too.
    while (nextSubmit < bySubmission.length && (bySubmission[nextSubmit] as Compared).record.decidedAt < time) {
      broker.submit((bySubmission[nextSubmit] as Compared).request);
      nextSubmit++;
    }
    for (let i = cancels.length - 1; i >= 0; i--) {
      const c = cancels[i] as Compared;
      if ((c.endedAt as number) < time && c.record.decidedAt < time) {
        broker.cancel(c.request.clientOrderId);
        cancels.splice(i, 1);
      }
    }
    broker.processBar(k);
  }
  return fills;
}

function groupFills(fills: readonly LiveFillRecord[], ids: ReadonlySet<string>): Map<string, SideFill[]> {
  const out = new Map<string, SideFill[]>();
  for (const fill of fills) {
    if (!ids.has(fill.clientOrderId)) continue;
    const list = out.get(fill.clientOrderId) ?? [];
    list.push({ qty: fill.qty, price: fill.price, commission: fill.commission, time: fill.time });
    out.set(fill.clientOrderId, list);
  }
  return out;
}

function tradingPnl(fills: readonly SideFill[], sign: number, mark: number): number {
  let pnl = 0;
  for (const f of fills) pnl += sign * f.qty * (mark - f.price) - f.commission;
  return pnl;
}

function firstTime(fills: readonly SideFill[]): number {
  let first = Number.POSITIVE_INFINITY;
  for (const f of fills) first = Math.min(first, f.time);
  return first;
}

function describeSide(fills: readonly SideFill[]): ShadowFillSide {
  let qty = 0;
  let notional = 0;
  let commission = 0;
  for (const f of fills) {
    qty += f.qty;
    notional += f.qty * f.price;
    commission += f.commission;
  }
  return Object.freeze({
    filledQty: qty,
    averagePrice: qty > 0 ? notional / qty : null,
    filledAt: fills.length > 0 ? isoTime(firstTime(fills)) : null,
    commission,
  });
}

function attribute(record: LiveOrderRecord, decisionPrice: number, actual: ShadowFillSide, bars: readonly ShadowBar[], halfSpreadBps: number): ShortfallAttribution | null {
  if (actual.averagePrice === null || actual.filledQty <= 0) return null;
  const arrivalBar = bars.find((bar) => bar.time > record.decidedAt);
  if (arrivalBar === undefined) return null;
  const sign = record.side === 'buy' ? 1 : -1;
  const arrivalPrice = arrivalBar.open;
  const delayBps = ((sign * (arrivalPrice - decisionPrice)) / decisionPrice) * BPS;
  const afterArrivalBps = ((sign * (actual.averagePrice - arrivalPrice)) / decisionPrice) * BPS;
  const spreadBps = Math.max(0, Math.min(halfSpreadBps, afterArrivalBps));
  const impactBps = afterArrivalBps - spreadBps;
  const feesBps = (actual.commission / (decisionPrice * actual.filledQty)) * BPS;
  return Object.freeze({ arrivalPrice, delayBps, spreadBps, impactBps, feesBps, totalBps: delayBps + spreadBps + impactBps + feesBps });
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
