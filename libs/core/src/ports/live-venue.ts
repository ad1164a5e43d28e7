import type { Bar, BarSeries } from '../bar';
import { QuantbotError } from '../errors';
import type { Ticker } from '../ids';
import type { OrderRequest, OrderSide, OrderType, ReversalRule, TimeInForce } from '../order';
import type { Broker, BrokerEventSink } from './broker';

/**
 * A broker as a live driver uses it: the Broker port, plus one step before each decision.
 * A simulated broker fills there what the previous decisions asked for, at this bar's open (as
 * in a backtest); a real one makes sure every update about working orders has arrived, so a
 * decision never acts on a book that is missing a fill.
 */
export interface LiveBroker extends Broker {
  beforeDecision(step: number): Promise<void> | void;
  /**
   * A restart found these orders working in the checkpoint. A real broker still has them (and
   * reconciliation checks that); a simulated one died with the old process and is given them
   * again, under the same client order ids.
   */
  adopt?(orders: readonly OrderRequest[]): void;
  /** Resolves once every command sent so far has been answered (a real broker's REST calls). */
  settle?(): Promise<void>;
}

/** One time step of bars as a source delivers it; `arrivedAt` is on the session's latency clock. */
export interface BarStep {
  readonly time: number;
  /** One entry per session symbol, in the session's order; undefined where a symbol had no bar. */
  readonly bars: readonly (Bar | undefined)[];
  readonly arrivedAt: number;
}

/** One bar of one symbol as a venue's stream delivers it. */
export interface VenueBar extends Bar {
  readonly symbol: string;
}

/** An order as the venue reports it. Times are epoch ms. */
export interface VenueOrder {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly qty: number;
  readonly filledQty: number;
  /** Average price of everything filled so far; null before the first fill. */
  readonly filledAvgPrice: number | null;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
  readonly createdAt: number;
  /** When the order was last filled or, failing that, last changed. */
  readonly lastActivityAt: number;
}

export interface VenuePosition {
  readonly symbol: string;
  readonly qty: number;
  readonly avgEntryPrice: number;
  readonly currentPrice: number;
}

/** The venue's books: it is authoritative for cash and positions. */
export interface VenueAccount {
  readonly cash: number;
  readonly positions: readonly VenuePosition[];
}

/** The venue's market clock, epoch ms. */
export interface VenueClock {
  readonly isOpen: boolean;
  readonly nextOpen: number;
  readonly nextClose: number;
  readonly timestamp: number;
}

/** What a live driver reads from a venue when it connects. */
export interface VenueSnapshot extends VenueAccount {
  readonly clock: VenueClock;
  /** Every open order of the account, the session's and anybody else's. */
  readonly openOrders: readonly VenueOrder[];
}

/** The broker could not be reached or refused us: the trader does not trade (fails closed). */
export class VenueUnavailableError extends QuantbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VENUE_UNAVAILABLE', message, options);
  }
}

/**
 * A real broker as the live driver needs it: an adapter (the Alpaca one is in `@quantbot/alpaca`)
 * translates its wire protocol; the live driver owns what is generic (recovering fills missed
 * while away, reconciling, aggregating bar steps). Methods that cannot reach the broker reject;
 * `snapshot` and `startOrderUpdates` reject with `VenueUnavailableError`.
 */
/**
 * What an order sent to a venue does with money: `live` moves real money, `paper` trades a paper
 * account, `local` goes to a server on this machine (tests and live rehearsals).
 */
export type VenueMoneyMode = 'paper' | 'local' | 'live';

export interface LiveVenue {
  /**
   * Whether this venue's orders move real money. The adapter derives it from where it connects
   * (an endpoint that is neither a paper account nor loopback is `live`), never from a caller's
   * flag; the live driver refuses a `live` venue without a live authorization.
   */
  readonly moneyMode: VenueMoneyMode;
  /**
   * How this venue lets a position change sides; the live session follows it. Absent:
   * `one-order`. Alpaca's adapter says `close-then-open` (a sell beyond what is held is refused).
   */
  readonly reversals?: ReversalRule;
  /** The clock, cash, positions and open orders. Rejects when unreachable or the account is blocked. */
  snapshot(): Promise<VenueSnapshot>;
  /** The market clock now. */
  clock(): Promise<VenueClock>;
  /** The account's open orders in `symbols` now. */
  openOrders(symbols: readonly Ticker[]): Promise<readonly VenueOrder[]>;
  /** One order by its client order id; null when the venue does not know it. */
  findOrder(clientOrderId: string): Promise<VenueOrder | null>;
  /** Every order created after `after` (epoch ms), whatever its status, oldest first. */
  ordersSince(after: number): Promise<readonly VenueOrder[]>;
  /** Cancels an order the venue has reported (by snapshot, findOrder or ordersSince). */
  cancelOrder(clientOrderId: string): Promise<void>;
  /** Cash and positions now (the periodic check against the session's books). */
  account(): Promise<VenueAccount>;
  /** Minute bars, as traded, for warm-up and catch-up; one series per symbol, in order. */
  loadBars(symbols: readonly Ticker[], start: number, end: number): Promise<readonly BarSeries[]>;
  /**
   * Starts the order-update stream, seeded with the orders already reported (by client order id)
   * so nothing is reported twice. Updates that arrive before `broker` is called are held for it.
   */
  startOrderUpdates(seed: readonly string[]): Promise<void>;
  /** The session's broker; `adopted` are working orders (reported before) it books as its own. */
  broker(sink: BrokerEventSink, adopted: readonly string[]): LiveBroker;
  /** Starts the bar stream of `symbols` from the first bar after `afterTime`. */
  startBars(symbols: readonly Ticker[], afterTime: number, onBar: (bar: VenueBar) => void): Promise<void>;
  /**
   * Whether `error` (or an error it was caused by) says the venue could not be reached: no answer
   * or a server error, after the adapter's retries. A step that fails so is an outage, not a bug.
   */
  isUnreachable(error: unknown): boolean;
  close(): Promise<void>;
}
