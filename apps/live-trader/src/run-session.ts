import type { CliIo } from '@quantbot/cli';
import { describeDataQuality } from '@quantbot/cli';
import type { JsonValue, Ticker } from '@quantbot/core';
import { ConfigError, SeededRng } from '@quantbot/core';
import { AlpacaClient, AlpacaMarketDataClient, AlpacaVenue } from '@quantbot/alpaca';
import type { AlpacaCredentials } from '@quantbot/alpaca';
import { OutageWatchdog, tradeOnReplay, tradeOnVenue } from '@quantbot/live';
import type { DriveOutcome, LiveAuthorization, LiveNotify, LiveTradingOptions, TradingDayRecorder } from '@quantbot/live';
import { alignUniverse } from '@quantbot/market-data';
import { buildStrategyManager } from '@quantbot/engine';
import { createStrategy } from '@quantbot/strategies';
import type { StrategyNotice } from '@quantbot/strategies';
import { loadRunData } from '@quantbot/validation';
import type { RunData } from '@quantbot/validation';
import type { SessionEndpoints } from './live-guardrails';
import type { RunDeps } from './run-command';
import type { Plan } from './run-plan';

// How `live-trader run` trades once its checks passed: on Alpaca (or the fake) through
// `tradeOnVenue`, or on replayed bars through `tradeOnReplay`.

/**
 * The strategy and its parameters, built for `symbolCount` symbols: one strategy, or a manager of
 * the plan's sleeves (its checkpointed parameters are every sleeve's, resolved; its notices go to
 * the session's notices).
 */
function strategyOf(plan: Plan, symbolCount: number, notify: LiveNotify): Pick<LiveTradingOptions, 'strategy' | 'params'> {
  if (plan.manager !== undefined) {
    const context = { symbolCount, notify: (notice: StrategyNotice) => notify({ kind: 'strategy-notice', notice }) };
    const { manager, params } = buildStrategyManager(plan.manager.spec, plan.manager.source, context, { recordEquity: false });
    return { strategy: manager, params };
  }
  const file = plan.strategyFile;
  const { strategy, params } = createStrategy(file?.definition ?? plan.strategyName, plan.rawParams, { symbolCount, notify: (notice) => notify({ kind: 'strategy-notice', notice }) });
  // A strategy file's checkpointed parameters carry its content hash: a restart with a changed
  // file is refused like one with changed parameters.
  if (file !== undefined) return { strategy, params: { strategyFile: { sha256: file.file.sha256 }, values: params as unknown as JsonValue } };
  return { strategy, params: params as unknown as JsonValue };
}

/** What a session needs besides its strategy (built once the symbols are known). */
export type SessionOptions = Omit<LiveTradingOptions, 'strategy' | 'params'>;

/** A `--broker alpaca` session: its credentials, endpoints and, for live money, its authorization. */
export interface AlpacaSession {
  readonly credentials: AlpacaCredentials;
  readonly endpoints: SessionEndpoints;
  readonly live?: LiveAuthorization;
}

