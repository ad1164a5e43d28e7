import type { ExecutionProfile, OrderExecutionRecord } from '@quantbot/execution-sim';
import { computeExecutionQuality } from '@quantbot/execution-sim';
import type { OrderStatus } from '@quantbot/core';
import { QuantbotError } from '@quantbot/core';
import type { PromotionStage, TradingDayIncident, TradingDayInput, TradingDayKillSwitchEvent } from '@quantbot/research-registry';
import type { LiveSession, LiveStepReport } from './live-session';
import type { LiveStateStore } from './live-state';
import { isSessionCloseBar, newYorkDay, readTradingDayJournal, tradingDayJournalDigest } from './trading-day-journal';
import type { TradingDayJournal } from './trading-day-journal';
import { shadowBarsFromUniverse, simulateShadowDay } from './shadow-ledger';
import type { ShadowBar } from './shadow-ledger';
import { KILL_SWITCH_AUDIT_KINDS } from './incident-report';

/** The audit entry that keeps a day's opening figures with the session's state (saved with the day's first step). */
export const TRADING_DAY_START_AUDIT_KIND = 'trading-day-start';

/** What became of a day the recorder closed. */
export type TradingDayOutcome =
  | { readonly kind: 'recorded'; readonly day: TradingDayInput }
  /** The record could not be built or written; the error says why (the next close or the stop tries again). */
  | { readonly kind: 'failed'; readonly date: string; readonly error: unknown };

export interface TradingDayRecorderOptions {
  readonly sessionId: string;
  readonly store: LiveStateStore;
  /** Paper or live (the promotion the session trades under). */
  readonly stage: PromotionStage;
  /** Live: the capital-ramp stage the session trades at; paper: null. */
  readonly capitalStage: number | null;
  /** The execution profile the shadow simulator fills the same decisions under. */
  readonly profile: ExecutionProfile;
  /** Writes a day into the research registry (`ResearchRegistry.recordTradingDay`). */
  readonly record: (day: TradingDayInput) => Promise<void>;
  /** The incidents opened during New York day `date`; default none. */
  readonly incidents?: (date: string) => Promise<readonly TradingDayIncident[]>;
  /**
   * Judges a recorded day (a live day against its capital stage's breach rules): a reason halts
   * the session's kill switch (saved with its next step; an operator re-arms it).
   */
  readonly judge?: (day: TradingDayInput) => Promise<string | undefined>;
  /** Each day recorded, or why it could not be. */
  readonly onOutcome?: (outcome: TradingDayOutcome) => void;
  /** Wall clock (epoch ms): a day counts only when its bars were traded as they came. */
  readonly now: () => number;
}

/** A step whose bar began longer ago than this (by the wall clock, when it was decided) was not traded live. */
export const LIVE_BAR_TOLERANCE_MS = 15 * 60_000;

/** Why a day was not recorded: its last step traded a bar from the past (a replay), not one as it came. */
export class TradingDayNotLiveError extends QuantbotError {
  declare readonly code: 'TRADING_DAY_NOT_LIVE';

  constructor(date: string, barTime: number, decidedAt: number) {
    super(
      'TRADING_DAY_NOT_LIVE',
      `${date} was not traded live: its last bar (${new Date(barTime).toISOString()}) was decided at ${new Date(decidedAt).toISOString()}, ` +
        `more than ${LIVE_BAR_TOLERANCE_MS / 60_000} min later; replayed bars are not paper evidence`,
    );
  }
}

interface OpenDay {
  readonly date: string;
  readonly startEquity: number;
  /** The session's equity peak before the day began. */
  readonly peakBefore: number;
  peak: number;
  maxGross: number;
  latencySum: number;
  latencyCount: number;
  /** The last step's equity. */
  equity: number;
  /** The regular session's last minute was traded: the day is complete. */
  closed: boolean;
  /** The day's first step's bar time; the last step's bar time and the wall clock when it was decided. */
  readonly firstBarTime: number;
  lastBarTime: number;
  lastDecidedAt: number;
}

/**
 * Records each New York day a session trades into the research registry, as the promotion gates
 * count it: the day's P&L, drawdown, exposure, orders, fills, rejects, execution quality, the kill
 * switch's moves, the incidents opened, every order beside the simulator's shadow fill and the
 * drift between them, tied to the session and to the digest of the day's journal.
 *
 * - A day opens at its first step: its opening equity (the books before the step) and the
 *   session's equity peak are audited with that step (`trading-day-start`), so a restart the same
 *   day keeps them.
 * - A day is complete when the session traded its last regular minute (the 15:59 New York bar) or
 *   a later day's bar arrived while the same process was running (a half day's early close);
 *   it is recorded then, from the state store's journal (already saved with the step).
 * - At a stop, a day not yet recorded is recorded as partial (`complete: false`); a restart the
 *   same day records it again, complete, in its place.
 *
 * Recording runs beside trading, never in a step's way; a failure is reported through
 * `onOutcome` and tried again at the next close or at the stop. `finish` waits for it all.
 */
