import type {
  AuditEntry,
  AuditSink,
  Bar,
  BarUniverse,
  Broker,
  BrokerEventSink,
  ClientOrderId,
  Fill,
  JsonValue,
  LiveBroker,
  OrderChanges,
  Order,
  OrderRequest,
  ReversalRule,
  OrderUpdate,
  Ticker,
} from '@quantbot/core';
import { ConfigError, canonicalJson, epochMs } from '@quantbot/core';
import { OrderGateway } from '@quantbot/risk-guardrails';
import type { OrderGatewayOptions } from '@quantbot/risk-guardrails';
import type { Strategy } from '@quantbot/strategies';
import { WarmupGate } from '@quantbot/strategies';
import type { SizingRule } from '@quantbot/risk-guardrails';
import type { RunRecorder } from '@quantbot/engine';
import { TradingCore } from '@quantbot/engine';
import type { AdoptedOrder } from '@quantbot/engine';
import { LiveBarBuffer } from './live-bar-buffer';
import { checkHeldData } from './data-quality-halt';
import type { DataQualityHaltOptions } from './data-quality-halt';
import { CHECKPOINT_FORMAT, CheckpointError } from './live-checkpoint';
import type { LiveCheckpoint, LiveCheckpointV2 } from './live-checkpoint';
import type { LiveAuditRecord, LiveFillRecord, LiveOrderRecord } from './live-state';

/** What the broker factory is given: the session's bars, its books and where to report. */
export interface LiveBrokerContext {
  readonly universe: BarUniverse;
  readonly core: TradingCore;
  /** Report fills and order updates here (the session journals them, then books them). */
  readonly sink: BrokerEventSink;
}

export interface LiveSessionOptions {
  /** Names the session's state and prefixes its client order ids. Letters, digits, `-`, `_`. */
  readonly sessionId: string;
  readonly strategy: Strategy;
  /** The strategy's parameters, recorded in checkpoints. */
  readonly params: JsonValue;
  readonly symbols: readonly Ticker[];
  readonly startingCash: number;
  readonly sizing: SizingRule;
  readonly gateway: OrderGatewayOptions;
  /** Bars before the first live one (aligned over `symbols`): seen with orders muted. */
  readonly history?: BarUniverse;
  /** Live steps the session takes before it must roll over (checkpoint, restore). Default 20 000. */
  readonly capacity?: number;
  /** Steps of bars kept in a checkpoint. Default: twice the strategy's warm-up, at least 500. */
  readonly checkpointBars?: number;
  readonly broker: (context: LiveBrokerContext) => LiveBroker;
  /** Continue from this checkpoint (a restart). Its session id and symbols must match. */
  readonly restore?: LiveCheckpoint;
  /** Milliseconds on a monotonic or wall clock, for latency only (never for decisions). */
  readonly latencyClock: () => number;
  /**
   * Halts the session (kill switch `halted`, source `data-quality`, audited) when the data behind
   * an open position cannot be trusted; see `DataQualityHaltOptions`. Default: on, with the
   * defaults. `false`: off.
   */
  readonly dataQualityHalt?: DataQualityHaltOptions | false;
  /** How a position changes sides at the broker (`LiveVenue.reversals`). Default `one-order` (the simulator's). */
  readonly reversals?: ReversalRule;
  readonly recorder?: RunRecorder;
}

export interface LiveStepReport {
  readonly step: number;
  readonly time: number;
  readonly ordersSubmitted: number;
  readonly tradingState: string;
  /** From the bar's arrival to the orders' submission (answered by the broker, when it answers), ms. */
  readonly latencyMs: number;
  /** The books after the step (marked at the bar's close): equity and cash. */
  readonly equity: number;
  readonly cash: number;
  /** Symbols holding a position other than 0 after the step. */
  readonly openPositions: number;
  /** Orders the session still follows (sent, not ended) after the step. */
  readonly workingOrders: number;
  /** Fills booked since the previous step's report (fills recovered through REST at a restart are not booked, nor counted). */
  readonly fills: number;
  /**
   * Orders refused since the previous step's report, by code: the gateway's reject codes
   * (`halted`, `order-notional`, …) and `broker` for an order the broker rejected.
   */
  readonly rejects: Readonly<Record<string, number>>;
  /**
   * Orders the broker ended since the previous step's report: `filled` completely, or `unfilled`
   * (canceled or expired with some quantity left; replaced orders and rejections are not counted).
   */
  readonly ordersEnded: { readonly filled: number; readonly unfilled: number };
}

