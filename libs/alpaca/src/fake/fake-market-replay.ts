import type { BarUniverse } from '@quantbot/core';
import { ConfigError, DataError, QuantbotError, SeededRng } from '@quantbot/core';
import { parseAlpacaTimeframe } from '../alpaca-timeframe';
import type { AlpacaTimeframe } from '../alpaca-timeframe';
import type { AlpacaClockWire } from '../alpaca-types';
import { clockWire } from './fake-market-clock';
import type { FakeAlpacaServerOptions, FakeAlpacaState } from './fake-alpaca-server';
import { newYorkDate, newYorkMidnight } from '../new-york-time';

/** A replay used out of order: stepped before `attach`, run twice at once, attached twice. */
export class FakeReplayError extends QuantbotError {
  constructor(message: string) {
    super('FAKE_REPLAY', message);
  }
}

/** What one `step()` did. */
export interface FakeReplayStep {
  /** Index of the time step in the universe (0 for the first). */
  readonly index: number;
  /** Start of the step's bars, epoch ms, as the universe stamps them. */
  readonly time: number;
  /** The replay's clock after the step: the close of its bars (`time + barDurationMs`). */
  readonly now: number;
  /** Bars pushed (symbols with a bar at this step, less the omitted ones). */
  readonly bars: number;
  /** Bars of the data left out at this step by `sparseMinutes` (neither streamed nor stored). */
  readonly omitted: number;
  /** Whether the step was the last of its New York session (day orders then expired). */
  readonly sessionEnded: boolean;
  /** Steps left after this one. */
  readonly remaining: number;
}

/** Schedules the steps of `run`: calls `task` once after `ms` and returns its cancel function. */
export type FakeReplayScheduler = (task: () => void, ms: number) => () => void;

/** How a `FakeMarketReplay` reads its bars and paces itself. */
export interface FakeMarketReplayOptions {
  /** The bars to replay: one step per time of the axis, every symbol with a bar at it. */
  readonly universe: BarUniverse;
  /**
   * Length of one bar, ms. Default: inferred from the data as the smallest gap between two
   * consecutive times (60 000 for minute bars, 86 400 000 for daily ones); required when the
   * universe has a single time.
   */
  readonly barDurationMs?: number;
  /**
   * Alpaca timeframe the bars are served under (`1Min`, `5Min`, `1Hour`, `1Day`, ...). Default:
   * derived from the bar duration; a `ConfigError` when the duration matches none.
   */
  readonly timeframe?: string;
  /** End each New York session after its last bar (`state.endSession()`: open day orders expire). Default true. */
  readonly endSessions?: boolean;
  /** Called after every step, by `step()` and `run()` alike. */
  readonly onStep?: (step: FakeReplayStep) => void;
  /** Timer of `run`; default real timers. */
  readonly scheduler?: FakeReplayScheduler;
  /**
   * Fraction (0 ≤ f < 1) of the symbol-minutes whose bar is left out, as on Alpaca's IEX feed,
   * where a minute in which a symbol did not trade has no bar: the stream sends nothing for it,
   * REST history lacks it, and it fills no order. Drawn once per bar of the data, in step then
   * symbol order, from an RNG seeded by `seed`, so a replay omits the same bars every time.
   * Default 0.
   */
  readonly sparseMinutes?: number;
  /** Seed of `sparseMinutes`. Default 1. */
  readonly seed?: number;
}

/** The part of a fake server a replay drives. */
export interface FakeReplayTarget {
  readonly state: Pick<FakeAlpacaState, 'pushBar' | 'endSession'>;
}

/** How fast `run` steps. */
export interface FakeReplayRunOptions {
  /** Real milliseconds between two steps (the first step comes after one interval). 0: as fast as timers go. */
  readonly intervalMs: number;
}

/** One `run`: how to end it, and the pending step's cancel function. */
interface RunToken {
  readonly finish: (error?: unknown) => void;
  cancel: (() => void) | undefined;
}

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

const realScheduler: FakeReplayScheduler = (task, ms) => {
  const timer = setTimeout(task, ms);
  return () => clearTimeout(timer);
};