export class TradingDayRecorder {
  readonly #options: TradingDayRecorderOptions;
  /** Opening figures of days begun before this process, from the audit (`trading-day-start`). */
  readonly #starts = new Map<string, { startEquity: number; peakBefore: number }>();
  #day: OpenDay | undefined;
  #peak = Number.NEGATIVE_INFINITY;
  /** Days whose recording failed, to try again at the next close or the stop. */
  readonly #pending = new Map<string, { readonly complete: boolean; readonly day: OpenDay; readonly bars: DayBars }>();
  #work: Promise<void> = Promise.resolve();

  constructor(options: TradingDayRecorderOptions) {
    this.#options = options;
  }

  /** Reads the opening figures audited by earlier processes of the session (call once, before trading). */
  async resume(): Promise<void> {
    for (const entry of await this.#options.store.audit(this.#options.sessionId)) {
      if (entry.kind !== TRADING_DAY_START_AUDIT_KIND) continue;
      const date = entry.detail['date'];
      const startEquity = entry.detail['startEquity'];
      const peakBefore = entry.detail['peakBefore'];
      if (typeof date !== 'string' || typeof startEquity !== 'number' || typeof peakBefore !== 'number') continue;
      this.#starts.set(date, { startEquity, peakBefore });
      this.#peak = Math.max(this.#peak, peakBefore, startEquity);
    }
  }

  /** Before a bar's step: a bar of a new day closes the day before (complete) and opens the new one. */
  beforeStep(session: LiveSession, time: number): void {
    const { date } = newYorkDay(time);
    const previous = this.#day;
    if (previous !== undefined && previous.date === date) return;
    if (previous !== undefined && !previous.closed) {
      previous.closed = true;
      this.#close(previous, true, session);
    }
    const known = this.#starts.get(date);
    const equity = session.core.ledger.equity();
    const startEquity = known?.startEquity ?? equity;
    const peakBefore = known?.peakBefore ?? (Number.isFinite(this.#peak) ? this.#peak : startEquity);
    this.#day = {
      date,
      startEquity,
      peakBefore,
      peak: Math.max(peakBefore, startEquity),
      maxGross: 0,
      latencySum: 0,
      latencyCount: 0,
      equity,
      closed: false,
      firstBarTime: time,
      lastBarTime: time,
      lastDecidedAt: this.#options.now(),
    };
    if (known === undefined) {
      this.#starts.set(date, { startEquity, peakBefore });
      session.audit(time, TRADING_DAY_START_AUDIT_KIND, { date, startEquity, peakBefore });
    }
  }

  /** After a step was decided (before it is saved): the day's exposure, equity and latency. */
  decided(session: LiveSession, report: LiveStepReport): void {
    const day = this.#day;
    if (day === undefined) return;
    day.equity = report.equity;
    day.lastBarTime = report.time;
    day.lastDecidedAt = this.#options.now();
    day.peak = Math.max(day.peak, report.equity);
    this.#peak = Math.max(this.#peak, day.peak);
    day.maxGross = Math.max(day.maxGross, session.core.ledger.grossExposure());
    if (report.ordersSubmitted > 0 && Number.isFinite(report.latencyMs)) {
      day.latencySum += report.latencyMs;
      day.latencyCount++;
    }
  }

  /** After the step was saved: the session's last regular minute completes the day. */
  stepped(session: LiveSession, report: LiveStepReport): void {
    const day = this.#day;
    if (day === undefined || day.closed || !isSessionCloseBar(report.time)) return;
    day.closed = true;
    this.#close(day, true, session);
  }

  /**
   * At a stop (after the final save): records the open day as partial unless it was completed,
   * and waits for every recording. True when a judgement halted the session (the caller saves
   * again, so that a halt that came after the final save outlives the process).
   */
  async finish(session: LiveSession): Promise<boolean> {
    const day = this.#day;
    if (day !== undefined && !day.closed) this.#close(day, false, session);
    else this.#retryPending(undefined, session);
    await this.#work;
    return this.#halted;
  }

  /** A judgement halted the session. */
  #halted = false;

  /** Records `day` (after whatever is queued), then tries again the days whose recording failed. */
  #close(day: OpenDay, complete: boolean, session: LiveSession): void {
    const bars = dayBars(session, day);
    this.#enqueue({ ...day }, complete, bars, session);
    this.#retryPending(day.date, session);
  }

  #retryPending(except: string | undefined, session: LiveSession): void {
    for (const [date, pending] of [...this.#pending]) {
      if (date === except) continue;
      this.#pending.delete(date);
      this.#enqueue(pending.day, pending.complete, pending.bars, session);
    }
  }