export interface LatencyStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * One live (or paper) trading session: the backtest's `TradingCore`, gateway and strategy,
 * driven one bar at a time by whatever delivers bars, with a broker that answers
 * asynchronously. Every order and fill is journaled for the state store; `checkpoint()` returns
 * what a restarted process needs to continue exactly here.
 */
export class LiveSession {
  readonly sessionId: string;
  readonly core: TradingCore;
  readonly gateway: OrderGateway;
  readonly buffer: LiveBarBuffer;
  readonly broker: LiveBroker;
  readonly #options: LiveSessionOptions;
  readonly #strategy: WarmupGate;
  readonly #firstLiveStep: number;
  #liveSteps: number;
  #submitted = 0;
  /** Fills and refusals since the last step's report. */
  #fillsSinceStep = 0;
  #rejectsSinceStep: Record<string, number> = {};
  #endedSinceStep = { filled: 0, unfilled: 0 };
  readonly #latencies: number[] = [];
  /**
   * The journal rows to save with the next checkpoint: per order, its state after the latest
   * event, read from the core's `Order` aggregate (the session keeps no order state of its own).
   */
  readonly #journalOrders = new Map<string, LiveOrderRecord>();
  readonly #fills: LiveFillRecord[] = [];
  readonly #audit: LiveAuditRecord[] = [];
  /**
   * Decision prices of the orders a restart adopted from its checkpoint (their aggregates carry
   * none): what their journal rows keep saying. Orders adopted at reconciliation are not here:
   * their decision is unknown (null).
   */
  readonly #restoredDecisionPrices = new Map<string, number>();

