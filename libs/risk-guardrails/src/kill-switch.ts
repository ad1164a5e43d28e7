import { ConfigError, QuantbotError, finiteOrNull, formatIsoTime } from '@quantbot/core';
import type { AuditSink, EpochMs, JsonValue } from '@quantbot/core';
import type { TradingState } from './risk-types';

/**
 * When the kill switch steps in. Levels are percentages (`5` is 5 %); an undefined level is
 * disabled. Drawdown is intraday: from the highest equity seen this UTC day. Daily loss is from
 * the previous UTC day's last equity.
 *
 * @example
 * const config: KillSwitchConfig = { reduceAtDrawdownPct: 3, haltAtDrawdownPct: 5, flattenAtDrawdownPct: 8, cooldownMs: 3_600_000 };
 */
export interface KillSwitchConfig {
  /** Intraday drawdown at which only reducing orders pass. */
  readonly reduceAtDrawdownPct?: number;
  /** Intraday drawdown at which trading halts. */
  readonly haltAtDrawdownPct?: number;
  /** Intraday drawdown at which every position must be closed (then halted). */
  readonly flattenAtDrawdownPct?: number;
  /** Loss from the previous day's last equity at which trading halts. */
  readonly dailyLossLimitPct?: number;
  /** Least time from the last escalation to a re-arm, in ms. Default 0. */
  readonly cooldownMs?: number;
  /**
   * `manual` (default): only `rearm` returns to `active`. `auto`: `observe` also re-arms once
   * the cooldown has passed, the drawdown is back below the reduce level (the lowest level set)
   * and the daily loss below its limit. Auto re-arm never leaves `flatten` (positions must be
   * closed first) and never undoes an `external` trigger (an operator's halt stays until an
   * operator re-arms).
   */
  readonly rearm?: 'auto' | 'manual';
}

/** Who or what escalated the kill switch. `drawdown` and `daily-loss` come from `observe`. */
export type KillSwitchSource = 'external' | 'data-quality' | 'broker' | 'drawdown' | 'daily-loss';

/** The states the kill switch can be sent to by a trigger. */
export type KillSwitchLevel = Exclude<TradingState, 'active'>;

/** What can happen to the kill switch. */
export type KillSwitchEvent = 'reduce' | 'halt' | 'flatten' | 'flattened' | 'rearm';

/**
 * The kill switch as a transition table: `KILL_SWITCH_TRANSITIONS[from][event]` is the next
 * state; a missing entry is an invalid transition. Escalation only goes up
 * (active < reducing < halted < flatten); only a re-arm returns to `active`; `flatten` becomes
 * `halted` once the session reports that everything is closed.
 */
export const KILL_SWITCH_TRANSITIONS: Readonly<Record<TradingState, Readonly<Partial<Record<KillSwitchEvent, TradingState>>>>> =
  Object.freeze({
    active: Object.freeze({ reduce: 'reducing', halt: 'halted', flatten: 'flatten' }),
    reducing: Object.freeze({ halt: 'halted', flatten: 'flatten', rearm: 'active' }),
    halted: Object.freeze({ flatten: 'flatten', rearm: 'active' }),
    flatten: Object.freeze({ flattened: 'halted', rearm: 'active' }),
  } as const);

/** One change of trading state. `time` in epoch ms. */
export interface KillSwitchTransition {
  readonly time: number;
  readonly from: TradingState;
  readonly to: TradingState;
  readonly reason: string;
}

/**
 * Everything the kill switch needs to continue after a restart, as plain JSON data.
 * `day` is the UTC date (`2024-03-05`) of the last observation; absent values are `null`.
 */
export interface KillSwitchSnapshot {
  readonly version: 1;
  readonly state: TradingState;
  /** The most severe state since the last re-arm: `observe` escalates only beyond it. */
  readonly peakState: TradingState;
  readonly triggeredAt: number | null;
  readonly reason: string | null;
  /** True when an `external` trigger happened since the last re-arm (no auto re-arm). */
  readonly isExternallyTriggered: boolean;
  readonly day: string | null;
  readonly dayHighWaterMark: number | null;
  readonly previousDayEquity: number | null;
  readonly lastEquity: number | null;
  readonly lastTime: number | null;
  readonly currentDrawdownPct: number;
  readonly maxIntradayDrawdownPct: number;
  readonly rearmRefusals: number;
  readonly timeInStateMs: Readonly<Record<TradingState, number>>;
  readonly transitions: readonly KillSwitchTransition[];
}

