import type { EpochMs, LedgerSnapshot, Ticker } from '@quantbot/core';
import { PortfolioLedger } from '@quantbot/core';
import type { Strategy } from '@quantbot/strategies';
import { nextSleeveState } from './sleeve-state';
import type { SleeveEvent, SleeveState, SleeveTransition } from './sleeve-state';
import { TradeTracker } from './trade-tracker';
import type { ClosedTrade } from './trade-tracker';

/**
 * A sleeve's own kill switch, judged on the sleeve's equity at every step's close: past
 * `maxDrawdownPct` (% below its highest equity) or `maxLossPct` (% of its capital lost), the
 * sleeve is halted (`halt`: its new orders are dropped, what it holds stays) or flattened
 * (`flatten`: the manager cancels its working orders and closes its positions, then halts it).
 * Both levels are in percent, above 0 and at most 100; at least one must be given. After an
 * operator resumes the sleeve, both are measured from its equity at the resume.
 */
export interface SleeveKillSwitch {
  readonly maxDrawdownPct?: number;
  readonly maxLossPct?: number;
  readonly action: 'halt' | 'flatten';
}

/**
 * One sleeve of a `StrategyManager`: a strategy trading `allocation` (a fraction of the manager's
 * capital, above 0; the sleeves' sum at most 1) under its own name (1-40 letters, digits, `-`,
 * `_`) and, optionally, its own kill switch.
 */
export interface SleeveConfig {
  readonly name: string;
  readonly strategy: Strategy;
  readonly allocation: number;
  readonly killSwitch?: SleeveKillSwitch;
}

/** A sleeve's open position, marked at its latest close. */
export interface SleevePosition {
  readonly symbol: Ticker;
  /** Signed shares: positive long, negative short. */
  readonly qty: number;
  readonly averageCost: number;
  readonly markPrice: number;
  readonly unrealizedPnl: number;
}

/**
 * What one sleeve did, from its own books: the fills of its own orders (and its share of closes
 * the portfolio made for it), marked at the latest closes. Money is in currency.
 * `pnl = equity − capital = realizedPnl + unrealizedPnl − commission`.
 */
export interface SleeveReport {
  readonly name: string;
  readonly strategy: string;
  readonly allocation: number;
  /** The sleeve's starting equity: allocation × the manager's capital. */
  readonly capital: number;
  readonly state: SleeveState;
  /** Why it is in that state (null while it has always been active). */
  readonly stateReason: string | null;
  readonly cash: number;
  readonly equity: number;
  readonly pnl: number;
  /** `pnl / capital × 100`. */
  readonly returnPct: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly commission: number;
  /** Deepest fall below its highest equity seen at a step's close, in percent. */
  readonly maxDrawdownPct: number;
  readonly closedTrades: number;
  readonly winningTrades: number;
  readonly fills: number;
  /** Orders it sent that the engine took (sent, or held until a position is flat). */
  readonly ordersSent: number;
  /** Orders the engine refused before the broker saw them: sized to 0, or refused by the gateway. */
  readonly ordersRefused: number;
  /** Orders the broker rejected. */
  readonly ordersRejected: number;
  /** Orders it asked for while it was halted or flattening: dropped by the manager, never sent. */
  readonly ordersDropped: number;
  readonly positions: readonly SleevePosition[];
  readonly transitions: readonly SleeveTransition[];
}

/** Counters a sleeve keeps across restarts. */
export interface SleeveCounters {
  fills: number;
  ordersSent: number;
  ordersRefused: number;
  ordersRejected: number;
  ordersDropped: number;
  /** Closed and winning trades before the latest restart (the trade tracker starts again there). */
  closedBefore: number;
  winningBefore: number;
}

/**
 * A sleeve's books and state inside the manager: its own ledger (the fills of its own orders),
 * round-trip trades, working orders per symbol, kill-switch marks and counters.
 */
export class Sleeve {
  readonly name: string;
  readonly strategy: Strategy;
  readonly allocation: number;
  readonly killSwitch: SleeveKillSwitch | undefined;
  capital = Number.NaN;
  ledger!: PortfolioLedger;
  trades!: TradeTracker;
  /** Orders of this sleeve working (or held) per symbol. */
  working!: Int32Array;
  state: SleeveState = 'active';
  stateReason: string | null = null;
  readonly transitions: SleeveTransition[] = [];
  /** Highest equity at a close since the start (or the latest resume). */
  peakEquity = Number.NaN;
  /** Equity the loss limit is measured from: the capital, or the equity at the latest resume. */
  lossBase = Number.NaN;
  maxDrawdownPct = 0;
  /** Highest equity ever seen (for `maxDrawdownPct`, which a resume does not reset). */
  #highWater = Number.NaN;
  readonly counters: SleeveCounters = { fills: 0, ordersSent: 0, ordersRefused: 0, ordersRejected: 0, ordersDropped: 0, closedBefore: 0, winningBefore: 0 };
  #equity = new Float64Array(0);
  #equityLength = 0;

  constructor(config: SleeveConfig) {
    this.name = config.name;
    this.strategy = config.strategy;
    this.allocation = config.allocation;
    this.killSwitch = config.killSwitch;
  }

  /** Opens the books over `symbols` with `capital` in cash. */
  open(symbols: readonly Ticker[], capital: number): void {
    this.capital = capital;
    this.ledger = new PortfolioLedger(symbols, capital);
    this.trades = new TradeTracker(symbols);
    this.working = new Int32Array(symbols.length);
    this.peakEquity = capital;
    this.lossBase = capital;
    this.#highWater = capital;
  }

