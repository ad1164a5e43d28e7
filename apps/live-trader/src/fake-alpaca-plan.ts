import { resolve } from 'node:path';
import type { BarUniverse, Ticker } from '@quantbot/core';
import { ConfigError, parseTicker } from '@quantbot/core';
import { FAKE_FAULT_NAMES, FAKE_FILL_MODES } from '@quantbot/alpaca/fake';
import type { FakeFaultRequest, FakeFillMode, FakeOrderLatency } from '@quantbot/alpaca/fake';
import { alignUniverse, loadBarPath, selectSymbols } from '@quantbot/market-data';
import type { FlagSpec, FlagValues } from '@quantbot/cli';
import { MINUTES_PER_SESSION, generateSyntheticMinuteUniverse } from './synthetic-minute-bars';

// The flags of `live-trader fake-alpaca` and what they resolve to.

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
  { name: 'stream-connections', kind: 'number', valueName: 'n', description: 'open connections the key may hold on each stream endpoint (default 1, as Alpaca): a second trade_updates one gets HTTP 429, a second market-data one error 406' },
  { name: 'stream-auth-timeout-ms', kind: 'number', valueName: 'ms', description: 'real ms a market-data connection has to authenticate before error 404 auth timeout (default 10000, as Alpaca)' },
  {
    name: 'order-latency',
    kind: 'string',
    valueName: 'accept=ms,cancel=ms,replace=ms',
    description: 'ms of the replay clock orders spend pending_new, pending_cancel and pending_replace (default 0: immediate; a part left out is 0); a fill during a pending cancel wins',
  },
  { name: 'sparse-minutes', kind: 'number', valueName: 'fraction', description: 'leave out this fraction of the symbol-minutes, 0 ≤ f < 1, as the IEX feed has no bar for a minute without trades: neither streamed nor in REST history (seeded by --seed; default 0)' },
  { name: 'late-bars', kind: 'number', valueName: 'fraction', description: 'stream this fraction of the bars late, after a later minute\'s bar of another symbol, 0 ≤ f ≤ 1 (seeded; default 0)' },
  { name: 'duplicate-bars', kind: 'number', valueName: 'fraction', description: 'stream this fraction of the bars twice, 0 ≤ f ≤ 1 (seeded; default 0)' },
  { name: 'reorder-bars', kind: 'number', valueName: 'fraction', description: 'stream this fraction of the bars after their symbol\'s next bar (minute t after t+1), 0 ≤ f ≤ 1 (seeded; default 0)' },
  { name: 'keep-alive-ms', kind: 'number', valueName: 'ms', description: 'send a WebSocket ping on every stream connection this often, in real ms (default: none)' },
  { name: 'one-order-reversals', kind: 'boolean', description: 'accept a sell beyond the shares held and reverse the position, as a backtest does (Alpaca refuses it with 403; default: refused)' },
  {
    name: 'faults',
    kind: 'string',
    valueName: 'json',
    description: `faults to apply at start, a JSON list of {"fault": name, ...arguments}, e.g. [{"fault":"fail-next","n":3,"status":503,"route":"POST /v2/orders"}]; names: ${FAKE_FAULT_NAMES.join(', ')}; the same as POST /__admin/faults/{name}`,
  },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

export interface FakeAlpacaPlan {
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
  readonly streamConnectionsPerKey: number | undefined;
  readonly streamAuthTimeoutMs: number | undefined;
  readonly oneOrderReversals: boolean;
  readonly orderLatency: FakeOrderLatency;
  readonly faults: readonly FakeFaultRequest[];
  /** Fraction of symbol-minutes left out of the replay (0: none). */
  readonly sparseMinutes: number;
  /** Fractions of the streamed bars sent late, twice, out of order. */
  readonly barDelivery: { readonly late: number; readonly duplicate: number; readonly reorder: number };
  /** Real ms between keep-alive pings; undefined: none. */
  readonly keepAliveMs: number | undefined;
}

