import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlpacaClient, AlpacaMarketDataClient, AlpacaVenue } from '@quantbot/alpaca';
import type { AlpacaCredentials, AlpacaVenueOptions } from '@quantbot/alpaca';
import { FakeMarketReplay, seededMinuteDay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer, FakeBarDelivery } from '@quantbot/alpaca/fake';
import type { BarUniverse, Ticker } from '@quantbot/core';
import { SeededRng, VenueUnavailableError, ticker } from '@quantbot/core';
import { DrillError } from './drill-error';
import { OutageWatchdog, decideLiveStart, parseLiveCheckpoint, tradeOnVenue } from '@quantbot/live';
import type { LiveNotice, LiveNotify, LiveStateStore, StopRequests } from '@quantbot/live';
import { alignUniverse } from '@quantbot/market-data';
import { SmaCrossover } from '@quantbot/strategies';
import type { DrillObservation } from './drill';
import type { DrillOutcomeKind } from './invariants';
import { DrillStore } from './drill-store';
import type { DrillStorage } from './drill-store';


const KEY = 'PKCHAOSDRILL01';
const SECRET = 'chaos-drill-secret-never-printed';
/** Every drill trades this session on two symbols. */
export const DRILL_SESSION = 'drill';
const SYMBOLS: readonly Ticker[] = [ticker('AAA'), ticker('BBB')];
/** 09:30 New York on a Tuesday. */
const OPEN = Date.UTC(2024, 2, 5, 14, 30);
const PARAMS = { fast: 2, slow: 4, allowShort: false };
/** Bars pushed before the trader starts (its warm-up, read over REST). */
const WARM_BARS = 30;

export interface DrillBrokerOptions {
  /** Seeds the bars, the fake's ids and the clients' jitter. */
  readonly seed: number;
  /** Monotonic ms: the outage watchdog's clock and every wait's. */
  readonly clock: () => number;
  /** Minute bars in the replayed session (default 390). */
  readonly bars?: number;
  /** Fraction of a bar's volume one order may take (partial fills). */
  readonly barParticipation?: number;
  /** Where the session keeps its state. Default: the embedded database. */
  readonly storage?: DrillStorage;
  /** Fraction of the symbol-minutes the replay leaves out (`FakeMarketReplayOptions.sparseMinutes`). */
  readonly sparseMinutes?: number;
  /** Bars streamed late, twice or out of order (`FakeAlpacaServerOptions.barDelivery`). */
  readonly barDelivery?: FakeBarDelivery;
}

export interface AttemptOptions {
  /** The outage limit of the session's watchdog (default 60 000: no outage unless a drill wants one). */
  readonly maxOutageMs?: number;
  /** The operator's alert path: every notice after the harness recorded it (may throw). */
  readonly alert?: LiveNotify;
  /** The streams' heartbeat and reconnect backoff (`AlpacaVenueOptions.streamTiming`); default the adapter's. */
  readonly streamTiming?: AlpacaVenueOptions['streamTiming'];
  /** How long a minute missing a symbol waits for it (`VenueTradingOptions.stepTimeoutMs`); default the session's. */
  readonly stepTimeoutMs?: number;
}

/** How one `tradeOnVenue` attempt ended. */
export interface AttemptEnd {
  readonly outcome: DrillOutcomeKind;
  readonly detail: string;
  /** Notices the alert path failed to take, as the session's summary reports them (a clean stop only). */
  readonly alertFailures?: number;
}

/** One run of the live trader's library entry point against the drill's broker. */
export class DrillAttempt {
  /** Bar steps the session has processed and saved. */
  steps = 0;
  /** Orders the session sent, as its step reports count them. */
  ordersSubmitted = 0;
  readonly notices: LiveNotice[] = [];
  readonly ended: Promise<AttemptEnd>;
  #end: AttemptEnd | undefined;
  readonly #stopHandlers = new Set<(signal: string) => void>();

