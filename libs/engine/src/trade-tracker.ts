import type { EpochMs, Ticker } from '@quantbot/core';

/** A closed round trip: from flat to flat (or to the other side) in one symbol. */
export interface ClosedTrade {
  readonly symbol: Ticker;
  readonly side: 'long' | 'short';
  /** Largest absolute position held during the trade, in shares. */
  readonly qty: number;
  readonly entryTime: EpochMs;
  /** Average price of the fills that opened or added to the trade. */
  readonly entryPrice: number;
  readonly exitTime: EpochMs;
  /** Average price of the fills that reduced and closed it. */
  readonly exitPrice: number;
  /** Gross P&L: the price move times the quantity, before commissions. */
  readonly pnl: number;
  /** Commissions paid on the entry and exit fills. */
  readonly commission: number;
  /** `pnl − commission`. */
  readonly netPnl: number;
  /** Bars (time steps) from the entry fill to the exit fill. */
  readonly barsHeld: number;
}

/**
 * What the metrics read of the closed trades: how many, how many won (net P&L above 0), and the
 * sums of the winners' net P&L and of the others' net P&L negated (`tradeOutcomes`).
 */
export interface TradeOutcomes {
  readonly count: number;
  readonly wins: number;
  readonly grossWin: number;
  readonly grossLoss: number;
}

/** The outcomes of `trades`, summed in their order. */
export function tradeOutcomes(trades: readonly ClosedTrade[]): TradeOutcomes {
  const sums = new OutcomeSums();
  for (const t of trades) sums.add(t.netPnl);
  return sums.result(trades.length);
}

/** The running sums of `TradeOutcomes`: one pass, the same additions in the same order wherever the net P&L comes from. */
class OutcomeSums {
  wins = 0;
  grossWin = 0;
  grossLoss = 0;

  add(netPnl: number): void {
    if (netPnl > 0) {
      this.wins++;
      this.grossWin += netPnl;
    } else {
      this.grossLoss -= netPnl;
    }
  }

  result(count: number): TradeOutcomes {
    return { count, wins: this.wins, grossWin: this.grossWin, grossLoss: this.grossLoss };
  }
}

/** A trade still open at the end: marked, not closed. */
export interface OpenTrade {
  readonly symbol: Ticker;
  readonly side: 'long' | 'short';
  readonly qty: number;
  readonly entryTime: EpochMs;
  readonly entryPrice: number;
  readonly commission: number;
}

interface TradeState {
  side: 1 | -1;
  qty: number;
  maxQty: number;
  entryTime: EpochMs;
  entryStep: number;
  entryPrice: number;
  entryQty: number;
  exitPrice: number;
  exitQty: number;
  pnl: number;
  commission: number;
}

/**
 * Turns fills into round-trip trades. A fill that crosses through zero closes the trade and
 * opens a new one with the remainder; its commission is split in proportion to the quantities.
 */
export class TradeTracker {
  readonly #symbols: readonly Ticker[];
  /** One state per symbol, reused from trade to trade (no object per trade); `qty` 0: no trade open. */
  readonly #open: TradeState[];
  /** Closed trades in columns (one row per trade) so a long run retains no object per trade. */
  readonly #rows = new ClosedTradeColumns();
  #materialized: readonly ClosedTrade[] = Object.freeze([]);

