import type { JsonValue, LedgerSnapshot, Ticker, VenueOrder } from '@quantbot/core';
import { PortfolioLedger } from '@quantbot/core';
import type { CheckpointOrder } from './live-checkpoint';
import type { LiveFillRecord } from './live-state';

/** The broker's view, as its REST API reports it. */
export interface BrokerAccountView {
  readonly cash: number;
  readonly positions: readonly { readonly symbol: string; readonly qty: number; readonly avgEntryPrice: number; readonly currentPrice: number }[];
  readonly openOrders: readonly BrokerOrderView[];
}

/** An open order as reconciliation compares it (the venue's report, without its fill details). */
export type BrokerOrderView = Omit<VenueOrder, 'filledAvgPrice' | 'lastActivityAt'>;

export type OrphanPolicy = 'adopt' | 'cancel';

export interface Divergence {
  readonly kind: 'position' | 'cash' | 'orphan-order' | 'foreign-order' | 'order-ended-while-away' | 'unknown-symbol';
  readonly symbol: string | null;
  readonly local: JsonValue;
  readonly broker: JsonValue;
  readonly action: string;
}

export interface ReconciliationPlan {
  /** The books to continue with: the broker's positions and cash, the local P&L history. */
  readonly ledger: LedgerSnapshot;
  /** Orders to keep working and book as ours (local ones still open, and adopted orphans). */
  readonly working: readonly CheckpointOrder[];
  /** Client order ids to cancel at the broker. */
  readonly cancel: readonly string[];
  readonly divergences: readonly Divergence[];
}

/** Quantities and cash closer than this are equal (decimal strings carry rounding). */
const TOLERANCE = 1e-6;

/**
 * Compares the session's books with the broker's, which are authoritative, and plans what to do.
 *
 * `recoveredFills` are the fills found through REST for local orders that ended while the trader
 * was away: the local books plus those are what the broker should show; anything else is a
 * divergence, recorded and then overridden by the broker's numbers. Open orders at the broker
 * that the session does not know are orphans: those carrying the session's id prefix are its own
 * (sent just before a crash) and always adopted; others follow `policy` when they trade one of
 * the session's symbols, and are left alone (and reported) when they do not.
 */
export function reconcile(
  local: { readonly symbols: readonly string[]; readonly ledger: LedgerSnapshot; readonly working: readonly CheckpointOrder[] },
  broker: BrokerAccountView,
  recoveredFills: readonly LiveFillRecord[],
  options: { readonly sessionPrefix: string; readonly policy: OrphanPolicy },
): ReconciliationPlan {
  const symbols = local.symbols as readonly Ticker[];
  const expected = PortfolioLedger.restore(symbols, local.ledger);
  for (const fill of recoveredFills) {
    const s = expected.indexOf(fill.symbol as Ticker);
    if (s >= 0) expected.applyFill(s, fill.side === 'buy' ? fill.qty : -fill.qty, fill.price, fill.commission);
  }
  const divergences: Divergence[] = [];
  const brokerQty = new Map(broker.positions.map((p) => [p.symbol, p]));
  for (const p of broker.positions) {
    if (!symbols.includes(p.symbol as Ticker)) {
      divergences.push({ kind: 'unknown-symbol', symbol: p.symbol, local: null, broker: p.qty, action: 'left alone: the session does not trade it' });
    }
  }

  const positions = symbols.map((symbol, s) => {
    const mine = expected.qty(s);
    const theirs = brokerQty.get(symbol);
    const qty = theirs?.qty ?? 0;
    if (Math.abs(mine - qty) > TOLERANCE) {
      divergences.push({ kind: 'position', symbol, local: mine, broker: qty, action: 'took the broker position' });
    }
    const mark = theirs?.currentPrice ?? expected.markPrice(s);
    return {
      symbol: symbol as string,
      qty,
      averageCost: qty === 0 ? 0 : Math.abs(mine - qty) > TOLERANCE ? (theirs?.avgEntryPrice ?? 0) : expected.averageCost(s),
      mark: Number.isFinite(mark) ? mark : null,
      realizedPnl: expected.position(s).realizedPnl,
    };
  });
  if (Math.abs(expected.cash - broker.cash) > 1e-4) {
    divergences.push({ kind: 'cash', symbol: null, local: expected.cash, broker: broker.cash, action: 'took the broker cash' });
  }

  const localIds = new Set(local.working.map((o) => o.clientOrderId));
  const openAtBroker = new Map(broker.openOrders.map((o) => [o.clientOrderId, o]));
  const working: CheckpointOrder[] = [];
  for (const order of local.working) {
    const theirs = openAtBroker.get(order.clientOrderId);
    // Still working: continue from the broker's fill count (fills while away were recovered).
    if (theirs !== undefined) working.push({ ...order, filledQty: theirs.filledQty });
    else {
      divergences.push({
        kind: 'order-ended-while-away',
        symbol: order.symbol,
        local: order.clientOrderId,
        broker: null,
        action: 'no longer open at the broker: its fills were recovered through REST',
      });
    }
  }
  const cancel: string[] = [];
  for (const order of broker.openOrders) {
    if (localIds.has(order.clientOrderId)) continue;
    const ours = order.clientOrderId.startsWith(`${options.sessionPrefix}-`);
    const traded = symbols.includes(order.symbol as Ticker);
    const asCheckpointOrder: CheckpointOrder = {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      qty: order.qty,
      filledQty: order.filledQty,
      referencePrice: order.limitPrice ?? order.stopPrice ?? brokerQty.get(order.symbol)?.currentPrice ?? 0,
      decidedAt: order.createdAt,
      type: order.type,
      timeInForce: order.timeInForce,
      limitPrice: order.limitPrice,
      stopPrice: order.stopPrice,
    };
    if (ours) {
      working.push(asCheckpointOrder);
      divergences.push({ kind: 'orphan-order', symbol: order.symbol, local: null, broker: order.clientOrderId, action: 'adopted: sent by this session before it stopped' });
    } else if (!traded) {
      divergences.push({ kind: 'foreign-order', symbol: order.symbol, local: null, broker: order.clientOrderId, action: 'left alone: the session does not trade the symbol' });
    } else if (options.policy === 'adopt') {
      working.push(asCheckpointOrder);
      divergences.push({ kind: 'foreign-order', symbol: order.symbol, local: null, broker: order.clientOrderId, action: 'adopted (policy adopt)' });
    } else {
      cancel.push(order.clientOrderId);
      divergences.push({ kind: 'foreign-order', symbol: order.symbol, local: null, broker: order.clientOrderId, action: 'canceled (policy cancel)' });
    }
  }

  const ledger: LedgerSnapshot = {
    startingCash: local.ledger.startingCash,
    cash: broker.cash,
    fees: expected.fees,
    realizedPnl: expected.realizedPnl,
    positions,
  };
  return { ledger, working, cancel, divergences };
}
