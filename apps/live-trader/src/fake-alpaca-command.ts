import { resolve } from 'node:path';
import type { BarUniverse, Ticker } from '@quantbot/core';
import { ConfigError, parseTicker } from '@quantbot/core';
import { ALPACA_CREDENTIAL_ENV_NAMES, resolveAlpacaCredentials } from '@quantbot/alpaca';
import { FAKE_FAULT_NAMES, FAKE_FILL_MODES, FakeMarketReplay, applyFakeFault, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer, FakeFaultRequest, FakeFillMode, FakeReplayStep } from '@quantbot/alpaca/fake';
import { alignUniverse, loadBarPath, selectSymbols } from '@quantbot/market-data';
import type { Logger } from '@quantbot/observability';
import type { StopSignal } from './stop-signal';
import { MINUTES_PER_SESSION, generateSyntheticMinuteUniverse } from './synthetic-minute-bars';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

/** Flags of `live-trader fake-alpaca`. */
export const FAKE_ALPACA_FLAGS: readonly FlagSpec[] = [
  { name: 'host', kind: 'string', valueName: 'address', description: 'address to listen on (default 127.0.0.1; anything else is reachable from other machines)' },
  { name: 'port', kind: 'number', valueName: 'n', description: 'port (default 0: any free port, printed on start)' },
  { name: 'data', kind: 'string', valueName: 'file|dir', description: 'bar files to replay (Yahoo CSV or OHLCV text, a folder for several symbols); default: seeded synthetic minute bars' },
  { name: 'symbols', kind: 'string', valueName: 'A,B', description: 'symbols to replay (default: all loaded; synthetic: SYN01..SYN03)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'seed of the synthetic bars and of the fake\'s ids (default 42)' },
  { name: 'days', kind: 'number', valueName: 'n', description: `synthetic sessions to replay, ${MINUTES_PER_SESSION} minute bars each (default 5)` },
  { name: 'interval-ms', kind: 'number', valueName: 'ms', description: 'real milliseconds per replayed bar (default 1000; 0 as fast as possible)' },
  { name: 'fill-on', kind: 'string', valueName: 'bar|trade', description: 'bar: orders fill on the next bar, market orders at its open, as an idealistic backtest (default); trade: at once at the last price' },
  { name: 'cash', kind: 'number', valueName: 'usd', description: 'starting cash of the paper account (default 100000)' },
  { name: 'max-fill-qty', kind: 'number', valueName: 'shares', description: 'fill mode trade: most shares one price update fills per order (default: all)' },
  { name: 'participation', kind: 'number', valueName: 'fraction', description: 'most of a bar\'s volume one order may take, 0 < f ≤ 1 (default: all); partial fills beyond it' },
  { name: 'rate-limit', kind: 'number', valueName: 'n', description: 'requests the key may make per minute of the replay clock, per API (default 200, as Alpaca); 429 past it' },
  { name: 'one-order-reversals', kind: 'boolean', description: 'accept a sell beyond the shares held and reverse the position, as a backtest does (Alpaca refuses it with 403; default: refused)' },
  {
    name: 'faults',
    kind: 'string',
    valueName: 'json',
    description: `faults to apply at start, a JSON list of {"fault": name, ...arguments}, e.g. [{"fault":"fail-next","n":3,"status":503,"route":"POST /v2/orders"}]; names: ${FAKE_FAULT_NAMES.join(', ')}; the same as POST /__admin/faults/{name}`,
  },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader fake-alpaca [flags]

Runs a local imitation of Alpaca's Trading API, Market Data API and streams, for paper trading and
tests without an Alpaca account, and replays bars into it: each bar is streamed, served by the
REST history, and fills open orders. The fake's clock is the replay's. It accepts exactly one key
pair: the one in the environment (${ALPACA_CREDENTIAL_ENV_NAMES.map(([k, s]) => `${k}/${s}`).join(', ')}); any values will do.
SIGINT/SIGTERM (Ctrl-C) stop it.

flags:
${formatFlagHelp(FAKE_ALPACA_FLAGS)}`;

/** What the command needs from its process. */
export interface FakeAlpacaDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stop: StopSignal;
  readonly logger: Logger;
}

interface FakeAlpacaPlan {
  readonly host: string;
  readonly port: number;
  readonly universe: BarUniverse;
  readonly dataLabel: string;
  readonly seed: number;
  readonly intervalMs: number;
  readonly fillOn: FakeFillMode;
  readonly cash: number;
  readonly maxFillQty: number | undefined;
  readonly participation: number | undefined;
  readonly rateLimitPerMinute: number | undefined;
  readonly oneOrderReversals: boolean;
  readonly faults: readonly FakeFaultRequest[];
}

/**
 * `live-trader fake-alpaca`: starts the fake Alpaca server with a replay of bars and serves until
 * SIGINT/SIGTERM, then closes it and returns 0. A usage or configuration error (a bad flag, no
 * key pair in the environment, a port in use) is a `ConfigError` (exit 2); a replay that fails
 * returns 1.
 */
export async function fakeAlpacaCommand(argv: readonly string[], io: CliIo, deps: FakeAlpacaDeps): Promise<number> {
  const flags = parseFlags(argv, FAKE_ALPACA_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const credentials = fakeCredentials(deps.env);
  const plan = planFakeAlpaca(flags, io.cwd);
  const log = deps.logger;

  const replay = new FakeMarketReplay({
    universe: plan.universe,
    onStep: (step: FakeReplayStep) => {
      if (step.sessionEnded) log.info('replay session ended', { step: step.index, time: new Date(step.now).toISOString(), remaining: step.remaining });
    },
  });
  let server: FakeAlpacaServer;
  try {
    server = await startFakeAlpacaServer({
      credentials,
      host: plan.host,
      port: plan.port,
      seed: plan.seed,
      startingCash: plan.cash,
      fillOn: plan.fillOn,
      ...(plan.maxFillQty !== undefined ? { maxFillQty: plan.maxFillQty } : {}),
      ...(plan.participation !== undefined ? { barParticipation: plan.participation } : {}),
      ...(plan.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: plan.rateLimitPerMinute } : {}),
      oneOrderReversals: plan.oneOrderReversals,
      ...replay.serverOptions(),
    });
  } catch (error) {
    throw listenError(error, plan);
  }
  replay.attach(server);
  for (const fault of plan.faults) {
    try {
      applyFakeFault(server.faults, fault);
    } catch (error) {
      await server.close();
      if (error instanceof ConfigError) throw new ConfigError('--faults', `${fault.fault}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  const symbols = plan.universe.symbols.join(',');
  const wsUrl = server.url.replace(/^http:/, 'ws:');
  io.out(`fake Alpaca listening on ${server.url} (trading, market data and streams)`);
  io.out(
    [
      `replaying ${plan.universe.length} steps of ${replay.timeframe} bars of ${symbols} from ${plan.dataLabel}, one every ${plan.intervalMs} ms; orders fill ${plan.fillOn === 'bar' ? 'on the next bar (market orders at its open)' : 'at once at the last price'}`,
      `point a client at it with the same key pair: trading and market-data REST ${server.url}, trade updates ${wsUrl}/stream, bars ${wsUrl}/v2/iex`,
      `  Quantbot: AlpacaClient { baseUrl }, AlpacaMarketDataClient { dataUrl }, AlpacaBarStream { url } = ${server.url}; backtester fetch-data --alpaca-data-url ${server.url}`,
      `faults while it runs (from this machine only): POST ${server.url}/__admin/faults/{name} with the arguments as JSON; names: ${FAKE_FAULT_NAMES.join(', ')}`,
      'stop with Ctrl-C (SIGINT) or SIGTERM',
    ].join('\n'),
  );
  if (!isLoopback(plan.host)) io.err(`warning: listening on ${plan.host}: other machines can reach the fake; it checks only the key pair`);
  log.info('fake alpaca listening', {
    url: server.url,
    symbols,
    data: plan.dataLabel,
    steps: plan.universe.length,
    timeframe: replay.timeframe,
    fillOn: plan.fillOn,
    intervalMs: plan.intervalMs,
  });

  const outcome = await new Promise<{ readonly kind: 'signal'; readonly signal: string } | { readonly kind: 'failed'; readonly error: unknown }>((done) => {
    const unsubscribe = deps.stop.on((signal) => {
      unsubscribe();
      done({ kind: 'signal', signal });
    });
    replay.run({ intervalMs: plan.intervalMs }).then(
      () => {
        if (!replay.isDone) return; // stopped: the signal handler reports it
        const end = new Date(replay.now()).toISOString();
        io.out(`replay finished at ${end} (${replay.length} steps); still serving until stopped`);
        log.info('replay finished', { at: end, steps: replay.length });
      },
      (error: unknown) => {
        unsubscribe();
        done({ kind: 'failed', error });
      },
    );
  });
  replay.stop();
  const served = server.state.requests.length;
  const orders = server.state.orders().length;
  await server.close();
  if (outcome.kind === 'failed') {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    log.error('replay failed', { error: outcome.error });
    io.err(`error: the replay failed at step ${replay.position} of ${replay.length}: ${message}`);
    return 1;
  }
  log.info('fake alpaca stopped', { signal: outcome.signal, steps: replay.position, requests: served, orders });
  io.out(`stopped (${outcome.signal}) after ${replay.position} of ${replay.length} steps; ${plural(served, 'request')}, ${plural(orders, 'order')}`);
  return 0;
}

