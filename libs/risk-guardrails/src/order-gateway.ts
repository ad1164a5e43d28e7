import { finiteOrNull, formatIsoTime } from '@quantbot/core';
import type { AuditSink, EpochMs, JsonValue, OrderRequest } from '@quantbot/core';
import type { GatewayStatistics } from './gateway-statistics';
import { KillSwitch, KillSwitchError } from './kill-switch';
import type { KillSwitchConfig, KillSwitchLevel, KillSwitchSnapshot, KillSwitchSource } from './kill-switch';
import {
  ORDER_RATE_WINDOW_MS,
  checkRiskLimits,
  isReducingOrder,
  rejectedDecision,
  riskLimitsToJson,
  signedOrderQty,
  validateRiskLimits,
} from './risk-limits';
import type { RiskLimits } from './risk-limits';
import type { GatewayDecision, PortfolioView, RejectCode, TradingState } from './risk-types';

/** What an {@link OrderGateway} enforces and where it reports. */
export interface OrderGatewayOptions {
  readonly limits: RiskLimits;
  readonly killSwitch: KillSwitchConfig;
  /** Receives one record per decision and per kill-switch transition. */
  readonly audit?: AuditSink;
}

/** The gateway's state as plain JSON data, for {@link OrderGateway.restore}. */
export interface OrderGatewaySnapshot {
  readonly version: 1;
  readonly killSwitch: KillSwitchSnapshot;
  readonly accepted: number;
  readonly rejectedByCode: Readonly<Record<string, number>>;
  /** `decidedAt` of the accepted orders still inside the order-rate window. */
  readonly recentAcceptedAt: readonly number[];
}

/**
 * The one door every order passes before it reaches a broker, in a backtest, paper or live.
 * `check` judges an order in this fixed order and returns the first failure:
 *
 * 1. the trading state: `halted` refuses everything (`halted`); `reducing` and `flatten` pass
 *    only orders that shrink a position without crossing zero (`reducing-only`);
 * 2. the limits, in the order of `checkRiskLimits`: `invalid-order`, `symbol-denied`,
 *    `symbol-not-allowed`, `price-band`, then (not for reducing orders) `order-qty`,
 *    `order-notional`, `short-sale`, `position-qty`, `position-pct-equity`, `gross-exposure`, `gross-notional`,
 *    `net-exposure`, `gap-risk`, and last `order-rate`.
 *
 * Every decision is counted and appended to the audit sink (`order-accepted` /
 * `order-rejected`, with exactly `clientOrderId, symbol, side, qty, type, code, message`;
 * `code` and `message` are `null` for an accepted order). The gateway never reads a clock:
 * the audit time is `portfolio.time`, kill-switch times are passed in.
 *
 * @example
 * const gateway = new OrderGateway({ limits: { maxOrderNotional: 100_000 }, killSwitch: { haltAtDrawdownPct: 5 } });
 * gateway.observe(time, equity); // every bar
 * const decision = gateway.check(order, portfolio);
 * if (!decision.accepted) console.log(decision.code, decision.message);
 */
export class OrderGateway {
  readonly #limits: RiskLimits;
  #killSwitch: KillSwitch;
  readonly #audit: AuditSink | undefined;
  #accepted = 0;
  #rejected = 0;
  readonly #rejectedByCode = new Map<string, number>();
  /** Accepted `decidedAt` times, oldest first from `#head`; kept only with an order-rate limit. */
  #acceptedAt: number[] = [];
  #head = 0;

  #latestAcceptedAt = -Infinity;

  /** Throws `ConfigError` naming the key for an invalid limit or kill-switch setting. */
  constructor(options: OrderGatewayOptions) {
    this.#limits = validateRiskLimits(options.limits);
    this.#audit = options.audit;
    this.#killSwitch = new KillSwitch(options.killSwitch, options.audit);
  }

  /** Rebuilds a gateway from {@link OrderGateway.toJSON} output; it decides as the original would. */
  static restore(options: OrderGatewayOptions, snapshot: OrderGatewaySnapshot): OrderGateway {
    if (snapshot.version !== 1) throw new KillSwitchError(`order-gateway snapshot version ${String(snapshot.version)} is not supported`);
    const gateway = new OrderGateway(options);
    gateway.#killSwitch = KillSwitch.restore(options.killSwitch, snapshot.killSwitch, options.audit);
    gateway.#accepted = snapshot.accepted;
    for (const [code, n] of Object.entries(snapshot.rejectedByCode)) {
      gateway.#rejectedByCode.set(code, n);
      gateway.#rejected += n;
    }
    gateway.#acceptedAt = [...snapshot.recentAcceptedAt];
    for (const t of gateway.#acceptedAt) gateway.#latestAcceptedAt = Math.max(gateway.#latestAcceptedAt, t);
    return gateway;
  }

  /** The kill switch's trading state. */
  get state(): TradingState {
    return this.#killSwitch.state;
  }

  /** Judges one order against the trading state and the limits; counts and audits the decision. */
  check(order: OrderRequest, portfolio: PortfolioView): GatewayDecision {
    const decision = this.#decide(order, portfolio);
    if (decision.accepted) {
      this.#accepted++;
      if (this.#limits.maxOrdersPerMinute !== undefined) this.#rememberAccepted(order.decidedAt);
    } else {
      this.#rejected++;
      this.#rejectedByCode.set(decision.code, (this.#rejectedByCode.get(decision.code) ?? 0) + 1);
    }
    this.#audit?.append({
      time: portfolio.time,
      kind: decision.accepted ? 'order-accepted' : 'order-rejected',
      detail: orderAuditDetail(order, decision),
    });
    return decision;
  }