  constructor(symbols: readonly Ticker[]) {
    this.#symbols = symbols;
    this.#open = Array.from({ length: symbols.length }, (): TradeState => ({
      side: 1,
      qty: 0,
      maxQty: 0,
      entryTime: 0 as EpochMs,
      entryStep: 0,
      entryPrice: 0,
      entryQty: 0,
      exitPrice: 0,
      exitQty: 0,
      pnl: 0,
      commission: 0,
    }));
  }

  /** Closed trades so far, in the order they closed (a frozen array). */
  get closed(): readonly ClosedTrade[] {
    if (this.#materialized.length !== this.#rows.length) this.#materialized = this.#rows.toTrades(this.#symbols);
    return this.#materialized;
  }

  /**
   * The closed trades so far, built at the first call of the function returned (the same frozen
   * array at every call). Until then it holds their columns (at most twice their size; none for a
   * run without trades), and not this tracker; once built, only the trades.
   */
  closedLater(): () => readonly ClosedTrade[] {
    return this.#rows.length === 0 ? noTrades : laterTrades(this.#rows.copy(), this.#symbols);
  }

  /** Number of closed trades so far. */
  get closedCount(): number {
    return this.#rows.length;
  }

  /**
   * The closed trades' outcomes (`tradeOutcomes` of `closed`, to the bit), read off the columns:
   * no trade object is built.
   */
  outcomes(): TradeOutcomes {
    return this.#rows.outcomes();
  }

  /** Records a fill of `signedQty` (buy > 0) on symbol `i` at step `step`. */
  onFill(i: number, signedQty: number, price: number, commission: number, time: EpochMs, step: number): void {
    let remaining = signedQty;
    const total = Math.abs(signedQty);
    const state = this.#open[i] as TradeState;
    if (state.qty !== 0 && Math.sign(remaining) !== state.side) {
      const closing = Math.min(state.qty, Math.abs(remaining));
      const share = closing / total;
      state.qty -= closing;
      state.exitPrice = averagePrice(state.exitPrice, state.exitQty, price, closing);
      state.exitQty += closing;
      state.pnl += closing * (price - state.entryPrice) * state.side;
      state.commission += commission * share;
      remaining += closing * state.side;
      // Closed (qty 0): the row is written, and the state is free for the next trade.
      if (state.qty === 0) this.#rows.append(i, state, time, step);
    }
    if (remaining !== 0) {
      const share = Math.abs(remaining) / total;
      if (state.qty === 0) {
        state.side = remaining > 0 ? 1 : -1;
        state.maxQty = 0;
        state.entryTime = time;
        state.entryStep = step;
        state.entryPrice = 0;
        state.entryQty = 0;
        state.exitPrice = 0;
        state.exitQty = 0;
        state.pnl = 0;
        state.commission = 0;
      }
      const qty = Math.abs(remaining);
      state.qty += qty;
      state.maxQty = Math.max(state.maxQty, state.qty);
      state.entryPrice = averagePrice(state.entryPrice, state.entryQty, price, qty);
      state.entryQty += qty;
      state.commission += commission * share;
    }
  }

  /** Trades still open, in symbol order. */
  openTrades(): readonly OpenTrade[] {
    const out: OpenTrade[] = [];
    this.#open.forEach((state, i) => {
      if (state.qty === 0) return;
      out.push(
        Object.freeze({
          symbol: this.#symbols[i] as Ticker,
          side: state.side === 1 ? 'long' : 'short',
          qty: state.qty,
          entryTime: state.entryTime,
          entryPrice: state.entryPrice,
          commission: state.commission,
        }),
      );
    });
    return out;
  }


}

/** Volume-weighted average; the first fill's price is kept exactly (no multiply-then-divide). */
function averagePrice(average: number, qty: number, price: number, addedQty: number): number {
  return qty === 0 ? price : (average * qty + price * addedQty) / (qty + addedQty);
}

/** Columns per closed trade: symbol, side, qty, entryTime, entryPrice, exitTime, exitPrice, pnl, commission, barsHeld. */
const WIDTH = 10;

/** Growable typed-array columns of closed trades. */
class ClosedTradeColumns {
  length = 0;
  #data = new Float64Array(WIDTH * 256);

