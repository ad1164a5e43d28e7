import { QuantbotError, clientOrderId as toClientOrderId, epochMs, parseTicker } from '@quantbot/core';
import type { Broker, BrokerEventSink, ClientOrderId, OrderChanges, OrderRequest, OrderStatus, Ticker } from '@quantbot/core';
import { AlpacaApiError } from './alpaca-client';
import type { AlpacaClient, SubmitOrderRequest } from './alpaca-client';
import type { AlpacaOrder, AlpacaOrderStatus } from './alpaca-types';
import { AlpacaOrderTracker } from './order-tracker';
import type { TrackedChange } from './order-tracker';

/** A command whose outcome is unknown: Alpaca could not be reached, even to look the order up. */
export class AlpacaBrokerError extends QuantbotError {
  readonly clientOrderId: string;

  constructor(clientOrderId: string, message: string, options?: { cause?: unknown }) {
    super('ALPACA_BROKER', `order ${clientOrderId}: ${message}`, options);
    this.clientOrderId = clientOrderId;
  }
}

export interface AlpacaBrokerOptions {
  readonly client: Pick<AlpacaClient, 'submitOrder' | 'cancelOrder' | 'replaceOrder' | 'getOrderByClientId'>;
  /** Where outcomes go: fills first, then the status change they caused. */
  readonly sink: BrokerEventSink;
  /** Share the trade stream's tracker (`AlpacaTradeStream.tracker`) so REST answers and stream events count once. */
  readonly tracker?: AlpacaOrderTracker;
  /** Commands whose outcome could not be established; `resolvePending` retries them. */
  readonly onError?: (error: AlpacaBrokerError) => void;
}

/**
 * The Broker port over Alpaca. Commands return at once (the port is synchronous, as the engine's
 * event loop expects) and run in the background, in order; `settle()` awaits them. Every
 * outcome, whether from a REST answer or from the trade stream (`onStreamChange`), goes through
 * one `AlpacaOrderTracker`, so a fill is reported to the sink exactly once, and the status
 * reported to the sink only moves forward along the core order state machine.
 *
 * Client order ids are the engine's own (deterministic, derived from the decision), so a
 * command replayed after a crash finds the order Alpaca already has instead of creating another.
 */
export class AlpacaBroker implements Broker {
  readonly #options: AlpacaBrokerOptions;
  readonly #tracker: AlpacaOrderTracker;
  readonly #alpacaIds = new Map<string, string>();
  readonly #reported = new Map<string, OrderStatus>();
  readonly #pending = new Set<string>();
  readonly #requests = new Map<string, OrderRequest>();
  #queue: Promise<void> = Promise.resolve();

  constructor(options: AlpacaBrokerOptions) {
    this.#options = options;
    this.#tracker = options.tracker ?? new AlpacaOrderTracker();
  }

