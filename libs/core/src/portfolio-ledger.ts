import { LedgerError } from './errors';
import type { Ticker } from './ids';

/** A read-only snapshot of one position. `qty` is signed: positive long, negative short. */
export interface Position {
  readonly symbol: Ticker;
  readonly qty: number;
  /** Average entry price of the open quantity; 0 when flat. */
  readonly averageCost: number;
  /** The last price the position was marked at; NaN before the first mark or fill. */
  readonly marketPrice: number;
  readonly marketValue: number;
  readonly unrealizedPnl: number;
  /** P&L realized on this symbol since the ledger started, before commissions. */
  readonly realizedPnl: number;
}

/** Everything a ledger holds, as plain JSON-safe data (a missing mark is `null`). */
export interface LedgerSnapshot {
  readonly startingCash: number;
  readonly cash: number;
  readonly fees: number;
  readonly realizedPnl: number;
  readonly positions: readonly {
    readonly symbol: string;
    readonly qty: number;
    readonly averageCost: number;
    readonly mark: number | null;
    readonly realizedPnl: number;
  }[];
}

/**
 * The portfolio's books: cash, signed positions at average cost, realized and unrealized P&L,
 * and commissions. Symbols are addressed by index (fixed at construction) so the backtest hot
 * path does no lookups or allocation.
 *
 * Invariant, for any sequence of fills and marks:
 * `cash + marketValue = startingCash + realizedPnl + unrealizedPnl - fees`.
 *
 * A fill that reduces a position realizes `closedQty × (price − averageCost)` (sign-adjusted for
 * shorts); a fill that crosses through zero closes the old position and opens the remainder at
 * the fill price, so no division by a zero quantity ever happens.
 */
export class PortfolioLedger {
  readonly symbols: readonly Ticker[];
  readonly startingCash: number;
  #cash: number;
  #fees = 0;
  #realized = 0;
  #openCount = 0;
  #revision = 0;
  readonly #qty: Float64Array;
  readonly #avgCost: Float64Array;
  readonly #mark: Float64Array;
  readonly #realizedBySymbol: Float64Array;
  readonly #indexBySymbol: ReadonlyMap<string, number>;

  constructor(symbols: readonly Ticker[], startingCash: number) {
    if (!Number.isFinite(startingCash) || startingCash < 0) {
      throw new LedgerError(`starting cash must be a finite non-negative amount, got ${startingCash}`);
    }
    const index = new Map<string, number>();
    symbols.forEach((symbol, i) => {
      if (index.has(symbol)) throw new LedgerError(`symbol ${symbol} listed twice`);
      index.set(symbol, i);
    });
    this.symbols = Object.freeze([...symbols]);
    this.startingCash = startingCash;
    this.#cash = startingCash;
    this.#qty = new Float64Array(symbols.length);
    this.#avgCost = new Float64Array(symbols.length);
    this.#mark = new Float64Array(symbols.length).fill(NaN);
    this.#realizedBySymbol = new Float64Array(symbols.length);
    this.#indexBySymbol = index;
  }

  /** Cash in currency; negative only if a caller let buying power go below zero. */
  get cash(): number {
    return this.#cash;
  }

  /** Total commissions and fees paid. */
  get fees(): number {
    return this.#fees;
  }

  /** Total realized P&L before commissions. */
  get realizedPnl(): number {
    return this.#realized;
  }

  /** Number of symbols with a non-zero position. */
  get openPositionCount(): number {
    return this.#openCount;
  }

  /** The index of `symbol`, or -1 when the ledger does not track it. */
  indexOf(symbol: Ticker): number {
    return this.#indexBySymbol.get(symbol) ?? -1;
  }

  /**
   * A counter that changes whenever cash, a quantity or a mark changes: two equal readings mean
   * that equity and exposures are unchanged, so a reader may reuse what it computed from them.
   */
  get revision(): number {
    return this.#revision;
  }

  /** Signed quantity held in symbol `i`. */
  qty(i: number): number {
    return this.#qty[this.#checkIndex(i)] as number;
  }