  #enqueue(day: OpenDay, complete: boolean, bars: DayBars, session: LiveSession): void {
    this.#work = this.#work.then(async () => {
      try {
        const record = await this.#build(day, complete, bars);
        await this.#options.record(record);
        this.#options.onOutcome?.({ kind: 'recorded', day: record });
        const halt = await this.#options.judge?.(record);
        if (halt !== undefined && session.gateway.trigger('halted', halt, Math.max(this.#options.now(), session.lastBarTime), 'external')) this.#halted = true;
      } catch (error) {
        // A day that was not traded live never will be: it is not tried again.
        if (!(error instanceof TradingDayNotLiveError)) this.#pending.set(day.date, { complete, day, bars });
        this.#options.onOutcome?.({ kind: 'failed', date: day.date, error });
      }
    });
  }

  async #build(day: OpenDay, complete: boolean, bars: DayBars): Promise<TradingDayInput> {
    const { sessionId, store } = this.#options;
    if (day.lastDecidedAt - day.lastBarTime > LIVE_BAR_TOLERANCE_MS) throw new TradingDayNotLiveError(day.date, day.lastBarTime, day.lastDecidedAt);
    const journal = await readTradingDayJournal(store, sessionId, day.date);
    const shadow = simulateShadowDay({ orders: journal.orders, fills: journal.fills, bars, profile: this.#options.profile, startEquity: day.startEquity });
    const quality = computeExecutionQuality(executionRecords(journal, bars));
    const rejects = journal.audit.filter((entry) => entry.kind === 'order-rejected').length;
    const drawdownPct = day.peak > 0 ? Math.max(0, ((day.peak - day.equity) / day.peak) * 100) : 0;
    return Object.freeze({
      date: day.date,
      sessionId,
      journalDigest: tradingDayJournalDigest(journal),
      stage: this.#options.stage,
      capitalStage: this.#options.capitalStage,
      complete,
      startEquity: day.startEquity,
      equity: day.equity,
      dailyPnl: day.equity - day.startEquity,
      drawdownPct,
      maxGrossExposure: day.maxGross,
      execution: Object.freeze({
        orders: journal.orders.length,
        fills: journal.fills.length,
        rejects,
        qualityScore: quality.qualityScore,
        implementationShortfallBps: quality.implementationShortfallBps,
        averageSlippageBps: quality.averageSlippageBps,
        fillRate: quality.fillRate,
        averageLatencyMs: day.latencyCount > 0 ? day.latencySum / day.latencyCount : null,
      }),
      killSwitch: Object.freeze(killSwitchMoves(journal)),
      incidents: Object.freeze([...((await this.#options.incidents?.(day.date)) ?? [])]),
      drift: shadow.drift,
      shadowOrders: shadow.pairs,
    });
  }
}

/** Bars by symbol, as the shadow simulator takes them. */
type DayBars = Readonly<Record<string, readonly ShadowBar[]>>;

/** Bars before the day given to the shadow simulator as history (its impact model looks back). */
const SHADOW_LOOKBACK_MS = 120 * 60_000;

/** The session's bars of the day (and up to two hours before it, as history), as the buffer still holds them. */
function dayBars(session: LiveSession, day: OpenDay): DayBars {
  return shadowBarsFromUniverse(session.buffer.universe, { fromMs: day.firstBarTime - SHADOW_LOOKBACK_MS, toMs: day.lastBarTime + 1 });
}

const ORDER_STATUSES: ReadonlySet<string> = new Set<OrderStatus>(['new', 'accepted', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'replaced']);

/** The day's orders as execution quality judges them: fills from the journal, the mark at the end from the day's last close. */
function executionRecords(journal: TradingDayJournal, bars: DayBars): OrderExecutionRecord[] {
  const fills = new Map<string, { qty: number; price: number; commission: number; time: number }[]>();
  for (const fill of journal.fills) {
    const list = fills.get(fill.clientOrderId) ?? [];
    list.push({ qty: fill.qty, price: fill.price, commission: fill.commission, time: fill.time });
    fills.set(fill.clientOrderId, list);
  }
  return journal.orders.map((order) => ({
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    qty: order.qty,
    referencePrice: order.decisionPrice ?? Number.NaN,
    decidedAt: order.decidedAt,
    acceptedAt: null,
    fills: fills.get(order.clientOrderId) ?? [],
    status: (ORDER_STATUSES.has(order.status) ? order.status : 'new') as OrderStatus,
    markPriceAtEnd: bars[order.symbol]?.at(-1)?.close ?? null,
    isBracketLeg: false,
  }));
}

/** The kill switch's moves in the day's audit (`state-transition` entries), oldest first. */
function killSwitchMoves(journal: TradingDayJournal): TradingDayKillSwitchEvent[] {
  return journal.audit
    .filter((entry) => KILL_SWITCH_AUDIT_KINDS.includes(entry.kind) && typeof entry.detail['to'] === 'string')
    .map((entry) => ({
      time: new Date(entry.time).toISOString(),
      state: entry.detail['to'] as string,
      reason: typeof entry.detail['reason'] === 'string' ? entry.detail['reason'] : null,
    }));
}
