import type { ClientOrderId, EpochMs, Fill, JsonValue, LedgerSnapshot, OrderUpdate, Ticker } from '@quantbot/core';
import { ConfigError, PortfolioLedger, epochMs, isTerminalOrderStatus } from '@quantbot/core';
import type { BarView, OrderSpec, StepView, Strategy, StrategyContext, StrategyNotice } from '@quantbot/strategies';
import { Sleeve } from './sleeve';
import type { SleeveConfig, SleeveCounters, SleeveKillSwitch, SleevePosition, SleeveReport } from './sleeve';
import { SleeveContext } from './sleeve-context';
import type { SleeveDesk } from './sleeve-context';
import { SLEEVE_STATES, SLEEVE_TRANSITIONS } from './sleeve-state';
import type { SleeveEvent, SleeveState, SleeveTransition } from './sleeve-state';
import type { ClosedTrade } from './trade-tracker';
import { TradingCore } from './trading-core';

/** The name a `StrategyManager` trades under (in checkpoints, order ids and reports) unless given another. */
export const STRATEGY_MANAGER_NAME = 'strategy-manager';

/** Options of a {@link StrategyManager}. */
export interface StrategyManagerOptions {
  /** The sleeves, in the order they decide at each step. Names are unique. */
  readonly sleeves: readonly SleeveConfig[];
  /**
   * The capital the allocations are fractions of, in currency. Default: the portfolio's equity
   * at the first step the manager sees (a backtest's starting cash).
   */
  readonly capital?: number;
  /** Where sleeve notices go (`sleeve-halted`, `sleeve-flattening`, `sleeve-flattened`, `sleeve-resumed`). */
  readonly notify?: (notice: StrategyNotice) => void;
  /** Keep every sleeve's equity at every step (`sleeveEquityCurves`). Default true; a live session keeps none. */
  readonly recordEquity?: boolean;
  /** Default {@link STRATEGY_MANAGER_NAME}. */
  readonly name?: string;
}

/** An operator's request about one sleeve: why, when (epoch ms) and who asks. */
export interface SleeveCommand {
  readonly reason: string;
  readonly time: number;
  readonly by?: string;
}

/** What became of a {@link SleeveCommand}: applied, or refused and why. */
export interface SleeveCommandOutcome {
  readonly applied: boolean;
  readonly sleeve: string;
  /** The sleeve's state after the command (unchanged when refused; `unknown` for a sleeve that does not exist). */
  readonly state: SleeveState | 'unknown';
  readonly refusal?: string;
}

/**
 * The manager's books, sleeve by sleeve. The portfolio's equity equals
 * `Σ sleeves' equity + unallocated + unattributed.pnl` at every step (up to rounding), so the
 * sleeves' P&L plus the unattributed P&L is the portfolio's P&L.
 */
export interface StrategyManagerReport {
  /** What the allocations are fractions of, in currency. */
  readonly capital: number;
  /** The portfolio's equity at the manager's first step less the sleeves' capital: cash no sleeve trades. */
  readonly unallocated: number;
  /**
   * Fills of orders no sleeve sent (an order adopted from the broker, a fill for an unknown order)
   * beyond what closed sleeves' positions: 0 in a backtest.
   */
  readonly unattributed: { readonly pnl: number; readonly commission: number; readonly fills: number; readonly positions: readonly SleevePosition[] };
  readonly sleeves: readonly SleeveReport[];
}

/** Every sleeve's equity at each recorded step's close (a backtest's steps). */
export interface SleeveEquityCurves {
  readonly time: Float64Array;
  readonly sleeves: readonly { readonly name: string; readonly equity: Float64Array }[];
}

/** Who sent an order the manager follows. */
interface OrderOwner {
  readonly sleeve: Sleeve;
  readonly symbolIndex: number;
  readonly isBracket: boolean;
  /** A bracket leg's entry. */
  readonly parentId: string | undefined;
  isOpen: boolean;
  /** Cancel asked by the manager's flatten (asked once). */
  isCanceling: boolean;
  legsSeen: number;
  legsOpen: number;
}

const SLEEVE_NAME = /^[A-Za-z0-9_-]{1,40}$/;
/** Transitions kept in saved state per sleeve (the latest). */
const SAVED_TRANSITIONS = 100;
/** A distributed close that covers the sleeves' net position up to this many shares closes it exactly. */
const SHARE_EPSILON = 1e-9;