  /**
   * Restores the books from a snapshot (a restart). The trade tracker starts again: each open
   * position becomes an open trade at its average cost, so a later close is judged against it.
   */
  restore(symbols: readonly Ticker[], capital: number, snapshot: LedgerSnapshot, time: EpochMs, step: number): void {
    this.open(symbols, capital);
    this.ledger = PortfolioLedger.restore(symbols, snapshot);
    for (let s = 0; s < symbols.length; s++) {
      const qty = this.ledger.qty(s);
      if (qty !== 0) this.trades.onFill(s, qty, this.ledger.averageCost(s), 0, time, step);
    }
  }

  /** Books a fill (signed: a buy is positive) on symbol `s`. */
  book(s: number, signedQty: number, price: number, commission: number, time: EpochMs, step: number): void {
    this.ledger.applyFill(s, signedQty, price, commission);
    this.trades.onFill(s, signedQty, price, commission, time, step);
  }

  /** Keeps the equity at this step's close (when the manager records curves) and follows its peak. */
  observe(record: boolean): void {
    const equity = this.ledger.equity();
    if (record) {
      if (this.#equityLength === this.#equity.length) {
        const grown = new Float64Array(Math.max(256, this.#equity.length * 2));
        grown.set(this.#equity);
        this.#equity = grown;
      }
      this.#equity[this.#equityLength++] = equity;
    }
    if (equity > this.peakEquity) this.peakEquity = equity;
    if (equity > this.#highWater) this.#highWater = equity;
    const drawdown = this.#highWater > 0 ? ((this.#highWater - equity) / this.#highWater) * 100 : 0;
    if (drawdown > this.maxDrawdownPct) this.maxDrawdownPct = drawdown;
  }

  /** Equity at each recorded step's close. */
  equityCurve(): Float64Array {
    return this.#equity.slice(0, this.#equityLength);
  }

  /** Why the kill switch trips now (a readable reason), or undefined when it does not. */
  breach(): string | undefined {
    const limits = this.killSwitch;
    if (limits === undefined || this.state !== 'active') return undefined;
    const equity = this.ledger.equity();
    const drawdown = this.peakEquity > 0 ? ((this.peakEquity - equity) / this.peakEquity) * 100 : 0;
    if (limits.maxDrawdownPct !== undefined && drawdown >= limits.maxDrawdownPct) {
      return `drawdown ${drawdown.toFixed(2)}% reached maxDrawdownPct ${limits.maxDrawdownPct} (equity ${equity.toFixed(2)}, peak ${this.peakEquity.toFixed(2)})`;
    }
    const loss = this.lossBase > 0 ? ((this.lossBase - equity) / this.lossBase) * 100 : 0;
    if (limits.maxLossPct !== undefined && loss >= limits.maxLossPct) {
      return `loss ${loss.toFixed(2)}% reached maxLossPct ${limits.maxLossPct} (equity ${equity.toFixed(2)}, from ${this.lossBase.toFixed(2)})`;
    }
    return undefined;
  }

  /** Applies `event` through the transition table; a resume measures the kill switch from now on. */
  move(event: SleeveEvent, reason: string, time: number, source: SleeveTransition['source']): SleeveTransition {
    const from = this.state;
    const to = nextSleeveState(this.name, from, event);
    this.state = to;
    this.stateReason = reason;
    if (event === 'resume') {
      const equity = this.ledger.equity();
      this.peakEquity = equity;
      this.lossBase = equity;
    }
    const transition: SleeveTransition = Object.freeze({ time, from, to, reason, source });
    this.transitions.push(transition);
    return transition;
  }

  /** True while the sleeve holds nothing and no order of it works. */
  isFlat(): boolean {
    for (let s = 0; s < this.working.length; s++) {
      if (this.ledger.qty(s) !== 0 || (this.working[s] as number) > 0) return false;
    }
    return true;
  }

  /** Closed trades since the books were opened or restored. */
  closedTrades(): readonly ClosedTrade[] {
    return this.trades.closed;
  }

  report(): SleeveReport {
    const ledger = this.ledger;
    const equity = ledger.equity();
    const closed = this.trades.closed;
    const positions = ledger.openPositions().map(
      (p): SleevePosition => Object.freeze({ symbol: p.symbol, qty: p.qty, averageCost: p.averageCost, markPrice: p.marketPrice, unrealizedPnl: p.unrealizedPnl }),
    );
    return Object.freeze({
      name: this.name,
      strategy: this.strategy.name,
      allocation: this.allocation,
      capital: this.capital,
      state: this.state,
      stateReason: this.stateReason,
      cash: ledger.cash,
      equity,
      pnl: equity - this.capital,
      returnPct: ((equity - this.capital) / this.capital) * 100,
      realizedPnl: ledger.realizedPnl,
      unrealizedPnl: ledger.unrealizedPnl(),
      commission: ledger.fees,
      maxDrawdownPct: this.maxDrawdownPct,
      closedTrades: this.counters.closedBefore + closed.length,
      winningTrades: this.counters.winningBefore + closed.filter((t) => t.netPnl > 0).length,
      fills: this.counters.fills,
      ordersSent: this.counters.ordersSent,
      ordersRefused: this.counters.ordersRefused,
      ordersRejected: this.counters.ordersRejected,
      ordersDropped: this.counters.ordersDropped,
      positions: Object.freeze(positions),
      transitions: Object.freeze([...this.transitions]),
    });
  }

  /** The highest equity ever seen, for saved state. */
  get highWater(): number {
    return this.#highWater;
  }

  /** Restores the kill-switch marks of saved state. */
  restoreMarks(peak: number, lossBase: number, highWater: number, maxDrawdownPct: number): void {
    this.peakEquity = peak;
    this.lossBase = lossBase;
    this.#highWater = highWater;
    this.maxDrawdownPct = maxDrawdownPct;
  }
}