/** A kill-switch transition the table does not allow, or a snapshot that cannot be restored. */
export class KillSwitchError extends QuantbotError {
  constructor(message: string) {
    super('KILL_SWITCH', message);
  }
}

/** The trading states, least severe first (the index is the severity). */
export const TRADING_STATES: readonly TradingState[] = Object.freeze(['active', 'reducing', 'halted', 'flatten']);

const DAY_MS = 86_400_000;
/**
 * How far above a level, as a fraction of the equity it is measured from, an observation must
 * be to skip the exact level arithmetic: far beyond any rounding of the percentages.
 */
const QUIET_MARGIN = 1e-9;
const LEVEL_EVENT: Readonly<Record<KillSwitchLevel, KillSwitchEvent>> = { reducing: 'reduce', halted: 'halt', flatten: 'flatten' };

/**
 * Kill-switch settings from `key=value` text (a command line's `--kill-switch` list): numbers for
 * the levels and `cooldownMs`, `auto|manual` for `rearm`; then {@link validateKillSwitchConfig}.
 * Throws `ConfigError` naming the key for text that is not a number or a setting that is invalid.
 *
 * @example
 * parseKillSwitchSettings({ haltAtDrawdownPct: '5', dailyLossLimitPct: '2', rearm: 'manual' });
 */
export function parseKillSwitchSettings(entries: Readonly<Record<string, string>>): KillSwitchConfig {
  const config: Record<string, string | number> = {};
  for (const [key, text] of Object.entries(entries)) {
    if (key === 'rearm') {
      config[key] = text.trim();
      continue;
    }
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new ConfigError(key, `'${text}' is not a number`);
    config[key] = value;
  }
  return validateKillSwitchConfig(config as KillSwitchConfig);
}

/**
 * Checks a kill-switch config and returns a frozen copy. Throws `ConfigError` naming the key for
 * a negative or NaN level, levels out of order (reduce ≤ halt ≤ flatten), or an unknown `rearm`.
 */
export function validateKillSwitchConfig(config: KillSwitchConfig): KillSwitchConfig {
  const known = ['reduceAtDrawdownPct', 'haltAtDrawdownPct', 'flattenAtDrawdownPct', 'dailyLossLimitPct', 'cooldownMs', 'rearm'];
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new ConfigError(key, `unknown kill-switch setting; known keys: ${known.join(', ')}`);
  }
  for (const key of ['reduceAtDrawdownPct', 'haltAtDrawdownPct', 'flattenAtDrawdownPct', 'dailyLossLimitPct', 'cooldownMs'] as const) {
    const value = config[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new ConfigError(key, `must be a number, got ${String(value)}`);
    if (value < 0) throw new ConfigError(key, `must not be negative, got ${value}`);
  }
  const ordered: [string, number | undefined][] = [
    ['reduceAtDrawdownPct', config.reduceAtDrawdownPct],
    ['haltAtDrawdownPct', config.haltAtDrawdownPct],
    ['flattenAtDrawdownPct', config.flattenAtDrawdownPct],
  ];
  let previous: [string, number] | undefined;
  for (const [key, value] of ordered) {
    if (value === undefined) continue;
    if (previous !== undefined && value < previous[1]) {
      throw new ConfigError(key, `${value} is below ${previous[0]} ${previous[1]}; levels must not decrease from reduce to halt to flatten`);
    }
    previous = [key, value];
  }
  if (config.rearm !== undefined && config.rearm !== 'auto' && config.rearm !== 'manual') {
    throw new ConfigError('rearm', `must be 'auto' or 'manual', got '${String(config.rearm)}'`);
  }
  return Object.freeze({ ...config });
}