  /** Feeds an equity observation (every bar) to the kill switch; returns the state after it. */
  observe(time: EpochMs | number, equity: number): TradingState {
    return this.#killSwitch.observe(time, equity);
  }

  /** `observe(times[index], equities[index])`, without passing the numbers (see `KillSwitch.observeAt`). */
  observeAt(times: ArrayLike<number>, equities: ArrayLike<number>, index: number): TradingState {
    return this.#killSwitch.observeAt(times, equities, index);
  }

  /** Escalates the kill switch to at least `level`; true when the state changed. */
  trigger(level: KillSwitchLevel, reason: string, time: EpochMs | number, source: KillSwitchSource = 'external'): boolean {
    return this.#killSwitch.trigger(level, reason, time, source);
  }

  /**
   * Re-arms the kill switch on an operator's command (`why` is recorded with it); false when
   * refused (still active, or inside the cooldown), which is audited too.
   */
  rearm(time: EpochMs | number, by: string, why?: string): boolean {
    return this.#killSwitch.rearm(time, by, why);
  }

  /** Why a re-arm at `time` would be refused, or undefined when it would be accepted. */
  rearmRefusal(time: EpochMs | number): string | undefined {
    return this.#killSwitch.rearmRefusal(time);
  }

  /** When the kill switch last escalated (epoch ms), or undefined if it never did. */
  get triggeredAt(): number | undefined {
    return this.#killSwitch.triggeredAt;
  }

  /** Reports that every position is closed while in `flatten`: the state becomes `halted`. */
  flattened(time: EpochMs | number): void {
    this.#killSwitch.flattened(time);
  }

  /** Decisions, trading states and drawdowns so far, as plain JSON data. */
  getStatistics(): GatewayStatistics {
    const ks = this.#killSwitch;
    return {
      state: ks.state,
      accepted: this.#accepted,
      rejected: this.#rejected,
      rejectedByCode: Object.fromEntries(this.#rejectedByCode),
      timeInStateMs: ks.timeInStateMs(),
      maxIntradayDrawdownPct: ks.isMeasuring ? (finiteOrNull(ks.maxIntradayDrawdownPct) ?? 0) : null,
      currentDrawdownPct: ks.isMeasuring ? (finiteOrNull(ks.currentDrawdownPct) ?? 0) : null,
      transitions: ks.transitions.map((t) => ({ ...t })),
      limits: riskLimitsToJson(this.#limits),
    };
  }

  /** The gateway's state as plain JSON data, for {@link OrderGateway.restore}. */
  toJSON(): OrderGatewaySnapshot {
    return {
      version: 1,
      killSwitch: this.#killSwitch.toJSON(),
      accepted: this.#accepted,
      rejectedByCode: Object.fromEntries(this.#rejectedByCode),
      recentAcceptedAt: this.#acceptedAt.slice(this.#head),
    };
  }

  #decide(order: OrderRequest, portfolio: PortfolioView): GatewayDecision {
    const ks = this.#killSwitch;
    const state = ks.state;
    if (state === 'halted') {
      const since = ks.triggeredAt === undefined ? '' : ` since ${formatIsoTime(ks.triggeredAt)}`;
      return rejectedDecision('halted', `trading is halted${since} (${ks.reason ?? 'no reason given'}); ${describeOrder(order)} refused`);
    }
    if (state === 'reducing' || state === 'flatten') {
      const position = portfolio.position(order.symbol);
      const signedQty = signedOrderQty(order);
      if (!isReducingOrder(position, signedQty)) {
        return rejectedDecision(
          'reducing-only',
          `trading state is ${state}: only orders that shrink a position pass, and ${describeOrder(order)} would take the position from ${position} to ${position + signedQty}`,
        );
      }
    }
    const max = this.#limits.maxOrdersPerMinute;
    return checkRiskLimits(order, portfolio, this.#limits, max === undefined ? 0 : this.#countAcceptedInWindow(order.decidedAt));
  }

  /** Accepted orders with `decidedAt` in (time − 60 s, time]. */
  #countAcceptedInWindow(time: number): number {
    const times = this.#acceptedAt;
    const from = time - ORDER_RATE_WINDOW_MS;
    let n = 0;
    for (let i = this.#head; i < times.length; i++) {
      const t = times[i] as number;
      if (t > from && t <= time) n++;
    }
    return n;
  }

  #rememberAccepted(time: number): void {
    const times = this.#acceptedAt;
    times.push(time);
    if (time > this.#latestAcceptedAt) this.#latestAcceptedAt = time;
    // Times at or before (latest − window) can no longer fall in the window of a later order.
    const latest = this.#latestAcceptedAt;
    while (this.#head < times.length && (times[this.#head] as number) <= latest - ORDER_RATE_WINDOW_MS) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#acceptedAt = times.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** The audit detail of a decision: an explicit whitelist of order fields, nothing else. */
function orderAuditDetail(order: OrderRequest, decision: GatewayDecision): { readonly [key: string]: JsonValue } {
  const code: RejectCode | null = decision.accepted ? null : decision.code;
  return {
    clientOrderId: String(order.clientOrderId),
    symbol: String(order.symbol),
    side: String(order.side),
    qty: finiteOrNull(order.qty),
    type: String(order.type),
    code,
    message: decision.accepted ? null : decision.message,
  };
}

function describeOrder(order: OrderRequest): string {
  return `${order.side} ${order.qty} ${order.symbol} (${order.clientOrderId})`;
}