/**
 * Several strategies in one portfolio. Each sleeve's strategy trades a fraction of the capital and
 * decides in a context of its own: its own positions, cash and equity (the fills of its own
 * orders, at its own average costs), its own pending orders, and default sizing applied to its
 * own cash and equity. Its orders go through the one engine, gateway and guardrails unchanged:
 * the portfolio holds the net of the sleeves' positions, and the engine's `Order` aggregates stay
 * the one home of every order's state; the manager only knows which sleeve sent which order.
 *
 * Attribution follows the client order id: the id `submitOrder` returns, the part of an order the
 * engine holds back until a position is flat (`close-then-open`: its own id, found among the
 * engine's held orders right after the call), a bracket's legs (by `parentId`), a replacement (the
 * id `replaceOrder` returns), and any report that arrives while a sleeve's call is running. A fill
 * of an order no sleeve sent (the portfolio kill switch flattening, an adopted order) that moves
 * the sleeves' net position toward zero is shared out to close each sleeve's position in the same
 * proportion; the rest is booked as unattributed.
 *
 * Each sleeve may carry a kill switch on its own drawdown or loss (`SleeveKillSwitch`); an
 * operator can halt, flatten and resume a sleeve (`haltSleeve`, `resumeSleeve`). A halted sleeve's
 * strategy still sees every bar (its orders are dropped and counted), so it is ready when resumed.
 * The portfolio's kill switch (the gateway) still rules over every sleeve.
 *
 * Decisions: at each step (`onStep`) the manager marks the sleeves' books at the closes, records
 * their equity, judges their kill switches, works the flattening sleeves, then lets each sleeve
 * decide in turn (its strategy's `onBar` for every symbol with a bar, then its `onStep`).
 * `exportState` carries the sleeves' books, states, counters, order attribution and their
 * strategies' states, for a live checkpoint.
 *
 * Only a `TradingCore` (a backtest, a live session) gives the manager what it needs to size from a
 * sleeve's books and find held orders; elsewhere (a warm-up, which sends nothing) orders pass to
 * the context as they are. The lookahead check does not take a manager: check each sleeve's
 * strategy on its own.
 *
 * @example
 * const manager = new StrategyManager({
 *   sleeves: [
 *     { name: 'trend', strategy: new SmaCrossover({ fast: 10, slow: 30, allowShort: false }, 3), allocation: 0.5 },
 *     { name: 'breakout', strategy: BracketMomentum.fromParams(values, 3), allocation: 0.3, killSwitch: { maxDrawdownPct: 8, action: 'flatten' } },
 *   ],
 * });
 * const result = runBacktest({ universe, strategy: manager, startingCash: 100_000, sizing: { kind: 'percent-of-equity', percent: 20 } });
 * manager.report().sleeves; // per-sleeve P&L
 */
export class StrategyManager implements Strategy {
  readonly name: string;
  readonly warmupBars: number | undefined;
  readonly #sleeves: readonly Sleeve[];
  readonly #byName: ReadonlyMap<string, Sleeve>;
  readonly #owners = new Map<string, OrderOwner>();
  readonly #notify: ((notice: StrategyNotice) => void) | undefined;
  readonly #recordEquity: boolean;
  readonly #capitalOption: number | undefined;
  #target: StrategyContext | undefined;
  #symbols: readonly Ticker[] = [];
  #indexBySymbol = new Map<string, number>();
  #isOpen = false;
  #baseEquity = Number.NaN;
  #capital = Number.NaN;
  #unattributed: PortfolioLedger = new PortfolioLedger([], 0);
  #unattributedFills = 0;
  /** The sleeve whose call is running: reports that arrive meanwhile are its orders'. */
  #deciding: Sleeve | undefined;
  #step = -1;
  #time = 0;
  #times = new Float64Array(0);
  #timesLength = 0;
  readonly #desk: SleeveDesk;
  readonly #contexts: ReadonlyMap<Sleeve, SleeveContext>;