/**
 * Replays a `BarUniverse` into a fake Alpaca server, one time step at a time: `step()` pushes
 * every symbol's bar of the next step (in the universe's symbol order) through
 * `state.pushBar`, so the bars are streamed, stored for REST and fill orders, and, with
 * `endSessions`, ends the session after the last bar of each New York date. `run()` steps on a
 * timer until the data ends or `stop()`.
 *
 * `now()` is the fake's clock during the replay: the close of the last pushed bar (its time plus
 * `barDurationMs`), and the start of the first bar before any step (while a step pushes, the
 * start of its bars). `clockAt` answers the
 * market clock from the replayed sessions: for intraday bars a session is open from its first
 * bar's start to its last bar's close, so `is_open` is true while a replayed session is under
 * way. Daily and longer bars fall back to the regular-hours clock (`clockWire`).
 *
 * Daily, weekly and monthly bars (stamped 00:00 UTC of their session in Quantbot) are pushed with
 * Alpaca's stamp, 00:00 New York, so a client sees what Alpaca would send.
 *
 * @example
 * const replay = new FakeMarketReplay({ universe });
 * const server = await startFakeAlpacaServer({ credentials, fillOn: 'bar', ...replay.serverOptions() });
 * replay.attach(server);
 * await replay.run({ intervalMs: 1_000 }); // or replay.step() under test
 */
export class FakeMarketReplay {
  readonly #universe: BarUniverse;
  readonly #durationMs: number;
  readonly #timeframe: AlpacaTimeframe;
  readonly #endSessions: boolean;
  readonly #onStep: ((step: FakeReplayStep) => void) | undefined;
  readonly #schedule: FakeReplayScheduler;
  /** Per step: 1 when it is the last of its New York session. */
  readonly #sessionEnds: Uint8Array;
  /** Intraday only: open (first bar start) and close (last bar end) of each session, in time order. */
  readonly #sessionOpens: Float64Array;
  readonly #sessionCloses: Float64Array;
  /** Per cell (`s * length + k`): 1 when `sparseMinutes` leaves the bar out. */
  readonly #omit: Uint8Array;
  #target: FakeReplayTarget | undefined;
  #next = 0;
  #now: number;
  #run: RunToken | undefined;