  constructor(run: (attempt: DrillAttempt, stop: StopRequests) => Promise<AttemptEnd>) {
    const stop: StopRequests = {
      on: (handler) => {
        this.#stopHandlers.add(handler);
        return () => this.#stopHandlers.delete(handler);
      },
    };
    this.ended = run(this, stop).then((end) => {
      this.#end = end;
      return end;
    });
  }

  /** The end, once the attempt is over. */
  get end(): AttemptEnd | undefined {
    return this.#end;
  }

  /** Asks the session to stop (as Ctrl-C would). */
  stop(): void {
    for (const handler of [...this.#stopHandlers]) handler('drill');
  }

  record(notice: LiveNotice): void {
    this.notices.push(notice);
    if (notice.kind === 'step') {
      this.steps++;
      this.ordersSubmitted += notice.report.ordersSubmitted;
    }
  }
}

/**
 * The broker of a drill: the local fake Alpaca on 127.0.0.1 replaying a seeded day of minute bars
 * for two symbols, and the session's state on real storage (embedded, or a Postgres server through
 * a relay a drill can cut: `DrillStore`). `attempt` runs `tradeOnVenue` (the live
 * trader's library entry point) over `AlpacaVenue`, as `live-trader run --broker alpaca` does;
 * a restart is another attempt over the same state.
 */
export class DrillBroker {
  readonly fake: FakeAlpacaServer;
  readonly replay: FakeMarketReplay;
  /** The bars being replayed (a drill may rewrite a bar before the replay pushes it: a bad print). */
  readonly universe: BarUniverse;
  /** The session's state, with a database outage on demand. */
  readonly state: DrillStore;
  readonly #options: DrillBrokerOptions;
  readonly #dir: string;
  #attempts = 0;

  private constructor(options: DrillBrokerOptions, fake: FakeAlpacaServer, replay: FakeMarketReplay, dir: string, universe: BarUniverse, state: DrillStore) {
    this.universe = universe;
    this.state = state;
    this.#options = options;
    this.fake = fake;
    this.replay = replay;
    this.#dir = dir;
  }

  /** Starts the fake and pushes the bars the trader warms up with. */
  static async start(options: DrillBrokerOptions): Promise<DrillBroker> {
    const universe = seededMinuteDay(options.seed, SYMBOLS, options.bars ?? 390, OPEN);
    const replay = new FakeMarketReplay({ universe, endSessions: false, ...(options.sparseMinutes !== undefined ? { sparseMinutes: options.sparseMinutes, seed: options.seed } : {}) });
    const fake = await startFakeAlpacaServer({
      credentials: { keyId: KEY, secretKey: SECRET },
      host: '127.0.0.1',
      fillOn: 'bar',
      seed: options.seed,
      ...(options.barParticipation !== undefined ? { barParticipation: options.barParticipation } : {}),
      ...(options.barDelivery !== undefined ? { barDelivery: options.barDelivery } : {}),
      ...replay.serverOptions(),
    });
    replay.attach(fake);
    for (let k = 0; k < WARM_BARS; k++) replay.step();
    const dir = mkdtempSync(join(tmpdir(), 'quantbot-chaos-'));
    try {
      const state = await DrillStore.open(options.storage ?? { kind: 'embedded' }, dir, `chaos_${process.pid}_${options.seed}`);
      return new DrillBroker(options, fake, replay, dir, universe, state);
    } catch (error) {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The store the session uses (every call goes to the database as it is now). */
  get store(): LiveStateStore {
    return this.state.store;
  }

  get credentials(): AlpacaCredentials {
    return { keyId: KEY, secretKey: SECRET, baseUrl: this.fake.url, mode: 'custom' };
  }

  /** Starts a session (resuming the last checkpoint, as a restarted trader does). */
  attempt(options: AttemptOptions = {}): DrillAttempt {
    const n = ++this.#attempts;
    return new DrillAttempt(async (attempt, stop) => {
      const decision = await decideLiveStart(this.store, DRILL_SESSION, this.replay.now());
      if (decision.kind === 'refused') return { outcome: 'threw', detail: `start refused: ${decision.refusal.reason}` };
      const credentials = this.credentials;
      const rng = new SeededRng(this.#options.seed * 1_000 + n);
      const now = (): number => this.replay.now();
      const notify: LiveNotify = (notice) => {
        attempt.record(notice);
        options.alert?.(notice);
      };
      const client = new AlpacaClient({ credentials, now, rng });
      const marketData = new AlpacaMarketDataClient({ credentials, now, rng, dataUrl: this.fake.url });
      const watchdog = new OutageWatchdog({ probeClock: async () => client.getClock(), maxOutageMs: options.maxOutageMs ?? 60_000, now: this.#options.clock, notify });
      const venue = new AlpacaVenue({
        client,
        marketData,
        credentials,
        dataStreamUrl: this.fake.url,
        feed: 'iex',
        align: (series) => alignUniverse(series),
        latencyClock: this.#options.clock,
        rng,
        ...(options.streamTiming !== undefined ? { streamTiming: options.streamTiming } : {}),
        onEvent: (event, detail) => {
          if (event === 'trade-stream' || event === 'bar-stream') watchdog.streamState(event, String(detail['state']), String(detail['detail']));
        },
      });
      try {
        const outcome = await tradeOnVenue({
          sessionId: DRILL_SESSION,
          strategy: new SmaCrossover(PARAMS, SYMBOLS.length),
          params: PARAMS,
          sizing: { kind: 'fixed-shares', shares: 10 },
          gateway: { limits: {}, killSwitch: {} },
          checkpoint: decision.kind === 'resume' ? decision.checkpoint : undefined,
          latencyClock: this.#options.clock,
          store: this.store,
          now,
          notify,
          stop,
          killFile: join(this.#dir, 'KILL'),
          killFilePollMs: 50,
          venue,
          symbols: SYMBOLS,
          orphanPolicy: 'cancel',
          historyMinutes: 100_000,
          align: (series) => alignUniverse(series),
          clockPollMs: 50,
          watchdog,
          ...(options.stepTimeoutMs !== undefined ? { stepTimeoutMs: options.stepTimeoutMs } : {}),
        });
        if (outcome.kind === 'stopped') {
          return outcome.stoppedWhileDown === undefined
            ? { outcome: 'stopped', detail: `${outcome.summary.bars} bar(s), ${outcome.summary.recoveredFills} fill(s) recovered at the start`, alertFailures: outcome.summary.alertFailures }
            : { outcome: 'stopped-while-down', detail: outcome.stoppedWhileDown };
        }
        if (outcome.kind === 'outage') return { outcome: 'outage', detail: describeOutage(attempt.notices) };
        return { outcome: 'failed', detail: messageOf(outcome.error) };
      } catch (error) {
        return { outcome: error instanceof VenueUnavailableError ? 'venue-unavailable' : 'threw', detail: messageOf(error) };
      } finally {
        await venue.close();
        await client.close();
        await marketData.close();
      }
    });
  }

  /** Waits until the attempt trades (or ends). */
  async trading(attempt: DrillAttempt, timeoutMs = 20_000): Promise<void> {
    await this.until(() => attempt.notices.some((n) => n.kind === 'trading') || attempt.end !== undefined, 'the session to start trading', timeoutMs);
    if (attempt.end !== undefined) throw new DrillError(`the session ended before trading: ${attempt.end.outcome}: ${attempt.end.detail}`);
  }

  /**
   * Pushes the next minute's bars and waits until the session has processed them (lockstep);
   * false when the attempt ended instead or the data is exhausted.
   */
  async step(attempt: DrillAttempt, timeoutMs = 15_000): Promise<boolean> {
    const before = attempt.steps;
    const pushed = this.replay.step();
    if (pushed === null) return false;
    // A minute the replay left out for every symbol (sparse minutes) is no step at all.
    if (pushed.bars === 0) return attempt.end === undefined;
    await this.until(() => attempt.steps > before || attempt.end !== undefined, `the session's step on bar ${this.replay.position}`, timeoutMs);
    return attempt.end === undefined;
  }

  /** Steps until a step sends an order (at most `maxSteps`); true when one did. */
  async stepUntilOrder(attempt: DrillAttempt, maxSteps = 120): Promise<boolean> {
    for (let k = 0; k < maxSteps; k++) {
      const before = attempt.ordersSubmitted;
      if (!(await this.step(attempt))) return false;
      if (attempt.ordersSubmitted > before) return true;
    }
    return false;
  }

  /** Waits until the fake has received no request for `quietMs` (the session's REST calls settled). */
  async settle(quietMs = 300, timeoutMs = 15_000): Promise<void> {
    let count = this.fake.state.requests.length;
    let since = this.#options.clock();
    await this.until(
      () => {
        const now = this.#options.clock();
        if (this.fake.state.requests.length !== count) {
          count = this.fake.state.requests.length;
          since = now;
        }
        return now - since >= quietMs;
      },
      'the session to stop calling the broker',
      timeoutMs,
    );
  }

  /** Stops the attempt and waits for its end. */
  async finish(attempt: DrillAttempt, timeoutMs = 20_000): Promise<AttemptEnd> {
    attempt.stop();
    await this.until(() => attempt.end !== undefined, 'the session to stop', timeoutMs);
    return attempt.end as AttemptEnd;
  }

  /** Polls `condition` every 10 ms until it holds; a `DrillError` naming `what` after `timeoutMs`. */
  async until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = this.#options.clock() + timeoutMs;
    while (!condition()) {
      if (this.#options.clock() > deadline) throw new DrillError(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** What the invariants are checked on: the broker's orders and books, the session's journal and last save. */
  async observe(end: AttemptEnd, recoveryMs: number | null, extra: DrillObservation['extra'] = []): Promise<DrillObservation> {
    const client = new AlpacaClient({ credentials: this.credentials, now: () => this.replay.now(), rng: new SeededRng(1) });
    try {
      const positions = await client.listPositions();
      const stored = await this.store.latestCheckpoint(DRILL_SESSION);
      const checkpoint = stored === undefined ? undefined : parseLiveCheckpoint(stored.document);
      const killSwitch = checkpoint?.version === 2 ? checkpoint.gateway.killSwitch : undefined;
      return {
        sessionId: DRILL_SESSION,
        brokerOrders: this.fake.state.orders().map((o) => ({
          clientOrderId: o.client_order_id,
          symbol: o.symbol,
          side: o.side === 'sell' ? 'sell' : 'buy',
          qty: Number(o.qty),
          filledQty: Number(o.filled_qty),
          status: o.status,
        })),
        journaledFills: (await this.store.fills(DRILL_SESSION)).map((f) => ({ fillKey: f.fillKey, clientOrderId: f.clientOrderId, qty: f.qty })),
        ledger: checkpoint === undefined ? null : { cash: checkpoint.ledger.cash, positions: checkpoint.ledger.positions.map((p) => ({ symbol: p.symbol, qty: p.qty })) },
        broker: { cash: this.fake.state.cash, positions: positions.map((p) => ({ symbol: p.symbol, qty: p.qty })) },
        killSwitch: killSwitch === undefined ? { state: 'active', reason: null } : { state: killSwitch.state, reason: killSwitch.reason },
        outcome: end.outcome,
        outcomeDetail: end.detail,
        recoveryMs,
        extra,
      };
    } finally {
      await client.close();
    }
  }

  async close(): Promise<void> {
    try {
      await this.state.close();
    } finally {
      await this.fake.close();
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }
}

function describeOutage(notices: readonly LiveNotice[]): string {
  const outage = notices.find((n) => n.kind === 'outage' || n.kind === 'outage-during-step');
  if (outage?.kind === 'outage') return `down: ${outage.outage.channels.map((c) => c.channel).join(', ')}`;
  if (outage?.kind === 'outage-during-step') return `a step could not reach the broker: ${messageOf(outage.error)}`;
  return 'broker outage';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