  constructor(options: StrategyManagerOptions) {
    checkSleeveSettings(options.sleeves, options.capital);
    this.name = options.name ?? STRATEGY_MANAGER_NAME;
    this.#sleeves = Object.freeze(options.sleeves.map((config) => new Sleeve(config)));
    this.#byName = new Map(this.#sleeves.map((sleeve) => [sleeve.name, sleeve]));
    const warmups = options.sleeves.map((s) => s.strategy.warmupBars).filter((w): w is number => w !== undefined);
    this.warmupBars = warmups.length === 0 ? undefined : Math.max(...warmups);
    this.#notify = options.notify;
    this.#recordEquity = options.recordEquity ?? true;
    this.#capitalOption = options.capital;
    this.#desk = {
      target: () => this.#requireTarget(),
      submit: (sleeve, spec) => this.#submit(sleeve, spec, false),
      cancel: (sleeve, id) => this.#cancel(sleeve, id),
      replace: (sleeve, id, changes) => this.#replace(sleeve, id, changes),
    };
    this.#contexts = new Map(this.#sleeves.map((sleeve) => [sleeve, new SleeveContext(sleeve, this.#desk)]));
  }

  /** True once the manager has seen a step (or imported saved state): it has books to report. */
  get isStarted(): boolean {
    return this.#isOpen;
  }

  /** The sleeves' names, in decision order. */
  get sleeveNames(): readonly string[] {
    return this.#sleeves.map((s) => s.name);
  }

  /** The state of sleeve `name`; `ConfigError` (key `sleeve`) for a name that is not a sleeve. */
  sleeveState(name: string): SleeveState {
    return this.#sleeve(name).state;
  }

  /** The sleeve that sent (or owns, as a bracket leg or held part) the order, while the manager follows it. */
  sleeveOf(clientOrderId: string): string | undefined {
    return this.#owners.get(clientOrderId)?.sleeve.name;
  }

  /** Round trips sleeve `name` closed (since the books were opened, or restored at a restart). */
  closedTrades(name: string): readonly ClosedTrade[] {
    this.#requireOpenManager();
    return this.#sleeve(name).closedTrades();
  }

  /** The books of every sleeve now (see {@link StrategyManagerReport}). */
  report(): StrategyManagerReport {
    this.#requireOpenManager();
    const u = this.#unattributed;
    return Object.freeze({
      capital: this.#capital,
      unallocated: this.#baseEquity - this.#sleeves.reduce((sum, s) => sum + s.capital, 0),
      unattributed: Object.freeze({
        pnl: u.equity(),
        commission: u.fees,
        fills: this.#unattributedFills,
        positions: Object.freeze(
          u.openPositions().map((p): SleevePosition => Object.freeze({ symbol: p.symbol, qty: p.qty, averageCost: p.averageCost, markPrice: p.marketPrice, unrealizedPnl: p.unrealizedPnl })),
        ),
      }),
      sleeves: Object.freeze(this.#sleeves.map((s) => s.report())),
    });
  }

  /** Each sleeve's equity at every step recorded so far (none with `recordEquity: false`). */
  sleeveEquityCurves(): SleeveEquityCurves {
    return {
      time: this.#times.slice(0, this.#timesLength),
      sleeves: this.#sleeves.map((s) => ({ name: s.name, equity: this.#isOpen ? s.equityCurve() : new Float64Array(0) })),
    };
  }

  /**
   * An operator halts (`halt`: new orders dropped) or flattens (`flatten`: working orders
   * canceled and positions closed at the next step, then halted) sleeve `name`. Refused (not
   * thrown) for a sleeve that does not exist or whose state does not allow it; a notice says what
   * was applied.
   */
  haltSleeve(name: string, command: SleeveCommand & { readonly action: 'halt' | 'flatten' }): SleeveCommandOutcome {
    return this.#command(name, command.action, command);
  }

  /**
   * An operator lets a halted (or flattening) sleeve trade again. Its kill switch is measured from
   * its equity now: a sleeve resumed below its old peak does not trip again at once.
   */
  resumeSleeve(name: string, command: SleeveCommand): SleeveCommandOutcome {
    return this.#command(name, 'resume', command);
  }

  onBar(): void {
    // Sleeves decide in onStep, once every symbol's bar of the step has closed: each sleeve
    // decides as a unit, after its kill switch was judged on this step's closes.
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    this.#target = ctx;
    this.#step = (step.views[0]?.visibleSteps ?? 0) - 1;
    this.#time = ctx.time;
    if (!this.#isOpen) this.#open(ctx.symbols, ctx.equity());
    const views = step.views;
    for (let s = 0; s < views.length; s++) {
      if (!step.hasBar(s)) continue;
      const close = (views[s] as BarView).close();
      if (!(close > 0) || !Number.isFinite(close)) continue;
      for (const sleeve of this.#sleeves) sleeve.ledger.mark(s, close);
      this.#unattributed.mark(s, close);
    }
    if (this.#recordEquity) this.#recordTime(ctx.time);
    for (const sleeve of this.#sleeves) sleeve.observe(this.#recordEquity);
    for (const sleeve of this.#sleeves) {
      const breach = sleeve.breach();
      if (breach === undefined) continue;
      const action = sleeve.killSwitch?.action === 'flatten' ? 'flatten' : 'halt';
      this.#move(sleeve, action, `kill switch: ${breach}`, ctx.time, 'kill-switch');
    }
    for (const sleeve of this.#sleeves) if (sleeve.state === 'flatten') this.#flatten(sleeve, ctx);
    for (const sleeve of this.#sleeves) {
      const context = this.#contexts.get(sleeve) as SleeveContext;
      this.#deciding = sleeve;
      try {
        for (let s = 0; s < views.length; s++) if (step.hasBar(s)) sleeve.strategy.onBar(views[s] as BarView, context);
        sleeve.strategy.onStep?.(step, context);
      } finally {
        this.#deciding = undefined;
      }
    }
  }

  /** The deciding sleeve's inputs, for the run's journal. */
  describeInputs(symbolIndex: number): Readonly<Record<string, number>> {
    return this.#deciding?.strategy.describeInputs?.(symbolIndex) ?? {};
  }

  onFill(fill: Fill): void {
    this.#requireOpenManager();
    const s = this.#indexOf(fill.symbol);
    const signedQty = fill.side === 'buy' ? fill.qty : -fill.qty;
    const owner = this.#ownerOf(fill.clientOrderId, fill.parentId, s);
    if (owner === undefined) {
      this.#distribute(s, signedQty, fill.price, fill.commission, fill.time);
      return;
    }
    const sleeve = owner.sleeve;
    sleeve.book(s, signedQty, fill.price, fill.commission, fill.time, this.#step);
    sleeve.counters.fills++;
    sleeve.strategy.onFill?.(fill);
  }

  onOrderUpdate(update: OrderUpdate): void {
    if (!this.#isOpen) return;
    const owner = this.#ownerOf(update.clientOrderId, update.parentId, this.#indexOf(update.symbol));
    if (owner === undefined) return;
    if (isTerminalOrderStatus(update.status)) {
      if (update.status === 'rejected') owner.sleeve.counters.ordersRejected++;
      this.#end(update.clientOrderId, owner, update.filledQty);
    } else if (!owner.isOpen) {
      owner.isOpen = true;
      owner.sleeve.working[owner.symbolIndex] = (owner.sleeve.working[owner.symbolIndex] as number) + 1;
    }
    owner.sleeve.strategy.onOrderUpdate?.(update);
  }

  /**
   * The manager's state for a live checkpoint: the capital, each sleeve's books, state, kill-switch
   * marks, counters and strategy state, the unattributed books, and which sleeve owns each order
   * it still follows. `null` before the first step.
   */
  exportState(): JsonValue {
    if (!this.#isOpen) return null;
    return {
      version: 1,
      capital: this.#capital,
      baseEquity: this.#baseEquity,
      sleeves: this.#sleeves.map((sleeve) => {
        const closed = sleeve.closedTrades();
        return {
          name: sleeve.name,
          capital: sleeve.capital,
          state: sleeve.state,
          stateReason: sleeve.stateReason,
          peakEquity: sleeve.peakEquity,
          lossBase: sleeve.lossBase,
          highWater: sleeve.highWater,
          maxDrawdownPct: sleeve.maxDrawdownPct,
          ledger: sleeve.ledger.snapshot() as unknown as JsonValue,
          counters: {
            ...sleeve.counters,
            closedBefore: sleeve.counters.closedBefore + closed.length,
            winningBefore: sleeve.counters.winningBefore + closed.filter((t) => t.netPnl > 0).length,
          },
          transitions: sleeve.transitions.slice(-SAVED_TRANSITIONS).map((t) => ({ time: t.time, from: t.from, to: t.to, reason: t.reason, source: t.source })),
          strategy: sleeve.strategy.exportState?.() ?? null,
        };
      }),
      unattributed: { ledger: this.#unattributed.snapshot() as unknown as JsonValue, fills: this.#unattributedFills },
      orders: [...this.#owners].map(([id, o]) => ({
        id,
        sleeve: o.sleeve.name,
        symbolIndex: o.symbolIndex,
        isOpen: o.isOpen,
        isBracket: o.isBracket,
        parentId: o.parentId ?? null,
        legsSeen: o.legsSeen,
        legsOpen: o.legsOpen,
      })),
    };
  }

  /**
   * Restores what `exportState` saved (after a restart's warm-up has replayed the recent bars).
   * The sleeves must be the same, by name and in order; a damaged document is a `ConfigError`
   * naming the field (`strategy state.sleeves[1].ledger`), and nothing is half-restored.
   */
  importState(state: JsonValue): void {
    if (state === null) return;
    const saved = parseManagerState(state, this.#sleeves.map((s) => s.name));
    const symbols = saved.unattributed.ledger.positions.map((p) => p.symbol as Ticker);
    this.#setSymbols(symbols);
    this.#isOpen = true;
    this.#capital = saved.capital;
    this.#baseEquity = saved.baseEquity;
    const time = epochMs(this.#time);
    this.#sleeves.forEach((sleeve, i) => {
      const s = saved.sleeves[i] as SavedSleeve;
      sleeve.restore(symbols, s.capital, s.ledger, time, this.#step);
      sleeve.state = s.state;
      sleeve.stateReason = s.stateReason;
      sleeve.restoreMarks(s.peakEquity, s.lossBase, s.highWater, s.maxDrawdownPct);
      Object.assign(sleeve.counters, s.counters);
      sleeve.transitions.splice(0, sleeve.transitions.length, ...s.transitions);
      if (sleeve.strategy.importState !== undefined) sleeve.strategy.importState(s.strategy);
      else if (s.strategy !== null) throw new ConfigError(`strategy state.sleeves[${i}].strategy`, `${sleeve.strategy.name} keeps no state to import`);
    });
    this.#unattributed = PortfolioLedger.restore(symbols, saved.unattributed.ledger);
    this.#unattributedFills = saved.unattributed.fills;
    this.#owners.clear();
    for (const o of saved.orders) {
      const sleeve = this.#byName.get(o.sleeve) as Sleeve;
      this.#owners.set(o.id, { sleeve, symbolIndex: o.symbolIndex, isBracket: o.isBracket, parentId: o.parentId ?? undefined, isOpen: o.isOpen, isCanceling: false, legsSeen: o.legsSeen, legsOpen: o.legsOpen });
      if (o.isOpen) sleeve.working[o.symbolIndex] = (sleeve.working[o.symbolIndex] as number) + 1;
    }
  }

  #open(symbols: readonly Ticker[], equity: number): void {
    this.#setSymbols(symbols);
    this.#baseEquity = equity;
    this.#capital = this.#capitalOption ?? equity;
    for (const sleeve of this.#sleeves) sleeve.open(symbols, sleeve.allocation * this.#capital);
    this.#unattributed = new PortfolioLedger(symbols, 0);
    this.#isOpen = true;
  }

  #setSymbols(symbols: readonly Ticker[]): void {
    this.#symbols = symbols;
    this.#indexBySymbol = new Map(symbols.map((symbol, i) => [symbol as string, i]));
  }

  #indexOf(symbol: Ticker): number {
    const s = this.#indexBySymbol.get(symbol);
    if (s === undefined) throw new RangeError(`${symbol} is not one of the manager's symbols (${this.#symbols.join(', ')})`);
    return s;
  }

  #recordTime(time: number): void {
    if (this.#timesLength === this.#times.length) {
      const grown = new Float64Array(Math.max(256, this.#times.length * 2));
      grown.set(this.#times);
      this.#times = grown;
    }
    this.#times[this.#timesLength++] = time;
  }

  #submit(sleeve: Sleeve, spec: OrderSpec, isManagerClose: boolean): ClientOrderId | undefined {
    const target = this.#requireTarget();
    if (!isManagerClose && sleeve.state !== 'active') {
      sleeve.counters.ordersDropped++;
      return undefined;
    }
    const core = target instanceof TradingCore ? target : undefined;
    const previous = this.#deciding;
    this.#deciding = sleeve;
    let id: ClientOrderId | undefined;
    try {
      id = core !== undefined ? core.submitOrder(spec, { cash: sleeve.ledger.cash, equity: sleeve.ledger.equity(), label: `sleeve ${sleeve.name}` }) : target.submitOrder(spec);
    } finally {
      this.#deciding = previous;
    }
    if (id !== undefined) {
      this.#own(id, sleeve, spec.symbolIndex, spec.type === 'bracket', undefined);
      sleeve.counters.ordersSent++;
    } else if (core !== undefined) {
      sleeve.counters.ordersRefused++;
    }
    if (core !== undefined) {
      // The part of an order the core held back until the position is flat (close-then-open) has
      // an id of its own that submitOrder does not return: it is among the held orders now.
      for (const held of core.heldOrders()) {
        if (this.#owners.has(held.clientOrderId)) continue;
        this.#own(held.clientOrderId, sleeve, this.#indexOf(held.symbol), false, undefined);
        sleeve.counters.ordersSent++;
      }
    }
    return id;
  }

  #cancel(sleeve: Sleeve, id: ClientOrderId): void {
    this.#checkOwn(sleeve, id);
    const previous = this.#deciding;
    this.#deciding = sleeve;
    try {
      this.#requireTarget().cancelOrder(id);
    } finally {
      this.#deciding = previous;
    }
  }

  #replace(sleeve: Sleeve, id: ClientOrderId, changes: { readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number }): ClientOrderId {
    const owner = this.#checkOwn(sleeve, id);
    const previous = this.#deciding;
    this.#deciding = sleeve;
    let newId: ClientOrderId;
    try {
      newId = this.#requireTarget().replaceOrder(id, changes);
    } finally {
      this.#deciding = previous;
    }
    if (newId === id) return newId;
    // The replacement works on the symbol of the order it replaces (the core follows both).
    const target = this.#requireTarget();
    const symbol = owner === undefined && target instanceof TradingCore ? target.order(newId)?.symbol : undefined;
    const symbolIndex = owner?.symbolIndex ?? (symbol === undefined ? undefined : this.#indexOf(symbol));
    if (symbolIndex !== undefined) this.#own(newId, sleeve, symbolIndex, owner?.isBracket ?? false, undefined);
    return newId;
  }

  /** The owner of `id` when it is `sleeve`'s; a `RangeError` when another sleeve owns it. */
  #checkOwn(sleeve: Sleeve, id: ClientOrderId): OrderOwner | undefined {
    const owner = this.#owners.get(id);
    if (owner !== undefined && owner.sleeve !== sleeve) throw new RangeError(`sleeve ${sleeve.name} cannot change order ${id}: it is sleeve ${owner.sleeve.name}'s`);
    return owner;
  }

  /** Follows order `id` as `sleeve`'s, working (unless a report already ended it). */
  #own(id: string, sleeve: Sleeve, symbolIndex: number, isBracket: boolean, parentId: string | undefined): OrderOwner {
    const existing = this.#owners.get(id);
    if (existing !== undefined) return existing;
    const owner: OrderOwner = { sleeve, symbolIndex, isBracket, parentId, isOpen: true, isCanceling: false, legsSeen: 0, legsOpen: 0 };
    this.#owners.set(id, owner);
    sleeve.working[symbolIndex] = (sleeve.working[symbolIndex] as number) + 1;
    return owner;
  }

  /** Who owns a reported order: known, a bracket leg of a known entry, or reported during a sleeve's call. */
  #ownerOf(id: string, parentId: string | undefined, symbolIndex: number): OrderOwner | undefined {
    const known = this.#owners.get(id);
    if (known !== undefined) return known;
    if (parentId !== undefined) {
      const parent = this.#owners.get(parentId);
      if (parent !== undefined) {
        parent.legsSeen++;
        parent.legsOpen++;
        return this.#own(id, parent.sleeve, parent.symbolIndex, false, parentId);
      }
    }
    return this.#deciding === undefined ? undefined : this.#own(id, this.#deciding, symbolIndex, false, undefined);
  }

  /**
   * An order ended: it no longer works. A filled bracket entry is followed until its legs end
   * (they are its sleeve's too); everything else is forgotten.
   */
  #end(id: string, owner: OrderOwner, filledQty: number): void {
    if (owner.isOpen) {
      owner.isOpen = false;
      owner.sleeve.working[owner.symbolIndex] = (owner.sleeve.working[owner.symbolIndex] as number) - 1;
    }
    if (owner.parentId !== undefined) {
      const parent = this.#owners.get(owner.parentId);
      if (parent !== undefined) {
        parent.legsOpen = Math.max(0, parent.legsOpen - 1);
        if (!parent.isOpen && parent.legsOpen === 0) this.#owners.delete(owner.parentId);
      }
    }
    const awaitsLegs = owner.isBracket && filledQty > 0 && (owner.legsSeen === 0 || owner.legsOpen > 0);
    if (!awaitsLegs) this.#owners.delete(id);
  }

  /**
   * A fill of an order no sleeve sent. When it moves the sleeves' net position in the symbol
   * toward zero, every sleeve holding the symbol closes the same fraction of its position at the
   * fill's price (all of it when the fill covers the net), sharing the commission by quantity; any
   * rest is booked as unattributed.
   */
  #distribute(s: number, signedQty: number, price: number, commission: number, time: EpochMs): void {
    let net = 0;
    for (const sleeve of this.#sleeves) net += sleeve.ledger.qty(s);
    if (net === 0 || Math.sign(signedQty) !== -Math.sign(net)) {
      this.#unattributed.applyFill(s, signedQty, price, commission);
      this.#unattributedFills++;
      return;
    }
    const size = Math.abs(signedQty);
    const open = Math.abs(net);
    const isFull = size >= open - SHARE_EPSILON * Math.max(1, open);
    const ratio = isFull ? 1 : size / open;
    const rest = isFull ? signedQty + net : 0;
    const hasRest = Math.abs(rest) > SHARE_EPSILON;
    let gross = hasRest ? Math.abs(rest) : 0;
    for (const sleeve of this.#sleeves) gross += Math.abs(sleeve.ledger.qty(s) * ratio);
    for (const sleeve of this.#sleeves) {
      const qty = sleeve.ledger.qty(s);
      if (qty === 0) continue;
      const take = isFull ? -qty : -qty * ratio;
      sleeve.book(s, take, price, (commission * Math.abs(take)) / gross, time, this.#step);
      sleeve.counters.fills++;
    }
    if (hasRest) {
      this.#unattributed.applyFill(s, rest, price, (commission * Math.abs(rest)) / gross);
      this.#unattributedFills++;
    }
  }

  /**
   * One step of a flattening sleeve: cancels its working orders (once), closes each position it
   * holds with no order of its working, and once it holds nothing with nothing working, halts it.
   * While the portfolio's kill switch halts everything, it waits (nothing would pass).
   */
  #flatten(sleeve: Sleeve, ctx: StrategyContext): void {
    if (!(ctx instanceof TradingCore) || ctx.tradingState === 'halted') return;
    const previous = this.#deciding;
    this.#deciding = sleeve;
    try {
      for (const [id, owner] of this.#owners) {
        if (owner.sleeve !== sleeve || !owner.isOpen || owner.isCanceling) continue;
        owner.isCanceling = true;
        ctx.cancelOrder(id as ClientOrderId);
      }
    } finally {
      this.#deciding = previous;
    }
    for (let s = 0; s < this.#symbols.length; s++) {
      const qty = sleeve.ledger.qty(s);
      if (qty === 0 || (sleeve.working[s] as number) > 0) continue;
      this.#submit(sleeve, { symbolIndex: s, side: qty > 0 ? 'sell' : 'buy', type: 'market', qty: Math.abs(qty) }, true);
    }
    if (sleeve.isFlat()) this.#move(sleeve, 'flattened', 'flattened: every position closed, no order working', ctx.time, 'manager');
  }

  #command(name: string, event: SleeveEvent, command: SleeveCommand): SleeveCommandOutcome {
    const sleeve = this.#byName.get(name);
    if (sleeve === undefined) return { applied: false, sleeve: name, state: 'unknown', refusal: `no sleeve named '${name}'; sleeves: ${this.sleeveNames.join(', ')}` };
    if (!this.#isOpen) return { applied: false, sleeve: name, state: sleeve.state, refusal: 'the manager has not seen a bar yet' };
    if (SLEEVE_TRANSITIONS[sleeve.state][event] === undefined) {
      return { applied: false, sleeve: name, state: sleeve.state, refusal: `sleeve ${name} is ${sleeve.state}: '${event}' does not apply` };
    }
    const by = command.by === undefined || command.by === '' ? '' : ` ${command.by}`;
    this.#move(sleeve, event, `operator${by}: ${command.reason}`, command.time, 'operator');
    return { applied: true, sleeve: name, state: sleeve.state };
  }

  #move(sleeve: Sleeve, event: SleeveEvent, reason: string, time: number, source: SleeveTransition['source']): void {
    const t = sleeve.move(event, reason, time, source);
    const code = t.to === 'active' ? 'sleeve-resumed' : t.to === 'flatten' ? 'sleeve-flattening' : event === 'flattened' ? 'sleeve-flattened' : 'sleeve-halted';
    const what = t.to === 'active' ? 'trades again' : t.to === 'flatten' ? 'flattening (its orders dropped, its positions closed)' : 'halted (its new orders dropped)';
    this.#notify?.({ time: epochMs(time), strategy: sleeve.name, code, message: `sleeve ${sleeve.name} (${sleeve.strategy.name}) ${what}: ${reason}` });
  }

  #sleeve(name: string): Sleeve {
    const sleeve = this.#byName.get(name);
    if (sleeve === undefined) throw new ConfigError('sleeve', `no sleeve named '${name}'; sleeves: ${this.sleeveNames.join(', ')}`);
    return sleeve;
  }

  #requireOpenManager(): void {
    if (!this.#isOpen) throw new Error('StrategyManager has not seen a step yet');
  }

  #requireTarget(): StrategyContext {
    if (this.#target === undefined) throw new Error('StrategyManager used before its first step');
    return this.#target;
  }
}