/**
 * The key pair the fake accepts: the one a client reading the same environment would send. Only
 * names are ever printed, never values.
 */
function fakeCredentials(env: Readonly<Record<string, string | undefined>>): { readonly keyId: string; readonly secretKey: string } {
  try {
    const { keyId, secretKey } = resolveAlpacaCredentials(env);
    return { keyId, secretKey };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const [first, ...others] = ALPACA_CREDENTIAL_ENV_NAMES;
    const [keyName, secretName] = first ?? ['ALPACA_API_KEY', 'ALPACA_SECRET_KEY'];
    throw new ConfigError(
      'credentials',
      `the fake accepts exactly the key pair in the environment, and none is set: set ${keyName} and ${secretName} to any values (e.g. ${keyName}=fake-key ${secretName}=fake-secret), or ${others.map(([k, s]) => `${k}/${s}`).join(' or ')}; clients use the same pair`,
    );
  }
}

function planFakeAlpaca(flags: FlagValues, cwd: string): FakeAlpacaPlan {
  const host = typeof flags['host'] === 'string' ? flags['host'].trim() : '127.0.0.1';
  if (host === '') throw new ConfigError('--host', 'is empty');
  const port = numberFlag(flags, 'port', 0);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError('--port', `must be a whole number 0..65535, got ${port}`);
  const seed = numberFlag(flags, 'seed', 42);
  if (!Number.isSafeInteger(seed)) throw new ConfigError('--seed', `must be a whole number, got ${seed}`);
  const intervalMs = numberFlag(flags, 'interval-ms', 1_000);
  if (!(intervalMs >= 0)) throw new ConfigError('--interval-ms', `must be ≥ 0, got ${intervalMs}`);
  const fillOn = flags['fill-on'] ?? 'bar';
  if (!FAKE_FILL_MODES.includes(fillOn as FakeFillMode)) throw new ConfigError('--fill-on', `'${String(fillOn)}' is not one of ${FAKE_FILL_MODES.join(', ')}`);
  const cash = numberFlag(flags, 'cash', 100_000);
  if (!(cash > 0)) throw new ConfigError('--cash', `must be positive, got ${cash}`);
  const maxFillQty = flags['max-fill-qty'] === undefined ? undefined : numberFlag(flags, 'max-fill-qty', 0);
  if (maxFillQty !== undefined && !(maxFillQty > 0)) throw new ConfigError('--max-fill-qty', `must be positive, got ${maxFillQty}`);
  const participation = flags['participation'] === undefined ? undefined : numberFlag(flags, 'participation', 0);
  if (participation !== undefined && !(participation > 0 && participation <= 1)) {
    throw new ConfigError('--participation', `must be a fraction 0 < f ≤ 1, got ${participation}`);
  }
  const rateLimitPerMinute = flags['rate-limit'] === undefined ? undefined : numberFlag(flags, 'rate-limit', 0);
  if (rateLimitPerMinute !== undefined && !(Number.isSafeInteger(rateLimitPerMinute) && rateLimitPerMinute >= 1)) {
    throw new ConfigError('--rate-limit', `must be a whole number ≥ 1, got ${rateLimitPerMinute}`);
  }
  const oneOrderReversals = flags['one-order-reversals'] === true;
  const faults = faultsFlag(flags);
  const symbols = symbolsFlag(flags);

  let universe: BarUniverse;
  let dataLabel: string;
  if (typeof flags['data'] === 'string') {
    if (flags['days'] !== undefined) throw new ConfigError('--days', 'applies to synthetic data only, not with --data');
    const loaded = loadBarPath(resolve(cwd, flags['data']));
    universe = alignUniverse(symbols === undefined ? loaded : selectSymbols(loaded, symbols));
    dataLabel = flags['data'];
  } else {
    const days = numberFlag(flags, 'days', 5);
    universe = generateSyntheticMinuteUniverse({ symbols: symbols ?? 3, sessions: days, seed });
    dataLabel = `synthetic minute bars (seed ${seed}, ${days} session${days === 1 ? '' : 's'})`;
  }
  if (universe.length === 0) throw new ConfigError('--data', 'has no bars to replay');
  return { host, port, universe, dataLabel, seed, intervalMs, fillOn: fillOn as FakeFillMode, cash, maxFillQty, participation, rateLimitPerMinute, oneOrderReversals, faults };
}