  submit(order: OrderRequest): void {
    const request = toAlpacaRequest(order);
    if (typeof request === 'string') {
      this.#report(order.clientOrderId, order, 'rejected', order.decidedAt, request);
      return;
    }
    this.#requests.set(order.clientOrderId, order);
    this.#run(order.clientOrderId, async () => {
      try {
        this.#observe(await this.#options.client.submitOrder(request), order.decidedAt);
      } catch (error) {
        if (error instanceof AlpacaApiError && error.status === 422) {
          // Most often a duplicate client_order_id: the decision was already sent (before a
          // crash, say). Adopt the order Alpaca has rather than reject the decision twice.
          const existing = await this.#options.client.getOrderByClientId(order.clientOrderId).catch(() => null);
          if (existing !== null) {
            this.#observe(existing, existing.updatedAt ?? existing.createdAt);
            return;
          }
        }
        if (error instanceof AlpacaApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
          this.#report(order.clientOrderId, order, 'rejected', order.decidedAt, `Alpaca refused the order: ${error.alpacaMessage}`);
          return;
        }
        throw error;
      }
    });
  }

  cancel(clientOrderId: ClientOrderId): void {
    this.#run(clientOrderId, async () => {
      const id = await this.#alpacaId(clientOrderId);
      try {
        await this.#options.client.cancelOrder(id);
      } catch (error) {
        // 422: not cancelable any more (already filled or canceled); the stream says which.
        if (error instanceof AlpacaApiError && (error.status === 422 || error.status === 404)) return;
        throw error;
      }
    });
  }

  replace(clientOrderId: ClientOrderId, changes: OrderChanges): void {
    this.#run(changes.newClientOrderId, async () => {
      const id = await this.#alpacaId(clientOrderId);
      const replacement = await this.#options.client.replaceOrder(id, {
        client_order_id: changes.newClientOrderId,
        ...(changes.qty !== undefined ? { qty: changes.qty } : {}),
        ...(changes.limitPrice !== undefined ? { limit_price: changes.limitPrice } : {}),
        ...(changes.stopPrice !== undefined ? { stop_price: changes.stopPrice } : {}),
      });
      this.#observe(replacement, replacement.createdAt);
    });
  }

  /** Feed `AlpacaTradeStream`'s `onChange` here. */
  onStreamChange(change: TrackedChange): void {
    this.#forward(change);
  }

  /** Waits for every command issued so far. */
  async settle(): Promise<void> {
    await this.#queue;
  }

  /**
   * Looks up every order whose last reported state can still change and folds what Alpaca says
   * into the tracker: fills that happened but have not arrived through the stream are reported
   * now. The live driver calls it before each decision, so no decision acts on a book that is
   * missing a fill.
   */
  async syncOpenOrders(): Promise<void> {
    await this.settle();
    await this.resolvePending();
    for (const [clientOrderId, status] of [...this.#reported]) {
      if (status !== 'accepted' && status !== 'partially_filled' && status !== 'new') continue;
      const order = await this.#options.client.getOrderByClientId(clientOrderId);
      this.#observe(order, order.updatedAt ?? order.createdAt);
    }
  }

  /**
   * Treats an order found working at the broker (reconciliation) as one of ours from now on: its
   * later fills and its end are reported, and `syncOpenOrders` watches it. Fills it had before
   * are not reported again when the tracker already knows them (share the stream's tracker and
   * `seed` it first).
   */
  adopt(order: AlpacaOrder): void {
    this.#alpacaIds.set(order.clientOrderId, order.id);
    const status = toCoreStatus(order.status);
    if (status !== null && !this.#reported.has(order.clientOrderId)) this.#reported.set(order.clientOrderId, status);
    this.#observe(order, order.updatedAt ?? order.createdAt);
  }

  /** Client order ids whose last command has an unknown outcome. */
  pending(): string[] {
    return [...this.#pending];
  }

  /** Looks every pending order up again; the ones Alpaca has are reported, the others stay pending. */
  async resolvePending(): Promise<void> {
    for (const id of [...this.#pending]) {
      try {
        const order = await this.#options.client.getOrderByClientId(id);
        this.#pending.delete(id);
        this.#observe(order, order.updatedAt ?? order.createdAt);
      } catch (error) {
        if (error instanceof AlpacaApiError && error.status === 404) {
          this.#pending.delete(id);
          const request = this.#requests.get(id);
          // A submission that never arrived is not sent again: its decision is stale by now.
          if (request !== undefined) {
            this.#report(id, request, 'rejected', request.decidedAt, 'the submission never reached Alpaca; not resubmitted');
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- internals

  #run(clientOrderId: string, task: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      try {
        await task();
        this.#pending.delete(clientOrderId);
      } catch (error) {
        this.#pending.add(clientOrderId);
        this.#options.onError?.(
          new AlpacaBrokerError(clientOrderId, `outcome unknown, will be looked up again: ${(error as Error).message}`, { cause: error }),
        );
      }
    });
  }

  async #alpacaId(clientOrderId: string): Promise<string> {
    const known = this.#alpacaIds.get(clientOrderId);
    if (known !== undefined) return known;
    const order = await this.#options.client.getOrderByClientId(clientOrderId);
    this.#alpacaIds.set(clientOrderId, order.id);
    return order.id;
  }

  #observe(order: AlpacaOrder, time: number): void {
    for (const change of this.#tracker.observe(order, { time, event: null, recovered: false })) this.#forward(change);
  }

  #forward(change: TrackedChange): void {
    const order = change.order;
    this.#alpacaIds.set(order.clientOrderId, order.id);
    const symbol = parseTicker(order.symbol) ?? (order.symbol as Ticker);
    if (change.kind === 'fill') {
      const f = change.fill;
      this.#options.sink.onFill({
        clientOrderId: toClientOrderId(f.clientOrderId),
        symbol,
        side: f.side,
        qty: f.qty,
        price: f.price,
        // Alpaca charges no commission on US equities; regulatory fees are not reported per fill.
        commission: 0,
        time: epochMs(f.time),
      });
      return;
    }
    const status = toCoreStatus(order.status);
    if (status === null) return;
    const reason = order.status === 'replaced' ? `replaced by ${order.replacedBy ?? 'another order'}` : terminalReason(order.status);
    this.#report(order.clientOrderId, { symbol, side: order.side }, status, change.time, reason, order);
  }

  #report(
    clientOrderId: string,
    what: { readonly symbol: Ticker; readonly side: 'buy' | 'sell'; readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number },
    status: OrderStatus,
    time: number,
    reason: string | undefined,
    order?: AlpacaOrder,
  ): void {
    const previous = this.#reported.get(clientOrderId);
    if (previous === status || (previous !== undefined && RANK[status] < RANK[previous])) return;
    this.#reported.set(clientOrderId, status);
    const limitPrice = order?.limitPrice ?? what.limitPrice;
    const stopPrice = order?.stopPrice ?? what.stopPrice;
    this.#options.sink.onOrderUpdate({
      clientOrderId: toClientOrderId(clientOrderId),
      symbol: what.symbol,
      side: what.side,
      status,
      time: epochMs(time),
      qty: order?.qty ?? what.qty ?? 0,
      filledQty: order?.filledQty ?? 0,
      ...(reason !== undefined ? { reason } : {}),
      ...(limitPrice != null ? { limitPrice } : {}),
      ...(stopPrice != null ? { stopPrice } : {}),
    });
  }
}

