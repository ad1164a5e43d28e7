import type { BarIntervalName, BarUniverse, Broker, EpochMs, ReversalRule, Ticker } from '@quantbot/core';
import { ConfigError, epochMs } from '@quantbot/core';
import type { AuditSink } from '@quantbot/core';
import type { DataQualityOutcome } from '@quantbot/data-quality';
import type { GatewayStatistics, KillSwitchConfig, RiskLimits } from '@quantbot/risk-guardrails';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { OrderGateway, validateSizingRule } from '@quantbot/risk-guardrails';
import type { ExecutionProfile, ExecutionQuality } from '@quantbot/execution-sim';
import { EXECUTION_PROFILES, NextOpenFillBroker, SimulatedBroker } from '@quantbot/execution-sim';
import type { Strategy } from '@quantbot/strategies';
import type { PerformanceMetrics } from './performance-metrics';
import { computeMetrics } from './performance-metrics';
import type { ClosedTrade } from './trade-tracker';
import type { CanceledOrder, RejectedOrder } from './trading-core';
import type { RunRecorder } from './run-recorder';
import { TradingCore } from './trading-core';

/** Everything a backtest needs. */
export interface BacktestConfig {
  readonly universe: BarUniverse;
  readonly strategy: Strategy;
  /** Starting cash, in currency. */
  readonly startingCash: number;
  readonly sizing: SizingRule;
  /** How orders fill: the execution simulator's profile. Default: `idealistic`. */
  readonly execution?: ExecutionProfile;
  /** Seed of the simulator's random draws (liquidity rejects). Default 0. */
  readonly seed?: number;
  /**
   * `simulator` (default): the execution simulator under `execution`. `next-open`: the simple
   * reference model (market orders only, full fills at the next open, commission = the
   * profile's `feeBps`), which the idealistic profile reproduces exactly.
   */
  readonly fillModel?: 'simulator' | 'next-open';
  /** What was checked (and repaired) in the data before it became `universe`; carried into the result. */
  readonly dataQuality?: DataQualityOutcome;
  /**
   * The guardrails every order passes (the same gateway guards paper and live): pre-trade
   * limits, the kill switch, and where its decisions are audited. Default: no limits, no kill
   * switch levels — the gateway still sees, counts and audits every order.
   */
  readonly risk?: { readonly limits?: RiskLimits; readonly killSwitch?: KillSwitchConfig; readonly audit?: AuditSink };
  /** Keeps the journal of every decision and order event (for run artifacts and replay). */
  readonly recorder?: RunRecorder;
  /**
   * How a position changes sides (`TradingCoreOptions.reversals`). Default `one-order`;
   * `close-then-open` follows Alpaca's rule (the opening part waits for the close to fill), so
   * the backtest of a strategy that reverses matches what it will do on Alpaca.
   */
  readonly reversals?: ReversalRule;
  /** Told every {@link PROGRESS_EVERY_STEPS} steps and at the end: steps done, steps in all. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * The array the equity curve is written into (`BacktestResult.equity`), one value per step of
   * the universe: such as one over a `SharedArrayBuffer` that another thread reads while the bar
   * loop runs. Each step's value is written once, at its close, and never changed after, so when
   * `onProgress` reports `done` steps, values `0` to `done - 1` are final. Default: a new array.
   */
  readonly equityBuffer?: Float64Array;
  /**
   * The bar interval of the universe, which sets how the metrics annualise
   * (`MetricsInput.barInterval`). Default: detected from the universe's times.
   */
  readonly barInterval?: BarIntervalName;
}

/** How often, in steps, a backtest reports progress. */
export const PROGRESS_EVERY_STEPS = 16_384;

/** A position still open when the data ended, marked at the last close. */
export interface OpenPositionReport {
  readonly symbol: Ticker;
  readonly side: 'long' | 'short';
  readonly qty: number;
  readonly entryTime: EpochMs;
  readonly entryPrice: number;
  readonly markTime: EpochMs;
  readonly markPrice: number;
  readonly unrealizedPnl: number;
  /** Commission paid so far on the entry fills. */
  readonly commission: number;
}

/** The outcome of a backtest. */
export interface BacktestResult {
  readonly metrics: PerformanceMetrics;
  /** The closed round trips, in the order they closed; built when first read (the metrics do not need them). */
  readonly trades: readonly ClosedTrade[];
  readonly openPositions: readonly OpenPositionReport[];
  readonly rejectedOrders: readonly RejectedOrder[];
  readonly canceledOrders: readonly CanceledOrder[];
  /** The execution profile the run used. */
  readonly execution: ExecutionProfile;
  readonly fillModel: 'simulator' | 'next-open';
  readonly executionQuality: ExecutionQuality;
  /** The data-quality outcome given in the config, or one that says the data was not checked. */
  readonly dataQuality: DataQualityOutcome;
  /** The gateway's statistics: decisions by reason, trading states and their times, drawdowns. */
  readonly guardrails: GatewayStatistics;
  /** Time of each step, epoch ms. */
  readonly time: Float64Array;
  /** Equity at each step's close. */
  readonly equity: Float64Array;
}