export async function runAlpaca(
  common: SessionOptions,
  plan: Plan,
  flags: Readonly<Record<string, string | number | boolean>>,
  { credentials, endpoints, live }: AlpacaSession,
  deps: RunDeps,
  notify: LiveNotify,
  onStream: (channel: 'trade-stream' | 'bar-stream', state: string) => void = () => undefined,
  days?: TradingDayRecorder,
): Promise<DriveOutcome> {
  const symbols = plan.symbols as readonly Ticker[];
  const rng = new SeededRng(hashText(plan.sessionId));
  // Orders may reach a live-money endpoint only with the authorization the checks above issued;
  // tradeOnVenue checks it again, with the caps and the kill switch, before anything connects.
  const client = new AlpacaClient({ credentials, now: deps.now, rng, ...(live !== undefined ? { allowLiveOrders: true } : {}) });
  const marketData = new AlpacaMarketDataClient({ credentials, now: deps.now, rng, dataUrl: endpoints.dataUrl });
  const watchdog = new OutageWatchdog({ probeClock: async () => client.getClock(), maxOutageMs: plan.maxOutageMs, now: deps.now, notify });
  const venue = new AlpacaVenue({
    client,
    marketData,
    credentials,
    dataStreamUrl: endpoints.dataStreamUrl,
    feed: flags['feed'] === 'sip' ? 'sip' : 'iex',
    align: (series) => alignUniverse(series),
    latencyClock: deps.monotonic,
    rng,
    onEvent: (event, detail) => {
      deps.logger.info(event, detail);
      if (event === 'trade-stream' || event === 'bar-stream') {
        watchdog.streamState(event, String(detail['state']), String(detail['detail']));
        onStream(event, String(detail['state']));
      }
    },
  });
  try {
    return await tradeOnVenue({
      ...common,
      ...strategyOf(plan, symbols.length, common.notify),
      venue,
      symbols,
      orphanPolicy: plan.orphans,
      historyMinutes: typeof flags['history-minutes'] === 'number' ? flags['history-minutes'] : 600,
      ...(plan.stepTimeoutMs !== undefined ? { stepTimeoutMs: plan.stepTimeoutMs } : {}),
      align: (series) => alignUniverse(series),
      clockPollMs: typeof flags['clock-poll-ms'] === 'number' ? flags['clock-poll-ms'] : 60_000,
      watchdog,
      ...(live !== undefined ? { live } : {}),
      ...(days !== undefined ? { days } : {}),
    });
  } finally {
    await venue.close();
    await client.close();
    await marketData.close();
  }
}

/**
 * The bars a paper replay trades: `--data` files or seeded synthetic data (`--seed`, 1,000 bars of
 * 3 symbols unless `--symbols` names them), through the data-quality gate (`--data-quality`,
 * `--calendar`, `--repair`, `--max-bar-move-pct`, as `backtester run`); the outcome is printed.
 */
export function loadReplayData(plan: Plan, flags: Readonly<Record<string, string | number | boolean>>, io: CliIo): RunData {
  const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? flags[name] : undefined);
  const data = loadRunData(
    {
      ...(text('data') !== undefined ? { data: text('data') } : {}),
      ...(plan.symbols !== undefined ? { symbols: plan.symbols } : {}),
      ...(typeof flags['seed'] === 'number' ? { seed: flags['seed'] } : {}),
      bars: 1_000,
      ...(text('data-quality') !== undefined ? { dataQuality: text('data-quality') } : {}),
      ...(text('calendar') !== undefined ? { calendar: text('calendar') } : {}),
      ...(text('repair') !== undefined ? { repair: text('repair') } : {}),
      ...(typeof flags['max-bar-move-pct'] === 'number' ? { maxBarMovePct: flags['max-bar-move-pct'] } : {}),
    },
    { cwd: io.cwd, syntheticSymbols: 3 },
  );
  if (data.universe.length === 0) throw new ConfigError('--data', 'no bars to replay');
  io.out(`data: ${data.dataLabel}, ${data.universe.symbols.length} symbol(s) x ${data.universe.length} bars; data quality ${describeDataQuality(data.dataQuality)}`);
  return data;
}

export async function runReplay(common: SessionOptions, plan: Plan, flags: Readonly<Record<string, string | number | boolean>>, { universe: data }: RunData): Promise<DriveOutcome> {
  return tradeOnReplay({
    ...common,
    ...strategyOf(plan, data.symbols.length, common.notify),
    data,
    warmupBars: typeof flags['warmup-bars'] === 'number' ? flags['warmup-bars'] : 100,
    intervalMs: typeof flags['interval-ms'] === 'number' ? flags['interval-ms'] : 0,
    startingCash: typeof flags['cash'] === 'number' ? flags['cash'] : 100_000,
  });
}

function hashText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