/** Order of the core states along an order's life; a report never moves backwards. */
const RANK: Readonly<Record<OrderStatus, number>> = {
  new: 0,
  accepted: 1,
  partially_filled: 2,
  filled: 3,
  canceled: 3,
  expired: 3,
  rejected: 3,
  replaced: 3,
};

function toCoreStatus(status: AlpacaOrderStatus): OrderStatus | null {
  switch (status) {
    case 'new':
    case 'accepted':
    case 'pending_new':
    case 'accepted_for_bidding':
      return 'accepted';
    case 'partially_filled':
      return 'partially_filled';
    case 'filled':
      return 'filled';
    case 'canceled':
      return 'canceled';
    case 'expired':
    case 'done_for_day':
      return 'expired';
    case 'replaced':
      return 'replaced';
    case 'rejected':
      return 'rejected';
    default:
      // pending_cancel, pending_replace, stopped, suspended, calculated: no core state; the
      // final outcome follows.
      return null;
  }
}

function terminalReason(status: AlpacaOrderStatus): string | undefined {
  switch (status) {
    case 'canceled':
      return 'canceled at Alpaca';
    case 'expired':
    case 'done_for_day':
      return 'expired at the end of the session';
    case 'rejected':
      return 'rejected by Alpaca';
    default:
      return undefined;
  }
}

/** The Alpaca request for a core order, or why it cannot be sent. */
function toAlpacaRequest(order: OrderRequest): SubmitOrderRequest | string {
  if (!(order.qty > 0) || !Number.isFinite(order.qty)) return `quantity must be positive, got ${order.qty}`;
  const base = {
    symbol: order.symbol,
    qty: order.qty,
    side: order.side,
    time_in_force: order.timeInForce,
    client_order_id: order.clientOrderId,
  } as const;
  switch (order.type) {
    case 'market':
      return { ...base, type: 'market' };
    case 'limit':
      if (order.limitPrice === undefined) return 'a limit order needs a limit price';
      return { ...base, type: 'limit', limit_price: order.limitPrice };
    case 'stop':
      if (order.stopPrice === undefined) return 'a stop order needs a stop price';
      return { ...base, type: 'stop', stop_price: order.stopPrice };
    case 'stop_limit':
      if (order.stopPrice === undefined || order.limitPrice === undefined) return 'a stop-limit order needs a stop and a limit price';
      return { ...base, type: 'stop_limit', stop_price: order.stopPrice, limit_price: order.limitPrice };
    case 'bracket':
      return 'bracket orders are not supported by the Alpaca adapter yet; submit the entry and manage exits as separate orders';
  }
}