/**
 * Checks sleeve settings: names (1-40 letters, digits, `-`, `_`; unique), allocations (above 0,
 * summing to at most 1), kill switches (a level above 0 and at most 100, an action `halt` or
 * `flatten`), and the capital (a positive amount). A `ConfigError` keyed by the field:
 * `sleeves[1].allocation`, `sleeves[0].killSwitch.maxDrawdownPct`, `capital`.
 */
export function checkSleeveSettings(sleeves: readonly Pick<SleeveConfig, 'name' | 'allocation' | 'killSwitch'>[], capital?: number): void {
  if (capital !== undefined && (!Number.isFinite(capital) || capital <= 0)) throw new ConfigError('capital', `must be a positive amount, got ${capital}`);
  if (sleeves.length === 0) throw new ConfigError('sleeves', 'a manager needs at least one sleeve');
  const names = new Set<string>();
  let total = 0;
  sleeves.forEach((sleeve, i) => {
    const at = `sleeves[${i}]`;
    if (typeof sleeve.name !== 'string' || !SLEEVE_NAME.test(sleeve.name)) throw new ConfigError(`${at}.name`, `'${String(sleeve.name)}' must be 1-40 letters, digits, '-' or '_'`);
    if (names.has(sleeve.name)) throw new ConfigError(`${at}.name`, `'${sleeve.name}' is the name of an earlier sleeve; names must be unique`);
    names.add(sleeve.name);
    if (typeof sleeve.allocation !== 'number' || !Number.isFinite(sleeve.allocation) || sleeve.allocation <= 0 || sleeve.allocation > 1) {
      throw new ConfigError(`${at}.allocation`, `must be a fraction of the capital above 0 and at most 1, got ${String(sleeve.allocation)}`);
    }
    total += sleeve.allocation;
    if (total > 1 + 1e-9) throw new ConfigError(`${at}.allocation`, `the allocations add up to ${Number(total.toFixed(9))} with this sleeve; they may add up to at most 1`);
    if (sleeve.killSwitch !== undefined) checkKillSwitch(sleeve.killSwitch, `${at}.killSwitch`);
  });
}

