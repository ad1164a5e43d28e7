import type { ClientOrderId, EpochMs, Ticker } from '@quantbot/core';
import type { OrderSpec, StrategyContext } from '@quantbot/strategies';
import type { Sleeve } from './sleeve';

/** What a sleeve's context asks of its manager: the portfolio's context now, and the sleeve's orders. */
export interface SleeveDesk {
  /** The portfolio's context of the current step (the engine's core in a session). */
  target(): StrategyContext;
  submit(sleeve: Sleeve, spec: OrderSpec): ClientOrderId | undefined;
  cancel(sleeve: Sleeve, clientOrderId: ClientOrderId): void;
  replace(sleeve: Sleeve, clientOrderId: ClientOrderId, changes: { readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number }): ClientOrderId;
}

/**
 * The `StrategyContext` a sleeve's strategy decides in: the time and symbols are the session's;
 * cash, equity, positions and pending orders are the sleeve's own; orders go through the manager
 * (which attributes them to the sleeve and sizes them from its books) to the one engine.
 */
export class SleeveContext implements StrategyContext {
  readonly #sleeve: Sleeve;
  readonly #desk: SleeveDesk;

  constructor(sleeve: Sleeve, desk: SleeveDesk) {
    this.#sleeve = sleeve;
    this.#desk = desk;
  }

  get time(): EpochMs {
    return this.#desk.target().time;
  }

  get symbols(): readonly Ticker[] {
    return this.#desk.target().symbols;
  }

  get cash(): number {
    return this.#sleeve.ledger.cash;
  }

  equity(): number {
    return this.#sleeve.ledger.equity();
  }

  position(symbolIndex: number): number {
    return this.#sleeve.ledger.qty(symbolIndex);
  }

  hasPendingOrder(symbolIndex: number): boolean {
    return (this.#sleeve.working[symbolIndex] as number) > 0;
  }

  buy(symbolIndex: number, qty?: number): void {
    this.submitOrder(qty === undefined ? { symbolIndex, side: 'buy', type: 'market' } : { symbolIndex, side: 'buy', type: 'market', qty });
  }

  sell(symbolIndex: number, qty?: number): void {
    this.submitOrder(qty === undefined ? { symbolIndex, side: 'sell', type: 'market' } : { symbolIndex, side: 'sell', type: 'market', qty });
  }

  /** Closes the sleeve's own position in the symbol (another sleeve's stays). */
  closePosition(symbolIndex: number): void {
    const qty = this.#sleeve.ledger.qty(symbolIndex);
    if (qty > 0) this.submitOrder({ symbolIndex, side: 'sell', type: 'market', qty });
    else if (qty < 0) this.submitOrder({ symbolIndex, side: 'buy', type: 'market', qty: -qty });
  }

  submitOrder(spec: OrderSpec): ClientOrderId | undefined {
    return this.#desk.submit(this.#sleeve, spec);
  }

  cancelOrder(clientOrderId: ClientOrderId): void {
    this.#desk.cancel(this.#sleeve, clientOrderId);
  }

  replaceOrder(clientOrderId: ClientOrderId, changes: { readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number }): ClientOrderId {
    return this.#desk.replace(this.#sleeve, clientOrderId, changes);
  }
}
