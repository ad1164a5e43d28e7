import { ConfigError } from '@quantbot/core';
import { ALPACA_CREDENTIAL_ENV_NAMES, resolveAlpacaCredentials } from '@quantbot/alpaca';
import { FAKE_FAULT_NAMES, FakeMarketReplay, applyFakeFault, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer, FakeReplayStep } from '@quantbot/alpaca/fake';
import type { Logger } from '@quantbot/observability';
import type { StopSignal } from './stop-signal';
import { FAKE_ALPACA_FLAGS, planFakeAlpaca } from './fake-alpaca-plan';
import type { FakeAlpacaPlan } from './fake-alpaca-plan';
import type { CliIo } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

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
    sparseMinutes: plan.sparseMinutes,
    seed: plan.seed,
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
      ...(plan.streamConnectionsPerKey !== undefined ? { streamConnectionsPerKey: plan.streamConnectionsPerKey } : {}),
      ...(plan.streamAuthTimeoutMs !== undefined ? { streamAuthTimeoutMs: plan.streamAuthTimeoutMs } : {}),
      oneOrderReversals: plan.oneOrderReversals,
      orderLatency: plan.orderLatency,
      barDelivery: plan.barDelivery,
      ...(plan.keepAliveMs !== undefined ? { streamKeepAlive: { intervalMs: plan.keepAliveMs } } : {}),
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