  constructor(options: LiveSessionOptions) {
    if (!SESSION_ID.test(options.sessionId)) {
      throw new ConfigError('sessionId', `session id '${options.sessionId}' must be 1-40 letters, digits, '-' or '_'`);
    }
    this.sessionId = options.sessionId;
    this.#options = options;
    const restore = options.restore;
    if (restore !== undefined) checkMatches(restore, options);
    const history = options.history;
    const restoredBars = restore?.version === 2 ? restore.bars.times.length : 0;
    const capacity = restoredBars + (history?.length ?? 0) + (options.capacity ?? 20_000);
    this.buffer = new LiveBarBuffer(options.symbols, capacity);
    if (restore?.version === 2) this.buffer.appendRecent(restore.bars);
    if (history !== undefined) this.buffer.appendUniverse(history, restore?.lastBarTime);
    this.#firstLiveStep = this.buffer.steps;
    this.#liveSteps = restore?.version === 2 ? restore.liveSteps : 0;

    const audit: AuditSink = {
      append: (entry: AuditEntry) => {
        this.#audit.push({ time: entry.time, kind: entry.kind, detail: entry.detail });
        if (entry.kind === 'order-rejected') this.#countReject(typeof entry.detail['code'] === 'string' ? entry.detail['code'] : 'unknown');
        options.gateway.audit?.append(entry);
      },
    };
    const gatewayOptions = { ...options.gateway, audit };
    this.gateway = restore?.version === 2 ? OrderGateway.restore(gatewayOptions, restore.gateway) : new OrderGateway(gatewayOptions);
    this.#strategy = new WarmupGate(options.strategy, this.#firstLiveStep);
    this.core = new TradingCore({
      universe: this.buffer.universe,
      strategy: this.#strategy,
      startingCash: options.startingCash,
      sizing: options.sizing,
      gateway: this.gateway,
      orderIdPrefix: options.sessionId,
      ...(options.reversals !== undefined ? { reversals: options.reversals } : {}),
      ...(restore !== undefined ? { ledger: restore.ledger } : {}),
      ...(options.recorder !== undefined ? { recorder: options.recorder } : {}),
    });
    const sink = this.#journalingSink();
    this.broker = options.broker({ universe: this.buffer.universe, core: this.core, sink });
    this.core.attachBroker(this.#journalingBroker(this.broker));

    // Warm up: the strategy sees every bar it has (checkpointed, then history), orders muted.
    for (let k = 0; k < this.#firstLiveStep; k++) {
      this.core.beginStep(k);
      this.core.markCloses();
      this.core.decide();
    }
    if (restore?.version === 2) {
      this.#strategy.importState(restore.strategy.state);
      const requests: OrderRequest[] = [];
      for (const order of restore.workingOrders) {
        const request: OrderRequest = {
          clientOrderId: order.clientOrderId as ClientOrderId,
          symbol: order.symbol as Ticker,
          side: order.side,
          type: order.type,
          qty: order.qty - order.filledQty,
          timeInForce: order.timeInForce,
          decidedAt: epochMs(order.decidedAt),
          decisionPrice: order.referencePrice,
          ...(order.limitPrice !== null ? { limitPrice: order.limitPrice } : {}),
          ...(order.stopPrice !== null ? { stopPrice: order.stopPrice } : {}),
        };
        this.#restoredDecisionPrices.set(order.clientOrderId, order.referencePrice);
        this.adoptOrder({ ...request, qty: order.qty, filledQty: order.filledQty, referencePrice: order.referencePrice });
        requests.push(request);
      }
      this.broker.adopt?.(requests);
    }
  }

  /** The strategy the session trades, as it was given (a `StrategyManager` for a manager session). */
  get strategy(): Strategy {
    return this.#options.strategy;
  }

  /** Live steps decided so far, across restarts. */
  get liveSteps(): number {
    return this.#liveSteps;
  }

  /** True when the buffer has room for fewer than `margin` more bars: time to roll over. */
  needsRollover(margin = 1): boolean {
    return this.buffer.steps + margin > this.buffer.capacity;
  }

  get lastBarTime(): number {
    return this.buffer.lastTime;
  }

  /**
   * One bar has closed (`bars[s]` for symbol `s`; undefined where a symbol did not trade).
   * Fills due at its open are booked first, then the books are marked, the kill switch
   * observes the equity, and the strategy decides. `arrivedAt` is on `latencyClock`.
   */
  async onBar(time: number, bars: readonly (Bar | undefined)[], arrivedAt: number): Promise<LiveStepReport> {
    const step = this.buffer.append(time, bars);
    const core = this.core;
    core.beginStep(step);
    const beforeSync = this.#submitted;
    await this.broker.beforeDecision(step);
    // Fills found there may have released held orders (close-then-open): they go out now.
    if (this.#submitted > beforeSync) await this.broker.settle?.();
    core.markCloses();
    this.#haltOnBadData(step, time);
    let state = this.gateway.observe(time, core.ledger.equity());
    if (state === 'flatten') {
      core.flattenIfRequired();
      state = this.gateway.state;
    }
    const before = this.#submitted;
    core.decide();
    if (this.#submitted > before) await this.broker.settle?.();
    const latencyMs = this.#options.latencyClock() - arrivedAt;
    const ordersSubmitted = this.#submitted - before;
    if (ordersSubmitted > 0) this.#latencies.push(latencyMs);
    this.#liveSteps++;
    const ledger = core.ledger;
    const report: LiveStepReport = {
      step,
      time,
      ordersSubmitted,
      tradingState: this.gateway.state,
      latencyMs,
      equity: ledger.equity(),
      cash: ledger.cash,
      openPositions: ledger.openPositions().length,
      workingOrders: core.workingOrders().length,
      fills: this.#fillsSinceStep,
      rejects: this.#rejectsSinceStep,
      ordersEnded: this.#endedSinceStep,
    };
    this.#fillsSinceStep = 0;
    this.#rejectsSinceStep = {};
    this.#endedSinceStep = { filled: 0, unfilled: 0 };
    return report;
  }

  #countReject(code: string): void {
    this.#rejectsSinceStep[code] = (this.#rejectsSinceStep[code] ?? 0) + 1;
  }

  /**
   * The data-quality halt: over the symbols the session holds, the bar just closed (and the few
   * before it) must be fresh, without a spike beyond the limit, and valid; otherwise the session
   * halts before the strategy decides, and the audit says which symbol and why.
   */
  #haltOnBadData(step: number, time: number): void {
    const options = this.#options.dataQualityHalt;
    if (options === false) return;
    const core = this.core;
    if (this.gateway.state === 'halted' || this.gateway.state === 'flatten') return;
    const decision = checkHeldData(this.buffer.universe, step, (s) => core.position(s) !== 0, options ?? {});
    if (!decision.halt) return;
    const reason = `data quality: ${decision.reasons.map((r) => r.message).join('; ')}`;
    this.#audit.push({ time, kind: 'data-quality-halt', detail: { reasons: decision.reasons.map((r) => ({ symbol: r.symbol, reason: r.reason, message: r.message })) } });
    this.gateway.trigger('halted', reason, time, 'data-quality');
  }

  /** Books an order found working at the broker (reconciliation adopts it). */
  adoptOrder(order: AdoptedOrder): void {
    this.core.adoptOrder(order);
  }

  /**
   * Journals fills that happened while no process was watching (found through REST at a
   * restart). They are not booked: reconciliation already took the broker's positions and cash.
   */
  recordRecoveredFills(fills: readonly LiveFillRecord[]): void {
    for (const fill of fills) {
      this.#fills.push({ ...fill, recovered: true });
      this.#audit.push({ time: fill.time, kind: 'recovered-fill', detail: { ...fill } });
    }
  }

  /** Appends a fact to the audit journal (reconciliation divergences, refusals, …). */
  audit(time: number, kind: string, detail: { readonly [key: string]: JsonValue }): void {
    this.#audit.push({ time, kind, detail });
  }

  /** Latency from bar arrival to the orders it caused, over the steps that sent orders. */
  latencyStats(): LatencyStats {
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const at = (q: number): number => (sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number));
    return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.length === 0 ? NaN : (sorted[sorted.length - 1] as number) };
  }

  /** The state to save now (version 2). */
  checkpoint(): LiveCheckpointV2 {
    const keep = this.#options.checkpointBars ?? Math.max(500, 2 * (this.#options.strategy.warmupBars ?? 0));
    return {
      format: CHECKPOINT_FORMAT,
      version: 2,
      sessionId: this.sessionId,
      strategy: { name: this.#options.strategy.name, params: this.#options.params, state: this.#strategy.exportState() },
      symbols: [...this.#options.symbols],
      lastBarTime: this.buffer.lastTime,
      ledger: this.core.ledger.snapshot(),
      bars: this.buffer.recent(keep),
      workingOrders: this.core.workingOrders().map((o) => ({
        clientOrderId: o.clientOrderId as string,
        symbol: o.symbol as string,
        side: o.side,
        qty: o.qty,
        filledQty: o.filledQty,
        referencePrice: o.referencePrice,
        decidedAt: o.decidedAt as number,
        type: o.type ?? 'market',
        timeInForce: o.timeInForce ?? 'gtc',
        limitPrice: o.limitPrice ?? null,
        stopPrice: o.stopPrice ?? null,
      })),
      gateway: this.gateway.toJSON(),
      liveSteps: this.#liveSteps,
    };
  }

  /** The journal rows recorded since the last call (for one atomic save with the checkpoint). */
  drainJournal(): { orders: LiveOrderRecord[]; fills: LiveFillRecord[]; audit: LiveAuditRecord[] } {
    const out = { orders: [...this.#journalOrders.values()], fills: this.#fills.splice(0), audit: this.#audit.splice(0) };
    this.#journalOrders.clear();
    return out;
  }

  #journalingSink(): BrokerEventSink {
    return {
      onFill: (fill: Fill) => {
        // The order's cumulative quantity after this fill, from its aggregate (which counts what
        // filled before a restart for an adopted order): the same fill reported again (after a
        // restart's recovery) gets the same key, and is stored once.
        const order = this.core.order(fill.clientOrderId);
        this.core.onFill(fill);
        this.#fillsSinceStep++;
        if (order === undefined) {
          // Money moved for an order the core does not follow (it ended, or was never known): the
          // books take it, and the audit says so.
          this.#audit.push({ time: fill.time, kind: 'fill-for-unknown-order', detail: { clientOrderId: fill.clientOrderId, symbol: fill.symbol, qty: fill.qty, price: fill.price } });
        }
        this.#fills.push({
          fillKey: order !== undefined ? `${fill.clientOrderId}@${order.filledQty}` : `${fill.clientOrderId}@unknown-${fill.time}-${fill.qty}`,
          clientOrderId: fill.clientOrderId,
          symbol: fill.symbol,
          side: fill.side,
          qty: fill.qty,
          price: fill.price,
          commission: fill.commission,
          time: fill.time,
          recovered: false,
        });
        if (order !== undefined) this.#journal(order, fill.time);
      },
      onOrderUpdate: (update: OrderUpdate) => {
        // Read before the update: the core forgets an order once it ends.
        const known = this.core.order(update.clientOrderId);
        this.core.onOrderUpdate(update);
        if (update.status === 'rejected') this.#countReject('broker');
        if (update.status === 'filled') this.#endedSinceStep = { ...this.#endedSinceStep, filled: this.#endedSinceStep.filled + 1 };
        if (update.status === 'canceled' || update.status === 'expired') this.#endedSinceStep = { ...this.#endedSinceStep, unfilled: this.#endedSinceStep.unfilled + 1 };
        const order = known ?? this.core.order(update.clientOrderId);
        if (order === undefined) throw new Error(`order ${update.clientOrderId} was reported but the core holds no aggregate for it`);
        this.#journal(order, update.time);
      },
    };
  }

  /**
   * The order's journal row: its aggregate's state now, with the terms a shadow simulation needs
   * to place it again (decision price, limit, stop, time in force).
   */
  #journal(order: Order, time: number): void {
    const decisionPrice = order.request.decisionPrice ?? this.#restoredDecisionPrices.get(order.clientOrderId);
    this.#journalOrders.set(order.clientOrderId, {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      // A bracket leg the simulator shrank to nothing as its sibling filled, then canceled: the row
      // keeps the quantity it was placed with (as a venue reports a canceled leg), never 0 shares.
      qty: order.qty > 0 ? order.qty : order.request.qty,
      filledQty: order.filledQty,
      status: order.status,
      decidedAt: order.request.decidedAt,
      updatedAt: time,
      reason: order.reason ?? null,
      decisionPrice: positiveOrNull(decisionPrice),
      limitPrice: positiveOrNull(order.limitPrice),
      stopPrice: positiveOrNull(order.stopPrice),
      timeInForce: order.timeInForce,
    });
  }

  #journalingBroker(inner: LiveBroker): Broker {
    return {
      submit: (request: OrderRequest) => {
        this.#submitted++;
        const order = this.core.order(request.clientOrderId);
        if (order !== undefined) this.#journal(order, request.decidedAt);
        inner.submit(request);
      },
      cancel: (id: ClientOrderId) => inner.cancel(id),
      replace: (id: ClientOrderId, changes: OrderChanges) => {
        this.#submitted++;
        inner.replace(id, changes);
      },
    };
  }
}

/** A price above 0 as it is; anything else (unknown, 0, NaN) as null. */
function positiveOrNull(price: number | undefined): number | null {
  return price !== undefined && Number.isFinite(price) && price > 0 ? price : null;
}

function checkMatches(restore: LiveCheckpoint, options: LiveSessionOptions): void {
  if (restore.sessionId !== options.sessionId) {
    throw new CheckpointError('sessionId', `belongs to session '${restore.sessionId}', not '${options.sessionId}'`);
  }
  if (restore.strategy.name !== options.strategy.name) {
    throw new CheckpointError('strategy.name', `was written by '${restore.strategy.name}', not '${options.strategy.name}'`);
  }
  if (restore.symbols.join(',') !== options.symbols.join(',')) {
    throw new CheckpointError('symbols', `holds ${restore.symbols.join(',')}, the session trades ${options.symbols.join(',')}`);
  }
  // Compared canonically: a stored checkpoint keeps its values, not the order of its keys.
  if (canonicalJson(restore.strategy.params) !== canonicalJson(options.params)) {
    throw new CheckpointError('strategy.params', `were ${JSON.stringify(restore.strategy.params)}, now ${JSON.stringify(options.params)}; start a new session for new parameters`);
  }
}