/**
 * The graded kill switch: a state machine over {@link TradingState} driven by equity
 * observations (intraday drawdown, daily loss), external triggers and re-arms. It never reads a
 * clock: every method takes the time (epoch ms). Every transition, re-arm and refused re-arm is
 * appended to the audit sink when one is given (kinds `state-transition`, `re-arm`,
 * `re-arm-refused`). `observe` allocates nothing unless the state changes.
 *
 * @example
 * const ks = new KillSwitch({ haltAtDrawdownPct: 5 });
 * ks.observe(t0, 100_000);
 * ks.observe(t1, 94_000); // 'halted'
 * ks.rearm(t2, 'risk desk'); // true once the cooldown has passed
 */
export class KillSwitch {
  readonly #config: KillSwitchConfig;
  readonly #audit: AuditSink | undefined;
  #state: TradingState = 'active';
  #peak = 0;
  #triggeredAt: number | undefined;
  #reason: string | undefined;
  #isExternallyTriggered = false;
  /** UTC day number of the latest observation (NaN before the first): numbers only, so the hot path stays monomorphic. */
  #day = NaN;
  #hwm = NaN;
  #previousDayEquity = NaN;
  #lastEquity = NaN;
  #lastTime = NaN;
  /** Severity of `#state` (0 active … 3 flatten), kept beside it for the per-observation accounting. */
  #stateIndex = 0;
  // Thresholds resolved once (Infinity: disabled), so `observe` reads numbers, not optional fields.
  readonly #reduceAt: number;
  readonly #haltAt: number;
  readonly #flattenAt: number;
  readonly #dailyLossLimit: number;
  readonly #isAutoRearm: boolean;
  readonly #isMeasuring: boolean;
  /** Start and end (epoch ms) of the UTC day `#day`: a time inside needs no division. */
  #dayStart = NaN;
  #dayEnd = NaN;
  /** Lowest equity since the high-water mark was last set (Infinity: none yet). */
  #trough = Number.POSITIVE_INFINITY;
  /** The largest drawdown of the episodes before the current high-water mark, in percent. */
  #maxDrawdownPct = 0;
  /**
   * Observations above this equity, on the same day and at or below the high-water mark, cannot
   * escalate nor re-arm: `observe` then only records them. It sits `QUIET_MARGIN` of the
   * reference equity above the highest equity at which an escalation could happen, so the exact
   * comparisons still decide every close call.
   */
  #quietAbove = Number.POSITIVE_INFINITY;
  /**
   * The first observation of a new day escalates nothing when its equity is above the previous
   * day's last equity times this factor (Infinity: always look). See `#refreshLevels`.
   */
  #newDayQuietFactor = Number.POSITIVE_INFINITY;
  /** The lowest drawdown level above the peak state, in percent (Infinity: none). */
  #nextDrawdownLevel = Number.POSITIVE_INFINITY;
  /** The daily-loss limit while it can still escalate (below `halted`), in percent. */
  #nextLossLevel = Number.POSITIVE_INFINITY;
  /**
   * `1 − level / 100 + QUIET_MARGIN` of the next drawdown and loss levels, computed when the levels
   * change rather than at every observation that opens a day (every bar of daily data).
   */
  #drawdownQuietFactor = Number.NEGATIVE_INFINITY;
  #lossQuietFactor = Number.NEGATIVE_INFINITY;
  /** True while any observation may change the state whatever its equity. */
  #isNeverQuiet = true;
  #rearmRefusals = 0;
  readonly #timeInState = new Float64Array(4);
  readonly #transitions: KillSwitchTransition[] = [];

  constructor(config: KillSwitchConfig = {}, audit?: AuditSink) {
    this.#config = validateKillSwitchConfig(config);
    this.#audit = audit;
    this.#reduceAt = this.#config.reduceAtDrawdownPct ?? Number.POSITIVE_INFINITY;
    this.#haltAt = this.#config.haltAtDrawdownPct ?? Number.POSITIVE_INFINITY;
    this.#flattenAt = this.#config.flattenAtDrawdownPct ?? Number.POSITIVE_INFINITY;
    this.#dailyLossLimit = this.#config.dailyLossLimitPct ?? Number.POSITIVE_INFINITY;
    this.#isAutoRearm = this.#config.rearm === 'auto';
    this.#isMeasuring =
      this.#reduceAt !== Number.POSITIVE_INFINITY ||
      this.#haltAt !== Number.POSITIVE_INFINITY ||
      this.#flattenAt !== Number.POSITIVE_INFINITY ||
      this.#dailyLossLimit !== Number.POSITIVE_INFINITY;
    this.#refreshLevels();
  }

