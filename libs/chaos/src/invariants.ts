/** The invariants every drill is judged by, in the order a report lists them. */
export const INVARIANTS = ['no-duplicate-orders', 'fills-booked-once', 'ledger-equals-broker', 'halted-as-expected', 'expected-outcome', 'recovery-time'] as const;
export type InvariantName = (typeof INVARIANTS)[number];

/** One invariant's verdict after a drill, with what it saw. */
export interface Verdict {
  readonly invariant: InvariantName;
  readonly ok: boolean;
  readonly detail: string;
}

/** An order as the broker holds it (every order it ever accepted, whatever its status). */
export interface BrokerOrderFact {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  readonly filledQty: number;
  readonly status: string;
}

/** A fill as the session journaled it. */
export interface JournaledFillFact {
  readonly fillKey: string;
  readonly clientOrderId: string;
  readonly qty: number;
}

/** Cash and positions (signed quantities; flat symbols may be left out). */
export interface BooksFact {
  readonly cash: number;
  readonly positions: readonly { readonly symbol: string; readonly qty: number }[];
}

/**
 * How a session attempt ended: a `DriveOutcome` kind of `@quantbot/live`, or `venue-unavailable`
 * when it could not start because the broker's state could not be fetched (`VenueUnavailableError`),
 * or `threw` for any other error out of `tradeOnVenue`.
 */
export type DrillOutcomeKind = 'stopped' | 'stopped-while-down' | 'outage' | 'failed' | 'venue-unavailable' | 'threw';

/**
 * The exit code `live-trader run` documents for each outcome (docs/live-trading.md): 0 a clean
 * stop, 5 a broker outage (or a stop while the broker was down), 4 a broker unreachable at the
 * start, 1 a failure.
 */
export const DOCUMENTED_EXIT_CODES: Readonly<Record<DrillOutcomeKind, number>> = Object.freeze({
  stopped: 0,
  'stopped-while-down': 5,
  outage: 5,
  failed: 1,
  'venue-unavailable': 4,
  threw: 1,
});

const verdict = (invariant: InvariantName, ok: boolean, detail: string): Verdict => ({ invariant, ok, detail });

/** No client order id appears twice among the broker's orders (an order is never sent twice). */
export function noDuplicateOrders(orders: readonly BrokerOrderFact[]): Verdict {
  const seen = new Map<string, number>();
  for (const order of orders) seen.set(order.clientOrderId, (seen.get(order.clientOrderId) ?? 0) + 1);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`);
  return duplicated.length === 0
    ? verdict('no-duplicate-orders', true, `${orders.length} order(s) at the broker, each client order id once`)
    : verdict('no-duplicate-orders', false, `client order id(s) at the broker more than once: ${duplicated.join(', ')}`);
}

/**
 * Every share the broker filled for the session's orders is journaled exactly once: per client
 * order id, the journaled quantity equals the broker's filled quantity, and no fill key repeats.
 * Orders of other sessions (another id prefix) are not the session's business.
 */
export function fillsBookedOnce(sessionId: string, orders: readonly BrokerOrderFact[], fills: readonly JournaledFillFact[]): Verdict {
  const problems: string[] = [];
  const keys = new Set<string>();
  const journaled = new Map<string, number>();
  for (const fill of fills) {
    if (keys.has(fill.fillKey)) problems.push(`fill ${fill.fillKey} journaled twice`);
    keys.add(fill.fillKey);
    journaled.set(fill.clientOrderId, (journaled.get(fill.clientOrderId) ?? 0) + fill.qty);
  }
  const ours = orders.filter((o) => o.clientOrderId.startsWith(`${sessionId}-`));
  let filled = 0;
  for (const order of ours) {
    const booked = journaled.get(order.clientOrderId) ?? 0;
    filled += order.filledQty;
    if (Math.abs(booked - order.filledQty) > 1e-9) problems.push(`${order.clientOrderId}: broker filled ${order.filledQty}, journal holds ${booked}`);
  }
  for (const id of journaled.keys()) {
    if (!ours.some((o) => o.clientOrderId === id)) problems.push(`${id}: journaled but unknown to the broker`);
  }
  return problems.length === 0
    ? verdict('fills-booked-once', true, `${fills.length} fill(s) journaled for ${ours.length} order(s), ${filled} share(s) filled at the broker, each once`)
    : verdict('fills-booked-once', false, problems.join('; '));
}

/**
 * The session's books equal the broker's: the same quantity of every symbol, and cash within
 * `cashTolerance` (the broker rounds to a millionth of a dollar per fill).
 */
export function ledgerEqualsBroker(ledger: BooksFact, broker: BooksFact, cashTolerance = 1e-4): Verdict {
  const problems: string[] = [];
  const qty = (books: BooksFact): Map<string, number> => new Map(books.positions.filter((p) => p.qty !== 0).map((p) => [p.symbol, p.qty]));
  const local = qty(ledger);
  const remote = qty(broker);
  for (const symbol of new Set([...local.keys(), ...remote.keys()])) {
    const a = local.get(symbol) ?? 0;
    const b = remote.get(symbol) ?? 0;
    if (Math.abs(a - b) > 1e-9) problems.push(`${symbol}: ledger ${a}, broker ${b}`);
  }
  if (!(Math.abs(ledger.cash - broker.cash) <= cashTolerance)) problems.push(`cash: ledger ${ledger.cash}, broker ${broker.cash}`);
  const held = [...remote].map(([s, q]) => `${s} ${q}`).join(', ') || 'no position';
  return problems.length === 0
    ? verdict('ledger-equals-broker', true, `${held}; cash ${broker.cash.toFixed(2)} on both sides`)
    : verdict('ledger-equals-broker', false, problems.join('; '));
}

/** The session's kill switch is halted exactly when the drill says it must be. */
export function haltedAsExpected(mustHalt: boolean, killSwitch: { readonly state: string; readonly reason: string | null }): Verdict {
  const halted = killSwitch.state === 'halted' || killSwitch.state === 'flatten';
  const said = `kill switch ${killSwitch.state}${killSwitch.reason === null ? '' : ` (${killSwitch.reason})`}`;
  return halted === mustHalt ? verdict('halted-as-expected', true, said) : verdict('halted-as-expected', false, `${said}; expected ${mustHalt ? 'halted' : 'not halted'}`);
}

/** The attempt ended as documented: one of the expected outcomes, and so the documented exit code. */
export function expectedOutcome(expected: readonly DrillOutcomeKind[], actual: DrillOutcomeKind, detail = ''): Verdict {
  const said = `${actual} (exit ${DOCUMENTED_EXIT_CODES[actual]})${detail === '' ? '' : `: ${detail}`}`;
  return expected.includes(actual)
    ? verdict('expected-outcome', true, said)
    : verdict('expected-outcome', false, `${said}; expected ${expected.map((k) => `${k} (exit ${DOCUMENTED_EXIT_CODES[k]})`).join(' or ')}`);
}

/** The drill measured a recovery (null: it never recovered) within `limitMs`. */
export function recoveredWithin(recoveryMs: number | null, limitMs: number): Verdict {
  if (recoveryMs === null) return verdict('recovery-time', false, `no recovery measured (limit ${limitMs} ms)`);
  const said = `${Math.round(recoveryMs)} ms (limit ${limitMs} ms)`;
  return verdict('recovery-time', recoveryMs >= 0 && recoveryMs <= limitMs, said);
}