function checkKillSwitch(k: SleeveKillSwitch, at: string): void {
  if (k.action !== 'halt' && k.action !== 'flatten') throw new ConfigError(`${at}.action`, `expected halt or flatten, got ${JSON.stringify(k.action) ?? 'nothing'}`);
  if (k.maxDrawdownPct === undefined && k.maxLossPct === undefined) throw new ConfigError(at, 'give maxDrawdownPct, maxLossPct or both');
  for (const field of ['maxDrawdownPct', 'maxLossPct'] as const) {
    const value = k[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 100) throw new ConfigError(`${at}.${field}`, `must be a percentage above 0 and at most 100, got ${String(value)}`);
  }
}

interface SavedSleeve {
  readonly name: string;
  readonly capital: number;
  readonly state: SleeveState;
  readonly stateReason: string | null;
  readonly peakEquity: number;
  readonly lossBase: number;
  readonly highWater: number;
  readonly maxDrawdownPct: number;
  readonly ledger: LedgerSnapshot;
  readonly counters: SleeveCounters;
  readonly transitions: readonly SleeveTransition[];
  readonly strategy: JsonValue;
}

interface SavedOrder {
  readonly id: string;
  readonly sleeve: string;
  readonly symbolIndex: number;
  readonly isOpen: boolean;
  readonly isBracket: boolean;
  readonly parentId: string | null;
  readonly legsSeen: number;
  readonly legsOpen: number;
}

