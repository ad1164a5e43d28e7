import type { ClientOrderId, EpochMs } from '../ids';
import type { Fill, OrderRejection, OrderRequest } from '../order';

/** What a broker reports back. A simulated broker calls these synchronously; a live one as events arrive. */
export interface BrokerEventSink {
  onAccepted(clientOrderId: ClientOrderId, time: EpochMs): void;
  onFill(fill: Fill): void;
  onRejected(rejection: OrderRejection): void;
  onCanceled(clientOrderId: ClientOrderId, time: EpochMs, reason: string): void;
}

/** Where orders go. Commands return nothing: every outcome arrives through the `BrokerEventSink`. */
export interface Broker {
  submit(order: OrderRequest): void;
  cancel(clientOrderId: ClientOrderId): void;
}
