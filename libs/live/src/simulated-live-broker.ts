import type { BarUniverse, BrokerEventSink, ClientOrderId, LiveBroker, OrderChanges, OrderRequest } from '@quantbot/core';
import { SimulatedBroker } from '@quantbot/execution-sim';
import type { ExecutionProfile, SimulatedAccount } from '@quantbot/execution-sim';

/**
 * The execution simulator as a live broker: paper trading without an account, on live or
 * replayed bars. It fills what was decided at the previous close at this bar's open, exactly as
 * in a backtest with the same profile and seed. It lives inside the trading process, so a
 * restart gives it the checkpoint's working orders again (`adopt`).
 */
export class SimulatedLiveBroker implements LiveBroker {
  readonly #sim: SimulatedBroker;

  constructor(options: { readonly universe: BarUniverse; readonly profile: ExecutionProfile; readonly seed: number; readonly account: SimulatedAccount; readonly sink: BrokerEventSink }) {
    this.#sim = new SimulatedBroker({ universe: options.universe, profile: options.profile, seed: options.seed });
    this.#sim.connect(options.account, options.sink);
  }

  submit(order: OrderRequest): void {
    this.#sim.submit(order);
  }

  cancel(clientOrderId: ClientOrderId): void {
    this.#sim.cancel(clientOrderId);
  }

  replace(clientOrderId: ClientOrderId, changes: OrderChanges): void {
    this.#sim.replace(clientOrderId, changes);
  }

  beforeDecision(step: number): void {
    this.#sim.processBar(step);
  }

  adopt(orders: readonly OrderRequest[]): void {
    for (const order of orders) this.#sim.submit(order);
  }

  get openOrderCount(): number {
    return this.#sim.openOrderCount;
  }
}