interface SavedManager {
  readonly capital: number;
  readonly baseEquity: number;
  readonly sleeves: readonly SavedSleeve[];
  readonly unattributed: { readonly ledger: LedgerSnapshot; readonly fills: number };
  readonly orders: readonly SavedOrder[];
}

const STATE_KEY = 'strategy state';

/** Reads `exportState`'s document back, checking every field; the sleeves must be `names`, in order. */
function parseManagerState(state: JsonValue, names: readonly string[]): SavedManager {
  const root = object(state, '');
  if (root['version'] !== 1) throw new ConfigError(`${STATE_KEY}.version`, `unknown version ${JSON.stringify(root['version']) ?? 'nothing'} (this build reads 1)`);
  const sleeves = array(root['sleeves'], 'sleeves');
  const savedNames = sleeves.map((s, i) => text(object(s, `sleeves[${i}]`)['name'], `sleeves[${i}].name`));
  if (savedNames.join(',') !== names.join(',')) {
    throw new ConfigError(`${STATE_KEY}.sleeves`, `holds sleeves ${savedNames.join(', ')}; this manager has ${names.join(', ')}: start a new session for other sleeves`);
  }
  const unattributed = object(root['unattributed'], 'unattributed');
  const unattributedLedger = ledger(unattributed['ledger'], 'unattributed.ledger');
  const symbolCount = unattributedLedger.positions.length;
  return {
    capital: positive(root['capital'], 'capital'),
    baseEquity: finite(root['baseEquity'], 'baseEquity'),
    sleeves: sleeves.map((value, i): SavedSleeve => {
      const at = `sleeves[${i}]`;
      const s = object(value, at);
      const status = s['state'];
      if (!SLEEVE_STATES.includes(status as SleeveState)) throw new ConfigError(`${STATE_KEY}.${at}.state`, `expected one of ${SLEEVE_STATES.join(', ')}, got ${JSON.stringify(status) ?? 'nothing'}`);
      const counters = object(s['counters'], `${at}.counters`);
      const count = (key: keyof SleeveCounters): number => nonNegative(counters[key], `${at}.counters.${key}`);
      const sleeveLedger = ledger(s['ledger'], `${at}.ledger`);
      if (sleeveLedger.positions.length !== symbolCount) throw new ConfigError(`${STATE_KEY}.${at}.ledger.positions`, `expected ${symbolCount} symbols, got ${sleeveLedger.positions.length}`);
      return {
        name: savedNames[i] as string,
        capital: positive(s['capital'], `${at}.capital`),
        state: status as SleeveState,
        stateReason: s['stateReason'] === null ? null : text(s['stateReason'], `${at}.stateReason`),
        peakEquity: finite(s['peakEquity'], `${at}.peakEquity`),
        lossBase: finite(s['lossBase'], `${at}.lossBase`),
        highWater: finite(s['highWater'], `${at}.highWater`),
        maxDrawdownPct: nonNegative(s['maxDrawdownPct'], `${at}.maxDrawdownPct`),
        ledger: sleeveLedger,
        counters: {
          fills: count('fills'),
          ordersSent: count('ordersSent'),
          ordersRefused: count('ordersRefused'),
          ordersRejected: count('ordersRejected'),
          ordersDropped: count('ordersDropped'),
          closedBefore: count('closedBefore'),
          winningBefore: count('winningBefore'),
        },
        transitions: array(s['transitions'], `${at}.transitions`).map((t, j): SleeveTransition => {
          const where = `${at}.transitions[${j}]`;
          const r = object(t, where);
          const from = r['from'];
          const to = r['to'];
          const source = r['source'];
          if (!SLEEVE_STATES.includes(from as SleeveState) || !SLEEVE_STATES.includes(to as SleeveState)) throw new ConfigError(`${STATE_KEY}.${where}`, 'from and to must be sleeve states');
          if (source !== 'kill-switch' && source !== 'operator' && source !== 'manager') throw new ConfigError(`${STATE_KEY}.${where}.source`, `unknown source ${JSON.stringify(source) ?? 'nothing'}`);
          return Object.freeze({ time: finite(r['time'], `${where}.time`), from: from as SleeveState, to: to as SleeveState, reason: text(r['reason'], `${where}.reason`), source });
        }),
        strategy: (s['strategy'] ?? null) as JsonValue,
      };
    }),
    unattributed: { ledger: unattributedLedger, fills: nonNegative(unattributed['fills'], 'unattributed.fills') },
    orders: array(root['orders'], 'orders').map((value, i): SavedOrder => {
      const at = `orders[${i}]`;
      const o = object(value, at);
      const sleeve = text(o['sleeve'], `${at}.sleeve`);
      if (!names.includes(sleeve)) throw new ConfigError(`${STATE_KEY}.${at}.sleeve`, `'${sleeve}' is not a sleeve of this manager`);
      const symbolIndex = nonNegative(o['symbolIndex'], `${at}.symbolIndex`);
      if (!Number.isInteger(symbolIndex) || symbolIndex >= symbolCount) throw new ConfigError(`${STATE_KEY}.${at}.symbolIndex`, `expected a symbol index below ${symbolCount}, got ${symbolIndex}`);
      return {
        id: text(o['id'], `${at}.id`),
        sleeve,
        symbolIndex,
        isOpen: bool(o['isOpen'], `${at}.isOpen`),
        isBracket: bool(o['isBracket'], `${at}.isBracket`),
        parentId: o['parentId'] === null ? null : text(o['parentId'], `${at}.parentId`),
        legsSeen: nonNegative(o['legsSeen'], `${at}.legsSeen`),
        legsOpen: nonNegative(o['legsOpen'], `${at}.legsOpen`),
      };
    }),
  };
}