  constructor(options: FakeMarketReplayOptions) {
    const u = options.universe;
    if (u.length === 0 || u.symbols.length === 0) throw new ConfigError('universe', 'has no bars to replay');
    checkBars(u);
    this.#universe = u;
    this.#durationMs = options.barDurationMs ?? inferDurationMs(u);
    if (!(Number.isFinite(this.#durationMs) && this.#durationMs > 0)) {
      throw new ConfigError('barDurationMs', `must be a positive number of ms, got ${this.#durationMs}`);
    }
    this.#timeframe = parseAlpacaTimeframe(options.timeframe ?? timeframeFor(this.#durationMs));
    this.#endSessions = options.endSessions ?? true;
    this.#onStep = options.onStep;
    this.#schedule = options.scheduler ?? realScheduler;
    this.#now = u.time[0] as number;

    this.#sessionEnds = new Uint8Array(u.length);
    const opens: number[] = [];
    const closes: number[] = [];
    for (let k = 0; k < u.length; k++) {
      const time = u.time[k] as number;
      const isLast = k === u.length - 1 || this.#timeframe.isDaily || newYorkDate(u.time[k + 1] as number) !== newYorkDate(time);
      const isFirst = k === 0 || this.#timeframe.isDaily || (this.#sessionEnds[k - 1] as number) === 1;
      if (isLast) this.#sessionEnds[k] = 1;
      if (!this.#timeframe.isDaily) {
        if (isFirst) opens.push(time);
        if (isLast) closes.push(time + this.#durationMs);
      }
    }
    this.#sessionOpens = Float64Array.from(opens);
    this.#sessionCloses = Float64Array.from(closes);

    const sparse = options.sparseMinutes ?? 0;
    if (!(typeof sparse === 'number' && sparse >= 0 && sparse < 1)) throw new ConfigError('sparseMinutes', `must be a fraction 0 ≤ f < 1, got ${String(sparse)}`);
    const seed = options.seed ?? 1;
    if (!Number.isSafeInteger(seed)) throw new ConfigError('seed', `must be a whole number, got ${String(seed)}`);
    this.#omit = new Uint8Array(u.symbols.length * u.length);
    if (sparse > 0) {
      const rng = new SeededRng(seed);
      for (let k = 0; k < u.length; k++) {
        for (let s = 0; s < u.symbols.length; s++) {
          const cell = s * u.length + k;
          if (u.hasBar[cell] === 1 && rng.nextFloat() < sparse) this.#omit[cell] = 1;
        }
      }
    }
  }

  /** Whether `sparseMinutes` leaves out the bar of symbol index `s` at step `k`. */
  omits(s: number, k: number): boolean {
    return this.#omit[s * this.#universe.length + k] === 1;
  }

  /** The fake's clock, epoch ms: the close of the last pushed bar (the first bar's start before any step). Bound: pass it as is. */
  readonly now = (): number => this.#now;

  /**
   * The market clock at `nowMs` (the wire shape of `GET /v2/clock`): open inside a replayed
   * intraday session, with `next_open` / `next_close` taken from the replayed sessions (the
   * regular-hours clock past the data). Daily and longer bars: `clockWire`. Bound: pass it as is.
   */
  readonly clockAt = (nowMs: number): AlpacaClockWire => {
    if (this.#timeframe.isDaily) return clockWire(nowMs);
    const opens = this.#sessionOpens;
    const closes = this.#sessionCloses;
    // Last session that opened at or before now (-1: none).
    let lo = 0;
    let hi = opens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((opens[mid] as number) <= nowMs) lo = mid + 1;
      else hi = mid;
    }
    const current = lo - 1;
    const isOpen = current >= 0 && nowMs < (closes[current] as number);
    const upcoming = current + 1;
    let nextOpen: number;
    let nextClose: number;
    if (upcoming < opens.length) {
      nextOpen = opens[upcoming] as number;
      nextClose = isOpen ? (closes[current] as number) : (closes[upcoming] as number);
    } else {
      nextOpen = Date.parse(clockWire(nowMs).next_open);
      nextClose = isOpen ? (closes[current] as number) : Date.parse(clockWire(nextOpen).next_close);
    }
    return {
      timestamp: new Date(nowMs).toISOString(),
      is_open: isOpen,
      next_open: new Date(nextOpen).toISOString(),
      next_close: new Date(nextClose).toISOString(),
    };
  };

  /** Options that make a fake server follow this replay: its clock, market clock and bar timeframe. Spread them into `startFakeAlpacaServer`. */
  serverOptions(): Required<Pick<FakeAlpacaServerOptions, 'now' | 'marketClock' | 'barTimeframe'>> {
    return { now: this.now, marketClock: this.clockAt, barTimeframe: this.#timeframe.text };
  }

  /** Connects the replay to the server it pushes into (once). */
  attach(target: FakeReplayTarget): void {
    if (this.#target !== undefined) throw new FakeReplayError('the replay is already attached to a server');
    this.#target = target;
  }

  /** Length of one bar, ms (given or inferred). */
  get barDurationMs(): number {
    return this.#durationMs;
  }

  /** The Alpaca timeframe of the bars (`1Min`, `1Day`, ...), canonical spelling. */
  get timeframe(): string {
    return this.#timeframe.text;
  }

  /** Time steps in the data. */
  get length(): number {
    return this.#universe.length;
  }

  /** Steps done so far. */
  get position(): number {
    return this.#next;
  }

  /** Whether every step has been pushed. */
  get isDone(): boolean {
    return this.#next >= this.#universe.length;
  }

  /** Whether `run` is stepping. */
  get isRunning(): boolean {
    return this.#run !== undefined;
  }

  /**
   * Pushes the next time step's bars and returns what it did, or `null` when the data is
   * exhausted. While the bars are pushed `now()` reads their start (fills at the open carry that
   * time), then it moves to their close; the session ends after that.
   */
  step(): FakeReplayStep | null {
    const target = this.#target;
    if (target === undefined) throw new FakeReplayError('attach the replay to a fake server before stepping it');
    const u = this.#universe;
    const k = this.#next;
    if (k >= u.length) return null;
    this.#next = k + 1;
    const time = u.time[k] as number;
    const stamp = this.#timeframe.isDaily ? newYorkMidnight(time) : time;
    // While the bars are pushed the clock reads their start, so a fill at the open is stamped
    // when the open traded (as a backtest stamps it); after the step, their close.
    this.#now = Math.max(this.#now, stamp);
    let bars = 0;
    let omitted = 0;
    for (let s = 0; s < u.symbols.length; s++) {
      const cell = s * u.length + k;
      if (u.hasBar[cell] !== 1) continue;
      if (this.#omit[cell] === 1) {
        omitted++;
        continue;
      }
      target.state.pushBar(u.symbols[s] as string, {
        time: stamp,
        open: u.open[cell] as number,
        high: u.high[cell] as number,
        low: u.low[cell] as number,
        close: u.close[cell] as number,
        volume: u.volume[cell] as number,
      });
      bars++;
    }
    this.#now = time + this.#durationMs;
    const sessionEnded = this.#endSessions && this.#sessionEnds[k] === 1;
    if (sessionEnded) target.state.endSession();
    const step: FakeReplayStep = Object.freeze({ index: k, time, now: this.#now, bars, omitted, sessionEnded, remaining: u.length - k - 1 });
    this.#onStep?.(step);
    return step;
  }

  /**
   * Steps every `intervalMs` until the data ends or `stop()`; resolves then. Rejects when a step
   * fails (the replay stops there) or when the replay is already running.
   */
  run(options: FakeReplayRunOptions): Promise<void> {
    const { intervalMs } = options;
    if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) {
      return Promise.reject(new ConfigError('intervalMs', `must be a number of ms ≥ 0, got ${intervalMs}`));
    }
    if (this.#run !== undefined) return Promise.reject(new FakeReplayError('the replay is already running'));
    if (this.#target === undefined) return Promise.reject(new FakeReplayError('attach the replay to a fake server before running it'));
    return new Promise<void>((resolve, reject) => {
      const token: RunToken = {
        cancel: undefined,
        finish: (error?: unknown): void => {
          token.cancel?.();
          token.cancel = undefined;
          if (this.#run === token) this.#run = undefined;
          if (error === undefined) resolve();
          else reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      const tick = (): void => {
        token.cancel = undefined;
        try {
          this.step();
        } catch (error) {
          token.finish(error);
          return;
        }
        if (this.#run !== token) return; // stopped by onStep
        if (this.isDone) token.finish();
        else token.cancel = this.#schedule(tick, intervalMs);
      };
      this.#run = token;
      if (this.isDone) token.finish();
      else token.cancel = this.#schedule(tick, intervalMs);
    });
  }

  /** Stops `run` (its promise resolves); the replay keeps its position, and `run` may resume it. No-op when not running. */
  stop(): void {
    this.#run?.finish();
  }
}

/** Every bar the replay will push must be one a fake server accepts: positive finite prices, high ≥ low, volume ≥ 0. */
function checkBars(u: BarUniverse): void {
  for (let s = 0; s < u.symbols.length; s++) {
    for (let k = 0; k < u.length; k++) {
      const cell = s * u.length + k;
      if (u.hasBar[cell] !== 1) continue;
      const prices = [u.open[cell], u.high[cell], u.low[cell], u.close[cell]] as number[];
      const volume = u.volume[cell] as number;
      if (!prices.every((p) => Number.isFinite(p) && p > 0) || !(volume >= 0 && Number.isFinite(volume)) || (u.high[cell] as number) < (u.low[cell] as number)) {
        throw new DataError(`bar at ${new Date(u.time[k] as number).toISOString()} cannot be replayed (prices must be positive with high ≥ low, volume ≥ 0)`, {
          symbol: u.symbols[s] as string,
        });
      }
    }
  }
}

function inferDurationMs(u: BarUniverse): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (let k = 1; k < u.length; k++) {
    const gap = (u.time[k] as number) - (u.time[k - 1] as number);
    if (gap > 0 && gap < smallest) smallest = gap;
  }
  if (smallest === Number.POSITIVE_INFINITY) {
    throw new ConfigError('barDurationMs', 'cannot be inferred from a single time step; give it');
  }
  return smallest;
}

/** The Alpaca timeframe of bars `durationMs` long. */
function timeframeFor(durationMs: number): string {
  const minutes = durationMs / MS_PER_MINUTE;
  if (Number.isInteger(minutes) && minutes >= 1 && minutes < 60) return `${minutes}Min`;
  if (Number.isInteger(minutes / 60) && minutes / 60 >= 1 && minutes / 60 < 24) return `${minutes / 60}Hour`;
  if (durationMs === MS_PER_DAY) return '1Day';
  if (durationMs === 7 * MS_PER_DAY) return '1Week';
  if (durationMs >= 28 * MS_PER_DAY && durationMs <= 31 * MS_PER_DAY) return '1Month';
  throw new ConfigError('timeframe', `bars of ${durationMs} ms match no Alpaca timeframe; give one (e.g. '1Min', '1Day')`);
}