/**
 * Runs a backtest: walks the universe's time axis once, filling the previous decisions at each
 * bar's open, then marking the books and asking the strategy at its close. Synchronous and
 * free of allocation per bar; the same inputs give the same result, bit for bit.
 */
export function runBacktest(config: BacktestConfig): BacktestResult {
  if (!Number.isFinite(config.startingCash) || config.startingCash <= 0) {
    throw new ConfigError('startingCash', `must be a positive amount, got ${config.startingCash}`);
  }
  const execution = config.execution ?? EXECUTION_PROFILES.idealistic;
  if (!Number.isFinite(execution.feeBps) || execution.feeBps < 0) {
    throw new ConfigError('execution.feeBps', `must be a non-negative number, got ${execution.feeBps}`);
  }
  const fillModel = config.fillModel ?? 'simulator';
  const universe = config.universe;
  if (universe.length === 0) throw new ConfigError('data', 'the universe has no bars');
  const sizing = validateSizingRule(config.sizing);

  const gateway = new OrderGateway({ limits: config.risk?.limits ?? {}, killSwitch: config.risk?.killSwitch ?? {}, ...(config.risk?.audit !== undefined ? { audit: config.risk.audit } : {}) });
  const core = new TradingCore({
    universe,
    strategy: config.strategy,
    startingCash: config.startingCash,
    sizing,
    gateway,
    ...(config.recorder !== undefined ? { recorder: config.recorder } : {}),
    ...(config.reversals !== undefined ? { reversals: config.reversals } : {}),
  });
  const broker: BarBroker =
    fillModel === 'next-open'
      ? new NextOpenFillBroker(universe, execution.feeBps)
      : new SimulatedBroker({ universe, profile: execution, seed: config.seed ?? 0 });
  broker.connect(core.ledger, core);
  core.attachBroker(broker);

  const equity = config.equityBuffer ?? new Float64Array(universe.length);
  if (equity.length !== universe.length) {
    throw new ConfigError('equityBuffer', `must hold one value per step (${universe.length}), got ${equity.length}`);
  }
  const ledger = core.ledger;
  const barsInMarket = walkBars(universe.time, core, broker, equity, gateway, dataErrorHalts(universe, config.dataQuality, core, gateway), config.onProgress);
  broker.cancelAll('end of data: the order had no later bar to fill on');

  const tracker = core.trades;
  const markTimes = lastBarTimes(universe);
  const openPositions = core.trades.openTrades().map((t): OpenPositionReport => {
    const s = ledger.indexOf(t.symbol);
    const markPrice = ledger.markPrice(s);
    return Object.freeze({
      ...t,
      markTime: epochMs(markTimes[s] as number),
      markPrice,
      unrealizedPnl: (markPrice - t.entryPrice) * t.qty * (t.side === 'long' ? 1 : -1),
    });
  });

  const metrics = computeMetrics({
    startingEquity: config.startingCash,
    time: universe.time,
    equity,
    barsInMarket,
    tradedNotional: core.tradedNotional,
    totalCommission: ledger.fees,
    // Read off the trade columns: the trade objects are built only if `trades` is read.
    trades: tracker.outcomes(),
    ...(config.barInterval !== undefined ? { barInterval: config.barInterval } : {}),
  });

  return resultWithTrades(tracker.closedLater(), {
    metrics,
    openPositions: Object.freeze(openPositions),
    rejectedOrders: Object.freeze([...core.rejected]),
    canceledOrders: Object.freeze([...core.canceled]),
    execution,
    fillModel,
    executionQuality: core.executionQuality(),
    dataQuality: config.dataQuality ?? NOT_CHECKED,
    guardrails: gateway.getStatistics(),
    time: universe.time,
    equity,
  });
}

/**
 * The frozen result, its `trades` built at the first read (a frozen array of frozen trades, the
 * same one at every read): a caller that reads only the metrics builds no trade object. Made here,
 * in a scope of its own, so that the getter keeps only `trades` alive (in `runBacktest` it would
 * share a scope with closures that keep the ledger). The keys in the order they always had.
 */