function ledger(value: unknown, at: string): LedgerSnapshot {
  const l = object(value, at);
  return {
    startingCash: nonNegative(l['startingCash'], `${at}.startingCash`),
    cash: finite(l['cash'], `${at}.cash`),
    fees: nonNegative(l['fees'], `${at}.fees`),
    realizedPnl: finite(l['realizedPnl'], `${at}.realizedPnl`),
    positions: array(l['positions'], `${at}.positions`).map((p, i) => {
      const where = `${at}.positions[${i}]`;
      const r = object(p, where);
      return {
        symbol: text(r['symbol'], `${where}.symbol`),
        qty: finite(r['qty'], `${where}.qty`),
        averageCost: finite(r['averageCost'], `${where}.averageCost`),
        mark: r['mark'] === null ? null : finite(r['mark'], `${where}.mark`),
        realizedPnl: finite(r['realizedPnl'], `${where}.realizedPnl`),
      };
    }),
  };
}

function fieldKey(at: string): string {
  return at === '' ? STATE_KEY : `${STATE_KEY}.${at}`;
}

function object(value: unknown, at: string): Readonly<Record<string, unknown>> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new ConfigError(fieldKey(at), 'expected an object');
}

function array(value: unknown, at: string): readonly unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  throw new ConfigError(fieldKey(at), 'expected an array');
}

function text(value: unknown, at: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new ConfigError(fieldKey(at), 'expected a non-empty string');
}

function bool(value: unknown, at: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new ConfigError(fieldKey(at), 'expected true or false');
}

function finite(value: unknown, at: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new ConfigError(fieldKey(at), `expected a finite number, got ${JSON.stringify(value) ?? 'nothing'}`);
}

function nonNegative(value: unknown, at: string): number {
  const n = finite(value, at);
  if (n < 0) throw new ConfigError(fieldKey(at), `expected a number of at least 0, got ${n}`);
  return n;
}

function positive(value: unknown, at: string): number {
  const n = finite(value, at);
  if (n <= 0) throw new ConfigError(fieldKey(at), `expected a positive number, got ${n}`);
  return n;
}
