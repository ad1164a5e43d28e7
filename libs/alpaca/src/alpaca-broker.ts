import { Order, QuantbotError, clientOrderId as toClientOrderId, epochMs, parseTicker } from '@quantbot/core';
import type { Broker, BrokerEventSink, ClientOrderId, OrderChanges, OrderRequest, Ticker } from '@quantbot/core';
import { AlpacaApiError } from './alpaca-client';
import type { AlpacaClient, SubmitOrderRequest } from './alpaca-client';
import type { AlpacaOrder } from './alpaca-types';
import { AlpacaOrderTracker } from './order-tracker';
import type { AlpacaOrderAnomalyError, TrackedChange, TrackedOrder } from './order-tracker';

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
  /**
   * Snapshots the order's aggregate refused (Alpaca contradicting itself, e.g. a fill after the
   * order ended): nothing is reported to the sink for them. For the log; ignored without it.
   */
  readonly onAnomaly?: (error: AlpacaOrderAnomalyError) => void;
}

/**
 * The Broker port over Alpaca. Commands return at once (the port is synchronous, as the engine's
 * event loop expects) and run in the background, in order; `settle()` awaits them. Every
 * outcome, whether from a REST answer or from the trade stream (`onStreamChange`), goes through
 * one `AlpacaOrderTracker`, which holds each order as a core `Order` aggregate: a fill is
 * reported to the sink exactly once, and the status reported is the aggregate's
 * (`Order.toUpdate()`), reported when it changes, so it only moves forward along the core
 * order state machine. An order the adapter refuses before sending is reported rejected
 * through an aggregate of its own.
 *
 * Client order ids are the engine's own (deterministic, derived from the decision), so a
 * command replayed after a crash finds the order Alpaca already has instead of creating another.
 */
export class AlpacaBroker implements Broker {
  readonly #options: AlpacaBrokerOptions;
  readonly #tracker: AlpacaOrderTracker;
  readonly #alpacaIds = new Map<string, string>();
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
      this.#reject(order, request);
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
          this.#reject(order, `Alpaca refused the order: ${error.alpacaMessage}`);
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
   * Looks up every order of this broker whose aggregate can still change and folds what Alpaca
   * says into the tracker: fills that happened but have not arrived through the stream are
   * reported now. The live driver calls it before each decision, so no decision acts on a book
   * that is missing a fill.
   */
  async syncOpenOrders(): Promise<void> {
    await this.settle();
    await this.resolvePending();
    for (const clientOrderId of [...this.#alpacaIds.keys()]) {
      const tracked = this.#tracked(clientOrderId);
      if (tracked === undefined || tracked.isTerminal) continue;
      const order = await this.#options.client.getOrderByClientId(clientOrderId);
      this.#observe(order, order.updatedAt ?? order.createdAt);
    }
  }

  /**
   * Treats an order found working at the broker (reconciliation) as one of ours from now on: its
   * later fills and its end are reported, and `syncOpenOrders` watches it. Its state now is not
   * reported (the engine adopts it as it is); fills it had before are not reported again when
   * the tracker already knows them (share the stream's tracker and `seed` it first).
   */
  adopt(order: AlpacaOrder): void {
    this.#alpacaIds.set(order.clientOrderId, order.id);
    for (const change of this.#tracker.observe(order, { time: order.updatedAt ?? order.createdAt, event: null, recovered: false })) {
      if (change.kind !== 'status') this.#forward(change);
    }
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
          if (request !== undefined) this.#reject(request, 'the submission never reached Alpaca; not resubmitted');
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

  /** The tracker's aggregate of the order with `clientOrderId`, if Alpaca reported it. */
  #tracked(clientOrderId: string): TrackedOrder | undefined {
    const id = this.#alpacaIds.get(clientOrderId);
    return id === undefined ? undefined : this.#tracker.order(id);
  }

  #observe(order: AlpacaOrder, time: number): void {
    for (const change of this.#tracker.observe(order, { time, event: null, recovered: false })) this.#forward(change);
  }

  #forward(change: TrackedChange): void {
    const order = change.order;
    this.#alpacaIds.set(order.clientOrderId, order.id);
    switch (change.kind) {
      case 'fill': {
        const f = change.fill;
        this.#options.sink.onFill({
          clientOrderId: toClientOrderId(f.clientOrderId),
          symbol: parseTicker(f.symbol) ?? (f.symbol as Ticker),
          side: f.side,
          qty: f.qty,
          price: f.price,
          // Alpaca charges no commission on US equities; regulatory fees are not reported per fill.
          commission: 0,
          time: epochMs(f.time),
        });
        return;
      }
      case 'status':
        if (change.update !== null) this.#options.sink.onOrderUpdate(change.update);
        return;
      case 'anomaly':
        this.#options.onAnomaly?.(change.error);
        return;
    }
  }

  /**
   * Reports `request` rejected, for `reason`, through an aggregate of its own, unless Alpaca has
   * reported the order (its report stands).
   */
  #reject(request: OrderRequest, reason: string): void {
    if (this.#tracked(request.clientOrderId) !== undefined) return;
    const order = Order.create(request);
    order.end('reject', request.decidedAt, reason);
    this.#options.sink.onOrderUpdate(order.toUpdate());
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