  /** Average cost of the open quantity of symbol `i` (0 when flat). */
  averageCost(i: number): number {
    return this.#avgCost[this.#checkIndex(i)] as number;
  }

  /** Last mark of symbol `i` (NaN before any). */
  markPrice(i: number): number {
    return this.#mark[this.#checkIndex(i)] as number;
  }

  /**
   * Books a fill on symbol `i`. `signedQty` is positive for a buy, negative for a sell.
   * Returns the P&L this fill realized (before commission).
   */
  applyFill(i: number, signedQty: number, price: number, commission: number): number {
    this.#checkIndex(i);
    if (!Number.isFinite(signedQty) || signedQty === 0) {
      throw new LedgerError(`fill on ${this.symbols[i]}: quantity must be finite and non-zero, got ${signedQty}`);
    }
    if (!Number.isFinite(price) || price <= 0) {
      throw new LedgerError(`fill on ${this.symbols[i]}: price must be finite and positive, got ${price}`);
    }
    if (!Number.isFinite(commission) || commission < 0) {
      throw new LedgerError(`fill on ${this.symbols[i]}: commission must be finite and non-negative, got ${commission}`);
    }
    const qty = this.#qty[i] as number;
    const avg = this.#avgCost[i] as number;
    let realized = 0;
    // Cash moves in the order an established backtester uses (closed cost basis back plus the
    // realized P&L, then the opened value out, then commission), so that sizing from cash
    // agrees with it to the last bit.
    let cash = this.#cash;
    if (qty === 0) {
      // Opening from flat keeps the fill price exactly (price × q / q need not round-trip).
      this.#avgCost[i] = price;
      this.#qty[i] = signedQty;
      cash -= signedQty * price;
    } else if (Math.sign(qty) === Math.sign(signedQty)) {
      const total = Math.abs(qty) + Math.abs(signedQty);
      this.#avgCost[i] = (avg * Math.abs(qty) + price * Math.abs(signedQty)) / total;
      this.#qty[i] = qty + signedQty;
      cash -= signedQty * price;
    } else {
      const side = Math.sign(qty);
      const closed = Math.min(Math.abs(qty), Math.abs(signedQty));
      realized = closed * (price - avg) * side;
      cash += side * closed * avg + realized;
      const remaining = qty + signedQty;
      this.#qty[i] = remaining;
      if (remaining === 0) {
        this.#avgCost[i] = 0;
      } else if (Math.sign(remaining) !== side) {
        this.#avgCost[i] = price;
        cash -= remaining * price;
      }
    }
    this.#cash = cash - commission;
    const after = this.#qty[i] as number;
    if (qty === 0 && after !== 0) this.#openCount++;
    else if (qty !== 0 && after === 0) this.#openCount--;
    this.#fees += commission;
    this.#realized += realized;
    this.#realizedBySymbol[i] = (this.#realizedBySymbol[i] as number) + realized;
    this.#mark[i] = price;
    this.#revision++;
    return realized;
  }

  /** Marks symbol `i` at `price` (a close, a last trade). Non-finite marks are refused. */
  mark(i: number, price: number): void {
    this.#checkIndex(i);
    if (!Number.isFinite(price) || price <= 0) {
      throw new LedgerError(`mark of ${this.symbols[i]}: price must be finite and positive, got ${price}`);
    }
    if (this.#mark[i] !== price) {
      this.#mark[i] = price;
      this.#revision++;
    }
  }