  /**
   * True when a drawdown or daily-loss level is set, so observations are measured. Without any,
   * the switch only follows external triggers, and its drawdown figures stay 0 (not measured).
   */
  get isMeasuring(): boolean {
    return this.#isMeasuring;
  }

  /** Rebuilds a kill switch from {@link KillSwitch.toJSON} output; it behaves as the original did. */
  static restore(config: KillSwitchConfig, snapshot: KillSwitchSnapshot, audit?: AuditSink): KillSwitch {
    if (snapshot.version !== 1) throw new KillSwitchError(`kill-switch snapshot version ${String(snapshot.version)} is not supported`);
    const ks = new KillSwitch(config, audit);
    ks.#state = requireState(snapshot.state, 'state');
    ks.#stateIndex = severity(ks.#state);
    ks.#peak = severity(requireState(snapshot.peakState, 'peakState'));
    ks.#triggeredAt = snapshot.triggeredAt ?? undefined;
    ks.#reason = snapshot.reason ?? undefined;
    ks.#isExternallyTriggered = snapshot.isExternallyTriggered;
    ks.#day = snapshot.day === null ? NaN : parseUtcDay(snapshot.day);
    ks.#hwm = snapshot.dayHighWaterMark ?? NaN;
    ks.#previousDayEquity = snapshot.previousDayEquity ?? NaN;
    ks.#lastEquity = snapshot.lastEquity ?? NaN;
    ks.#lastTime = snapshot.lastTime ?? NaN;
    ks.#dayStart = ks.#day * DAY_MS;
    ks.#dayEnd = ks.#dayStart + DAY_MS;
    ks.#maxDrawdownPct = snapshot.maxIntradayDrawdownPct;
    ks.#rearmRefusals = snapshot.rearmRefusals;
    TRADING_STATES.forEach((s, i) => (ks.#timeInState[i] = snapshot.timeInStateMs[s]));
    for (const t of snapshot.transitions) ks.#transitions.push(Object.freeze({ ...t }));
    ks.#refreshLevels();
    return ks;
  }

  /** The current trading state. */
  get state(): TradingState {
    return this.#state;
  }

  /** Time of the latest escalation (epoch ms), or undefined when never triggered. */
  get triggeredAt(): number | undefined {
    return this.#triggeredAt;
  }

  /** Why the latest escalation happened. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** Drawdown from today's high-water mark at the last observation, in percent. */
  get currentDrawdownPct(): number {
    return drawdownPct(this.#hwm, this.#lastEquity);
  }

  /** The largest intraday drawdown observed, in percent. */
  get maxIntradayDrawdownPct(): number {
    const current = drawdownPct(this.#hwm, this.#trough);
    return current > this.#maxDrawdownPct ? current : this.#maxDrawdownPct;
  }

  /** Every transition so far, oldest first. */
  get transitions(): readonly KillSwitchTransition[] {
    return this.#transitions;
  }

  /** Time spent in each state up to the latest time passed in, in ms. */
  timeInStateMs(): Record<TradingState, number> {
    return {
      active: this.#timeInState[0] as number,
      reducing: this.#timeInState[1] as number,
      halted: this.#timeInState[2] as number,
      flatten: this.#timeInState[3] as number,
    };
  }

  /**
   * Feeds one equity observation. A new UTC day remembers the previous day's last equity and
   * starts the day's high-water mark at the higher of it (the day's opening equity) and the
   * day's first observation. Escalates to the most severe level reached
   * (never de-escalates; after `flatten` → `halted` it does not re-flatten for the same episode).
   * With `rearm: 'auto'`, re-arms first when allowed. Returns the state after the observation.
   * Throws `KillSwitchError` for a non-finite equity.
   */
  observe(time: EpochMs | number, equity: number): TradingState {
    return this.#observe(time, equity);
  }

  /**
   * `observe(times[index], equities[index])`: the observation at step `index` of a curve being
   * recorded. A backtest observes every bar; handing over the arrays and the index, not the two
   * numbers, spares the per-call allocation of both numbers where the call is not inlined (the
   * observation itself is the same code).
   */
  observeAt(times: ArrayLike<number>, equities: ArrayLike<number>, index: number): TradingState {
    return this.#observe(times[index] as number, equities[index] as number);
  }

  #observe(time: number, equity: number): TradingState {
    // equity − equity is 0 for every finite number and NaN otherwise: the cheapest finite check.
    if (equity - equity !== 0) throw new KillSwitchError(`equity must be a finite number, got ${equity} at ${formatIsoTime(time)}`);
    // The common case: same day, no new high, nowhere near a level. Only recorded; the
    // drawdown figures are derived from the high-water mark, the trough and the last equity.
    if (time < this.#dayEnd && time >= this.#dayStart) {
      if (equity > this.#quietAbove && equity <= this.#hwm) {
        this.#advance(time);
        this.#lastEquity = equity;
        if (equity < this.#trough) this.#trough = equity;
        return this.#state;
      }
    } else if (time >= this.#dayEnd && equity > this.#lastEquity * this.#newDayQuietFactor) {
      // A later day whose first equity is too close to the previous day's last to reach a
      // level (with daily bars, nearly every bar): open the day without the level arithmetic.
      this.#advance(time);
      const previous = this.#lastEquity;
      this.#previousDayEquity = previous;
      this.#startDay(time);
      this.#setHighWaterMark(previous > equity ? previous : equity);
      this.#trough = equity;
      this.#lastEquity = equity;
      this.#refreshQuietAbove();
      return this.#state;
    }
    // With no drawdown or loss level set, observations cannot change the state; only the
    // clock and the last equity are kept (drawdowns are then not measured: see `isMeasuring`).
    if (!this.#isMeasuring) {
      this.#advance(time);
      this.#lastEquity = equity;
      return this.#state;
    }
    return this.#observeMeasured(time, equity);
  }

  #observeMeasured(time: number, equity: number): TradingState {
    this.#advance(time);
    const day = Math.floor(time / DAY_MS);
    if (day !== this.#day) {
      if (day > this.#day) this.#previousDayEquity = this.#lastEquity;
      this.#startDay(time);
      // The day opens at the previous day's last equity: with one observation a day (daily
      // bars), the day's drawdown is then its fall from the open, not always zero.
      const opening = this.#previousDayEquity;
      // NaN (no previous day) compares false: the day then opens at its first observation.
      this.#setHighWaterMark(opening > equity ? opening : equity);
    } else if (!(equity <= this.#hwm)) {
      this.#setHighWaterMark(equity);
    }
    this.#lastEquity = equity;
    if (equity < this.#trough) this.#trough = equity;
    if (this.#isAutoRearm && this.#stateIndex !== 0 && this.#isAutoRearmDue(time)) {
      this.#rearm(time, 'auto', 'automatic re-arm: cooldown passed and drawdown recovered');
    }
    const dd = this.currentDrawdownPct;
    const dailyLoss = this.#dailyLossPct();
    let drawdownLevel = 0;
    if (dd >= this.#flattenAt) drawdownLevel = 3;
    else if (dd >= this.#haltAt) drawdownLevel = 2;
    else if (dd >= this.#reduceAt) drawdownLevel = 1;
    const isDailyLossHit = dailyLoss >= this.#dailyLossLimit;
    const level = isDailyLossHit && drawdownLevel < 2 ? 2 : drawdownLevel;
    if (level > this.#peak) {
      const config = this.#config;
      const to = TRADING_STATES[level] as KillSwitchLevel;
      if (level === drawdownLevel) {
        this.#escalate(to, `intraday drawdown ${dd.toFixed(2)}% reached the ${to} level ${levelPct(config, to).toFixed(2)}%`, time, 'drawdown');
      } else {
        const limit = config.dailyLossLimitPct ?? 0;
        this.#escalate(to, `daily loss ${dailyLoss.toFixed(2)}% reached the limit ${limit.toFixed(2)}%`, time, 'daily-loss');
      }
    }
    this.#refreshLevels();
    return this.#state;
  }

  /**
   * Escalates to at least `level` on an outside command (an operator, the data-quality halt, a
   * broker problem). Returns true when the state changed; a level at or below the current state
   * changes nothing and returns false. Throws `KillSwitchError` for an unknown level.
   */
  trigger(level: KillSwitchLevel, reason: string, time: EpochMs | number, source: KillSwitchSource = 'external'): boolean {
    if (!Object.hasOwn(LEVEL_EVENT, level)) throw new KillSwitchError(`cannot trigger unknown level '${String(level)}' at ${formatIsoTime(time)}`);
    this.#advance(time);
    if (source === 'external') this.#isExternallyTriggered = true;
    if (severity(level) <= severity(this.#state)) return false;
    this.#escalate(level, reason, time, source);
    this.#refreshLevels();
    return true;
  }

  /** Reports that the session closed every position while in `flatten`: moves to `halted`. */
  flattened(time: EpochMs | number): void {
    this.#advance(time);
    this.#transition('flattened', 'every position closed', time, 'flattened');
    this.#refreshLevels();
  }

  /**
   * Returns to `active` on an operator's command. Refused (returns false, and the refusal is
   * audited and counted) while `active` or before `triggeredAt + cooldownMs`. The high-water
   * mark restarts from the last observed equity; a daily loss still beyond its limit halts
   * again at the next observation.
   */
  rearm(time: EpochMs | number, by: string, why?: string): boolean {
    this.#advance(time);
    const refusal = this.#rearmRefusal(time);
    if (refusal !== undefined) {
      this.#rearmRefusals++;
      this.#append(time, 're-arm-refused', {
        from: this.#state,
        to: 'active',
        reason: refusal,
        by,
        ...(why !== undefined ? { request: why } : {}),
        drawdownPct: this.currentDrawdownPct,
        equity: finiteOrNull(this.#lastEquity),
      });
      return false;
    }
    this.#rearm(time, by, why === undefined || why.trim() === '' ? `re-armed by ${by}` : `re-armed by ${by}: ${why}`);
    this.#refreshLevels();
    return true;
  }

  /** Why an operator's re-arm at `time` would be refused (already active, inside the cooldown), or undefined. */
  rearmRefusal(time: EpochMs | number): string | undefined {
    return this.#rearmRefusal(time);
  }

  /** The state as plain JSON data, for {@link KillSwitch.restore}. */
  toJSON(): KillSwitchSnapshot {
    return {
      version: 1,
      state: this.#state,
      peakState: TRADING_STATES[this.#peak] as TradingState,
      triggeredAt: this.#triggeredAt ?? null,
      reason: this.#reason ?? null,
      isExternallyTriggered: this.#isExternallyTriggered,
      day: Number.isNaN(this.#day) ? null : formatIsoTime(this.#day * DAY_MS).slice(0, 10),
      dayHighWaterMark: finiteOrNull(this.#hwm),
      previousDayEquity: finiteOrNull(this.#previousDayEquity),
      lastEquity: finiteOrNull(this.#lastEquity),
      lastTime: Number.isNaN(this.#lastTime) ? null : this.#lastTime,
      currentDrawdownPct: this.currentDrawdownPct,
      maxIntradayDrawdownPct: this.maxIntradayDrawdownPct,
      rearmRefusals: this.#rearmRefusals,
      timeInStateMs: this.timeInStateMs(),
      transitions: this.#transitions.map((t) => ({ ...t })),
    };
  }

  /** Accounts the time since the last call to the current state. Earlier times are ignored. */
  #advance(time: number): void {
    const last = this.#lastTime;
    if (time > last) {
      const i = this.#stateIndex;
      this.#timeInState[i] = (this.#timeInState[i] as number) + (time - last);
      this.#lastTime = time;
    } else if (Number.isNaN(last)) {
      this.#lastTime = time;
    }
  }

  /** Loss from the previous day's last equity at the last observation, in percent. */
  #dailyLossPct(): number {
    const prev = this.#previousDayEquity;
    const equity = this.#lastEquity;
    return prev > 0 && equity < prev ? ((prev - equity) / prev) * 100 : 0;
  }

  /** Starts a new high-water mark, keeping the deepest drawdown of the episode it ends. */
  #setHighWaterMark(hwm: number): void {
    this.#maxDrawdownPct = this.maxIntradayDrawdownPct;
    this.#hwm = hwm;
    this.#trough = Number.POSITIVE_INFINITY;
  }

  /** Moves to the UTC day of `time`. */
  #startDay(time: number): void {
    const day = Math.floor(time / DAY_MS);
    this.#day = day;
    this.#dayStart = day * DAY_MS;
    this.#dayEnd = this.#dayStart + DAY_MS;
  }

  /**
   * Recomputes the levels that can still escalate after anything that changes the peak or the
   * state (an escalation, a re-arm, a restore), then `#quietAbove`. Levels never decrease from
   * reduce to halt to flatten, so the lowest level above the peak is the first one set; a
   * daily loss escalates only below `halted`.
   */
  #refreshLevels(): void {
    const peak = this.#peak;
    let next = peak < 3 ? this.#flattenAt : Number.POSITIVE_INFINITY;
    if (peak < 2 && this.#haltAt !== Number.POSITIVE_INFINITY) next = this.#haltAt;
    if (peak < 1 && this.#reduceAt !== Number.POSITIVE_INFINITY) next = this.#reduceAt;
    const loss = peak < 2 ? this.#dailyLossLimit : Number.POSITIVE_INFINITY;
    this.#nextDrawdownLevel = next;
    this.#nextLossLevel = loss;
    this.#drawdownQuietFactor = 1 - next / 100 + QUIET_MARGIN;
    this.#lossQuietFactor = 1 - loss / 100 + QUIET_MARGIN;
    // A level of 0 % fires at no drawdown at all (0 ≥ 0); an automatic re-arm may be due at any
    // observation: never quiet then.
    this.#isNeverQuiet = next <= 0 || loss <= 0 || (this.#isAutoRearm && this.#stateIndex !== 0);
    // On a new day the high-water mark opens at the previous day's last equity, from which both
    // the drawdown and the daily loss are measured: the lower of the two levels decides.
    const lowest = next < loss ? next : loss;
    this.#newDayQuietFactor = this.#isNeverQuiet ? Number.POSITIVE_INFINITY : 1 - lowest / 100 + QUIET_MARGIN;
    this.#refreshQuietAbove();
  }

  /** Recomputes `#quietAbove` from the levels, the high-water mark and the previous day. */
  #refreshQuietAbove(): void {
    if (this.#isNeverQuiet) {
      this.#quietAbove = Number.POSITIVE_INFINITY;
      return;
    }
    let quiet = Number.NEGATIVE_INFINITY;
    const hwm = this.#hwm;
    const next = this.#nextDrawdownLevel;
    if (next !== Number.POSITIVE_INFINITY && hwm > 0) quiet = hwm * this.#drawdownQuietFactor;
    const prev = this.#previousDayEquity;
    const loss = this.#nextLossLevel;
    if (loss !== Number.POSITIVE_INFINITY && prev > 0) {
      const floor = prev * this.#lossQuietFactor;
      if (floor > quiet) quiet = floor;
    }
    this.#quietAbove = Number.isNaN(quiet) ? Number.POSITIVE_INFINITY : quiet;
  }

  #isAutoRearmDue(time: number): boolean {
    const state = this.#state;
    if (state !== 'reducing' && state !== 'halted') return false;
    if (this.#isExternallyTriggered) return false;
    if (time < (this.#triggeredAt ?? -Infinity) + (this.#config.cooldownMs ?? 0)) return false;
    const config = this.#config;
    const lowest = config.reduceAtDrawdownPct ?? config.haltAtDrawdownPct ?? config.flattenAtDrawdownPct;
    if (lowest !== undefined && !(this.currentDrawdownPct < lowest)) return false;
    return config.dailyLossLimitPct === undefined || this.#dailyLossPct() < config.dailyLossLimitPct;
  }

  #rearmRefusal(time: number): string | undefined {
    if (this.#state === 'active') return 'the kill switch is already active';
    const readyAt = (this.#triggeredAt ?? -Infinity) + (this.#config.cooldownMs ?? 0);
    if (time < readyAt) return `the cooldown runs until ${formatIsoTime(readyAt)}`;
    return undefined;
  }

  #rearm(time: number, by: string, reason: string): void {
    const from = this.#state;
    this.#state = nextKillSwitchState(from, 'rearm', time);
    this.#stateIndex = severity(this.#state);
    this.#peak = 0;
    this.#isExternallyTriggered = false;
    // A fresh high-water mark: the drawdown that caused the trigger is not counted again.
    if (Number.isFinite(this.#lastEquity)) this.#setHighWaterMark(this.#lastEquity);
    this.#record(time, from, reason, 're-arm', { by });
  }

  #escalate(to: KillSwitchLevel, reason: string, time: number, source: KillSwitchSource): void {
    this.#transition(LEVEL_EVENT[to], reason, time, source);
    this.#triggeredAt = time;
    this.#reason = reason;
    if (severity(to) > this.#peak) this.#peak = severity(to);
  }

  #transition(event: KillSwitchEvent, reason: string, time: number, source: string): void {
    const from = this.#state;
    this.#state = nextKillSwitchState(from, event, time);
    this.#stateIndex = severity(this.#state);
    this.#record(time, from, reason, 'state-transition', { source });
  }

  #record(time: number, from: TradingState, reason: string, kind: string, extra: Record<string, JsonValue>): void {
    const to = this.#state;
    this.#transitions.push(Object.freeze({ time, from, to, reason }));
    this.#append(time, kind, {
      from,
      to,
      reason,
      ...extra,
      drawdownPct: this.currentDrawdownPct,
      dailyLossPct: this.#dailyLossPct(),
      equity: finiteOrNull(this.#lastEquity),
    });
  }

  #append(time: number, kind: string, detail: Record<string, JsonValue>): void {
    this.#audit?.append({ time: time as EpochMs, kind, detail });
  }
}

/**
 * The state after `event`; throws `KillSwitchError` when the table does not allow it. `time`
 * (epoch ms), when given, is named in the message.
 */
export function nextKillSwitchState(from: TradingState, event: KillSwitchEvent, time?: number): TradingState {
  const to = KILL_SWITCH_TRANSITIONS[from][event];
  if (to === undefined) {
    const when = time === undefined ? '' : ` at ${formatIsoTime(time)}`;
    throw new KillSwitchError(`kill switch: event '${event}' is not allowed in state '${from}'${when}`);
  }
  return to;
}

function severity(state: TradingState): number {
  switch (state) {
    case 'active':
      return 0;
    case 'reducing':
      return 1;
    case 'halted':
      return 2;
    case 'flatten':
      return 3;
  }
}

/** Fall from `hwm` to `equity` in percent; 0 at or above the mark, or when either is unknown. */
function drawdownPct(hwm: number, equity: number): number {
  return hwm > 0 && equity < hwm ? ((hwm - equity) / hwm) * 100 : 0;
}

function levelPct(config: KillSwitchConfig, level: KillSwitchLevel): number {
  if (level === 'reducing') return config.reduceAtDrawdownPct ?? NaN;
  if (level === 'halted') return config.haltAtDrawdownPct ?? NaN;
  return config.flattenAtDrawdownPct ?? NaN;
}

function requireState(value: unknown, field: string): TradingState {
  if (typeof value === 'string' && (TRADING_STATES as readonly string[]).includes(value)) return value as TradingState;
  throw new KillSwitchError(`kill-switch snapshot field ${field}: '${String(value)}' is not a trading state`);
}

function parseUtcDay(day: string): number {
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  if (!Number.isFinite(ms)) throw new KillSwitchError(`kill-switch snapshot field day: '${day}' is not a date (YYYY-MM-DD)`);
  return Math.floor(ms / DAY_MS);
}