export function planFakeAlpaca(flags: FlagValues, cwd: string): FakeAlpacaPlan {
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
  const streamConnectionsPerKey = flags['stream-connections'] === undefined ? undefined : numberFlag(flags, 'stream-connections', 0);
  if (streamConnectionsPerKey !== undefined && !(Number.isSafeInteger(streamConnectionsPerKey) && streamConnectionsPerKey >= 1)) {
    throw new ConfigError('--stream-connections', `must be a whole number ≥ 1, got ${streamConnectionsPerKey}`);
  }
  const streamAuthTimeoutMs = flags['stream-auth-timeout-ms'] === undefined ? undefined : numberFlag(flags, 'stream-auth-timeout-ms', 0);
  if (streamAuthTimeoutMs !== undefined && !(Number.isFinite(streamAuthTimeoutMs) && streamAuthTimeoutMs > 0)) {
    throw new ConfigError('--stream-auth-timeout-ms', `must be a positive number of ms, got ${streamAuthTimeoutMs}`);
  }
  const oneOrderReversals = flags['one-order-reversals'] === true;
  const orderLatency = orderLatencyFlag(flags);
  const sparseMinutes = numberFlag(flags, 'sparse-minutes', 0);
  if (!(sparseMinutes >= 0 && sparseMinutes < 1)) throw new ConfigError('--sparse-minutes', `must be a fraction 0 ≤ f < 1, got ${sparseMinutes}`);
  const fraction = (name: string): number => {
    const f = numberFlag(flags, name, 0);
    if (!(f >= 0 && f <= 1)) throw new ConfigError(`--${name}`, `must be a fraction 0 ≤ f ≤ 1, got ${f}`);
    return f;
  };
  const barDelivery = { late: fraction('late-bars'), duplicate: fraction('duplicate-bars'), reorder: fraction('reorder-bars') };
  const keepAliveMs = flags['keep-alive-ms'] === undefined ? undefined : numberFlag(flags, 'keep-alive-ms', 0);
  if (keepAliveMs !== undefined && !(keepAliveMs > 0 && Number.isFinite(keepAliveMs))) throw new ConfigError('--keep-alive-ms', `must be a positive number of ms, got ${keepAliveMs}`);
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
  return { host, port, universe, dataLabel, seed, intervalMs, fillOn: fillOn as FakeFillMode, cash, maxFillQty, participation, rateLimitPerMinute, streamConnectionsPerKey, streamAuthTimeoutMs, oneOrderReversals, orderLatency, faults, sparseMinutes, barDelivery, keepAliveMs };
}

const LATENCY_PARTS: Readonly<Record<string, keyof FakeOrderLatency>> = { accept: 'acceptMs', cancel: 'cancelMs', replace: 'replaceMs' };

/** `--order-latency accept=200,cancel=500,replace=500`: each part at most once, ms ≥ 0; a part left out is 0. */
function orderLatencyFlag(flags: FlagValues): FakeOrderLatency {
  const latency: Record<keyof FakeOrderLatency, number> = { acceptMs: 0, cancelMs: 0, replaceMs: 0 };
  const text = flags['order-latency'];
  if (typeof text !== 'string') return latency;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const [name = '', value, ...rest] = part.trim().split('=');
    const key = LATENCY_PARTS[name];
    if (key === undefined || value === undefined || rest.length > 0) {
      throw new ConfigError('--order-latency', `'${part.trim()}' is not one of accept=ms, cancel=ms, replace=ms`);
    }
    if (seen.has(name)) throw new ConfigError('--order-latency', `${name} is given twice`);
    seen.add(name);
    const ms = value.trim() === '' ? NaN : Number(value);
    if (!(Number.isFinite(ms) && ms >= 0)) throw new ConfigError('--order-latency', `${name}: must be a number of ms ≥ 0, got '${value}'`);
    latency[key] = ms;
  }
  return latency;
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