/** `--faults`: a JSON list (or one object) of `{"fault": name, ...arguments}`; the arguments are checked when applied. */
function faultsFlag(flags: FlagValues): readonly FakeFaultRequest[] {
  const text = flags['faults'];
  if (typeof text !== 'string') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new ConfigError('--faults', 'is not valid JSON: expected a list of {"fault": name, ...arguments}');
  }
  const list = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  return list.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || typeof (entry as { fault?: unknown }).fault !== 'string') {
      throw new ConfigError('--faults', `entry ${i} is not an object with a "fault" name`);
    }
    return entry as FakeFaultRequest;
  });
}

function numberFlag(flags: FlagValues, name: string, fallback: number): number {
  const value = flags[name];
  return typeof value === 'number' ? value : fallback;
}

function symbolsFlag(flags: FlagValues): readonly Ticker[] | undefined {
  const text = flags['symbols'];
  if (typeof text !== 'string') return undefined;
  const symbols = text.split(',').map((raw) => {
    const ticker = parseTicker(raw.trim().toUpperCase());
    if (ticker === undefined) throw new ConfigError('--symbols', `'${raw}' is not a ticker`);
    return ticker;
  });
  if (symbols.length === 0) throw new ConfigError('--symbols', 'is empty');
  return symbols;
}

/** A port in use or an address this machine does not have is the caller's to fix: exit 2. */
function listenError(error: unknown, plan: FakeAlpacaPlan): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') return new ConfigError('--port', `port ${plan.port} on ${plan.host} is in use; give another, or 0 for any free port`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ConfigError('--host', `cannot listen on '${plan.host}' (${String(code)})`);
  if (code === 'EACCES') return new ConfigError('--port', `not allowed to listen on port ${plan.port}`);
  return error;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