  append(symbolIndex: number, state: TradeState, exitTime: EpochMs, step: number): void {
    const width = WIDTH;
    if ((this.length + 1) * width > this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    const d = this.#data;
    const at = this.length * width;
    d[at] = symbolIndex;
    d[at + 1] = state.side;
    d[at + 2] = state.maxQty;
    d[at + 3] = state.entryTime;
    d[at + 4] = state.entryPrice;
    d[at + 5] = exitTime;
    d[at + 6] = state.exitPrice;
    d[at + 7] = state.pnl;
    d[at + 8] = state.commission;
    d[at + 9] = step - state.entryStep;
    this.length++;
  }

  outcomes(): TradeOutcomes {
    const d = this.#data;
    const sums = new OutcomeSums();
    // netPnl as `tradesFromColumns` computes it.
    for (let at = 0; at < this.length * WIDTH; at += WIDTH) sums.add((d[at + 7] as number) - (d[at + 8] as number));
    return sums.result(this.length);
  }

  toTrades(symbols: readonly Ticker[]): readonly ClosedTrade[] {
    return tradesOf(this.#data, this.length, symbols);
  }

  /**
   * The rows so far, as they stand (a row is never changed once written, and later rows go past
   * them). A buffer at least half used (it doubles as it grows) is shared, not copied: copying a
   * long run's rows would take new memory at every run. A buffer mostly empty is copied down to the
   * rows, so that a short run's result keeps no spare room.
   */
  copy(): { readonly data: Float64Array; readonly length: number } {
    const used = this.length * WIDTH;
    return { data: used * 2 >= this.#data.length ? this.#data.subarray(0, used) : this.#data.slice(0, used), length: this.length };
  }
}

const NO_TRADES: readonly ClosedTrade[] = Object.freeze([]);

/** `closedLater` of a tracker without closed trades: one function for all of them. */
function noTrades(): readonly ClosedTrade[] {
  return NO_TRADES;
}

/** The closed trades of `count` rows of columns `data`: a frozen array of frozen trades. */
function tradesOf(data: Float64Array, count: number, symbols: readonly Ticker[]): readonly ClosedTrade[] {
  const out: ClosedTrade[] = [];
  tradesFromColumns(data, count, symbols, out);
  return Object.freeze(out);
}

/**
 * `TradeTracker.closedLater`'s function, made in a scope of its own so that it holds the rows and
 * the symbols only (a closure keeps every variable its scope shares with other closures).
 */
function laterTrades(rows: { readonly data: Float64Array; readonly length: number }, symbols: readonly Ticker[]): () => readonly ClosedTrade[] {
  // The closure reads these, not `rows` (which would keep the columns after they are let go).
  const count = rows.length;
  let data: Float64Array | undefined = rows.data;
  let trades: readonly ClosedTrade[] | undefined;
  return () => {
    if (trades === undefined) {
      trades = tradesOf(data as Float64Array, count, symbols);
      // The columns go once the trades are built.
      data = undefined;
    }
    return trades;
  };
}

/**
 * A closed trade as `TradeTracker.closed` hands it out: frozen, its fields those of
 * `ClosedTrade`. Built by a constructor, not an object literal: V8 moves the objects a literal makes
 * straight to the old generation once they are seen to survive (they all do: they are the result),
 * and that made each object cost about 1 µs, three to ten times as much as a constructed one
 * (measured on the benchmark's 19,253 trades; see docs/benchmarks.md).
 */
class ClosedTradeRecord implements ClosedTrade {
  // Declared, not emitted as class fields: the constructor sets each once, in this order.
  declare readonly symbol: Ticker;
  declare readonly side: 'long' | 'short';
  declare readonly qty: number;
  declare readonly entryTime: EpochMs;
  declare readonly entryPrice: number;
  declare readonly exitTime: EpochMs;
  declare readonly exitPrice: number;
  declare readonly pnl: number;
  declare readonly commission: number;
  declare readonly netPnl: number;
  declare readonly barsHeld: number;

  constructor(d: Float64Array, at: number, symbol: Ticker) {
    const pnl = d[at + 7] as number;
    const commission = d[at + 8] as number;
    this.symbol = symbol;
    this.side = d[at + 1] === 1 ? 'long' : 'short';
    this.qty = d[at + 2] as number;
    this.entryTime = d[at + 3] as EpochMs;
    this.entryPrice = d[at + 4] as number;
    this.exitTime = d[at + 5] as EpochMs;
    this.exitPrice = d[at + 6] as number;
    this.pnl = pnl;
    this.commission = commission;
    this.netPnl = pnl - commission;
    this.barsHeld = d[at + 9] as number;
    Object.freeze(this);
  }
}
// Shared by every trade of every result: frozen, so that no one result's reader can change how
// another's trades print or behave (a `toJSON` added to it, say).
Object.freeze(ClosedTradeRecord.prototype);

/**
 * Appends to `out` the closed trades of `count` rows of columns `d`. It runs once per result, at
 * the first read of its trades: kept to the loop alone (no call after it that its first,
 * optimized-on-the-fly run has no feedback for), its optimized code is not thrown away at the
 * loop's end.
 */
function tradesFromColumns(d: Float64Array, count: number, symbols: readonly Ticker[], out: ClosedTrade[]): void {
  const width = WIDTH;
  for (let r = 0; r < count; r++) {
    const at = r * width;
    // An integer index: a double key would take the slow path of a keyed load.
    out.push(new ClosedTradeRecord(d, at, symbols[(d[at] as number) | 0] as Ticker));
  }
}