function resultWithTrades(trades: () => readonly ClosedTrade[], rest: Omit<BacktestResult, 'trades'>): BacktestResult {
  return Object.freeze({
    metrics: rest.metrics,
    get trades(): readonly ClosedTrade[] {
      return trades();
    },
    openPositions: rest.openPositions,
    rejectedOrders: rest.rejectedOrders,
    canceledOrders: rest.canceledOrders,
    execution: rest.execution,
    fillModel: rest.fillModel,
    executionQuality: rest.executionQuality,
    dataQuality: rest.dataQuality,
    guardrails: rest.guardrails,
    time: rest.time,
    equity: rest.equity,
  });
}

const NOT_CHECKED: DataQualityOutcome = Object.freeze({ mode: 'off', calendar: null, report: null, repairs: Object.freeze([]) });

/** A broker the backtest driver can step bar by bar. */
interface BarBroker extends Broker {
  connect(account: TradingCore['ledger'], sink: TradingCore): void;
  processBar(step: number): void;
  cancelAll(reason: string): void;
}

/**
 * The hot loop, kept in a small function of its own so the JIT optimizes it as a unit: for each
 * step, fill at the open what was decided at the previous close, then mark and decide at this
 * close, and record equity. Returns the number of steps that ended with a position open.
 */
function walkBars(
  time: Float64Array,
  core: TradingCore,
  broker: BarBroker,
  equity: Float64Array,
  gateway: OrderGateway | undefined,
  haltOnDataErrors: ((step: number) => void) | undefined,
  onProgress: ((done: number, total: number) => void) | undefined,
): number {
  const ledger = core.ledger;
  let barsInMarket = 0;
  let lastObserved = Number.NaN;
  for (let k = 0; k < time.length; k++) {
    core.beginStep(k);
    broker.processBar(k);
    core.markCloses();
    const e = ledger.equity();
    equity[k] = e;
    if (gateway !== undefined) {
      // A flat, active book whose equity has not moved cannot trip the kill switch: skip the
      // observation (the next one accounts for the time in between).
      let state = gateway.state;
      if (e !== lastObserved || ledger.openPositionCount > 0 || state !== 'active') {
        state = gateway.observeAt(time, equity, k);
        lastObserved = e;
      }
      if (haltOnDataErrors !== undefined) {
        haltOnDataErrors(k);
        state = gateway.state;
      }
      if (state === 'flatten') core.flattenIfRequired();
    }
    core.decide();
    if (ledger.openPositionCount > 0) barsInMarket++;
    if (onProgress !== undefined && (k & (PROGRESS_EVERY_STEPS - 1)) === PROGRESS_EVERY_STEPS - 1) onProgress(k + 1, time.length);
  }
  onProgress?.(time.length, time.length);
  return barsInMarket;
}

/**
 * The data-quality halt in a backtest: at a step where the report has an error finding on a
 * symbol the portfolio holds, the kill switch halts trading (as the live trader's halt decision
 * would). Returns undefined when there is nothing to watch.
 */
function dataErrorHalts(
  universe: BarUniverse,
  dataQuality: DataQualityOutcome | undefined,
  core: TradingCore,
  gateway: OrderGateway,
): ((step: number) => void) | undefined {
  const errors = new Map<number, { symbolIndex: number; message: string }[]>();
  for (const f of dataQuality?.report?.findings ?? []) {
    if (f.severity !== 'error' || f.time === null) continue;
    const step = stepAt(universe.time, f.time);
    const symbolIndex = universe.symbols.indexOf(f.symbol as Ticker);
    if (step < 0 || symbolIndex < 0) continue;
    const list = errors.get(step) ?? [];
    list.push({ symbolIndex, message: `${f.symbol} ${f.check}: ${f.message}` });
    errors.set(step, list);
  }
  if (errors.size === 0) return undefined;
  return (step) => {
    for (const e of errors.get(step) ?? []) {
      if (core.position(e.symbolIndex) !== 0) gateway.trigger('halted', `data-quality: ${e.message}`, universe.time[step] as number, 'data-quality');
    }
  };
}

/** The step whose time is exactly `time` (binary search), or -1. */
function stepAt(times: Float64Array, time: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = times[mid] as number;
    if (t === time) return mid;
    if (t < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function lastBarTimes(universe: BarUniverse): Float64Array {
  const out = new Float64Array(universe.symbols.length).fill(NaN);
  for (let s = 0; s < universe.symbols.length; s++) {
    for (let k = universe.length - 1; k >= 0; k--) {
      if (universe.hasBar[s * universe.length + k] === 1) {
        out[s] = universe.time[k] as number;
        break;
      }
    }
  }
  return out;
}