  /** Σ qty × mark over open positions. */
  marketValue(): number {
    let value = 0;
    for (let i = 0; i < this.#qty.length; i++) {
      const qty = this.#qty[i] as number;
      if (qty !== 0) value += qty * (this.#mark[i] as number);
    }
    return value;
  }

  /** Σ |qty × mark| over open positions. */
  grossExposure(): number {
    let value = 0;
    for (let i = 0; i < this.#qty.length; i++) {
      const qty = this.#qty[i] as number;
      if (qty !== 0) value += Math.abs(qty * (this.#mark[i] as number));
    }
    return value;
  }

  /** Σ qty × (mark − average cost) over open positions. */
  unrealizedPnl(): number {
    let pnl = 0;
    for (let i = 0; i < this.#qty.length; i++) {
      const qty = this.#qty[i] as number;
      if (qty !== 0) pnl += qty * ((this.#mark[i] as number) - (this.#avgCost[i] as number));
    }
    return pnl;
  }

  /** Cash plus the market value of all positions. */
  equity(): number {
    return this.#cash + this.marketValue();
  }

  /** A frozen snapshot of symbol `i`'s position. */
  position(i: number): Position {
    this.#checkIndex(i);
    const qty = this.#qty[i] as number;
    const mark = this.#mark[i] as number;
    const avg = this.#avgCost[i] as number;
    return Object.freeze({
      symbol: this.symbols[i] as Ticker,
      qty,
      averageCost: avg,
      marketPrice: mark,
      marketValue: qty === 0 ? 0 : qty * mark,
      unrealizedPnl: qty === 0 ? 0 : qty * (mark - avg),
      realizedPnl: this.#realizedBySymbol[i] as number,
    });
  }

  /** Snapshots of every non-flat position, in symbol order. */
  openPositions(): readonly Position[] {
    const open: Position[] = [];
    for (let i = 0; i < this.#qty.length; i++) if (this.#qty[i] !== 0) open.push(this.position(i));
    return Object.freeze(open);
  }

  /** The whole state, to persist; `PortfolioLedger.restore` rebuilds an identical ledger. */
  snapshot(): LedgerSnapshot {
    return {
      startingCash: this.startingCash,
      cash: this.#cash,
      fees: this.#fees,
      realizedPnl: this.#realized,
      positions: this.symbols.map((symbol, i) => {
        const mark = this.#mark[i] as number;
        return {
          symbol,
          qty: this.#qty[i] as number,
          averageCost: this.#avgCost[i] as number,
          mark: Number.isNaN(mark) ? null : mark,
          realizedPnl: this.#realizedBySymbol[i] as number,
        };
      }),
    };
  }

  /**
   * A ledger over `symbols` with the state of `snapshot`. Symbols of the snapshot must all be in
   * `symbols` (a position is never dropped); symbols it lacks start flat. Throws `LedgerError`
   * naming the field for anything that is not a finite number where one is needed.
   */
  static restore(symbols: readonly Ticker[], snapshot: LedgerSnapshot): PortfolioLedger {
    const finite = (value: unknown, field: string): number => {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new LedgerError(`snapshot ${field}: expected a finite number, got ${String(value)}`);
      return value;
    };
    const ledger = new PortfolioLedger(symbols, finite(snapshot.startingCash, 'startingCash'));
    ledger.#cash = finite(snapshot.cash, 'cash');
    ledger.#fees = finite(snapshot.fees, 'fees');
    ledger.#realized = finite(snapshot.realizedPnl, 'realizedPnl');
    for (const p of snapshot.positions) {
      const i = ledger.indexOf(p.symbol as Ticker);
      if (i < 0) throw new LedgerError(`snapshot holds ${p.symbol}, which this ledger does not track`);
      const qty = finite(p.qty, `${p.symbol}.qty`);
      ledger.#qty[i] = qty;
      ledger.#avgCost[i] = finite(p.averageCost, `${p.symbol}.averageCost`);
      ledger.#realizedBySymbol[i] = finite(p.realizedPnl, `${p.symbol}.realizedPnl`);
      if (p.mark !== null) ledger.#mark[i] = finite(p.mark, `${p.symbol}.mark`);
      if (qty !== 0) {
        ledger.#openCount++;
        if (p.mark === null) throw new LedgerError(`snapshot ${p.symbol}: an open position needs a mark`);
      }
    }
    ledger.#revision++;
    return ledger;
  }

  #checkIndex(i: number): number {
    if (!(i >= 0 && i < this.#qty.length) || !Number.isInteger(i)) {
      throw new LedgerError(`symbol index ${i} outside 0..${this.#qty.length - 1}`);
    }
    return i;
  }
}
