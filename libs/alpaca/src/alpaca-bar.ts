import { AlpacaProtocolError } from './alpaca-types';

/**
 * A bar as Alpaca's Market Data API v2 sends it: `t` is the start of the bar (RFC-3339, UTC;
 * a daily bar starts at 00:00 America/New_York), prices and volume are JSON numbers, `n` the
 * number of trades, `vw` the volume-weighted average price.
 */
export interface AlpacaBarWire {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  vw: number;
}

/** Start time in epoch ms UTC, prices and volume as numbers: what every bar shape here shares. */
export interface OhlcvValues {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** A parsed market-data bar (REST). */
export interface AlpacaBar extends OhlcvValues {
  readonly tradeCount: number;
  readonly vwap: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses one bar; `field` names it in errors (`bars.AAPL[3]`), and a bad value throws an
 * `AlpacaProtocolError` naming the exact field (`bars.AAPL[3].o`). Every field is required;
 * numbers must be finite JSON numbers (Alpaca's market data never quotes them, unlike the
 * Trading API), the time an RFC-3339 timestamp.
 */
export function parseAlpacaBar(raw: unknown, field: string): AlpacaBar {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AlpacaProtocolError(field, `expected a bar object, got ${describe(raw)}`);
  }
  const w = raw as Record<string, unknown>;
  const t = w['t'];
  const time = typeof t === 'string' && RFC3339.test(t) ? Date.parse(t) : NaN;
  if (!Number.isFinite(time)) throw new AlpacaProtocolError(`${field}.t`, `expected an RFC-3339 timestamp, got ${describe(t)}`);
  const number = (key: string): number => {
    const value = w[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    throw new AlpacaProtocolError(`${field}.${key}`, `expected a finite JSON number, got ${describe(value)}`);
  };
  return Object.freeze({
    time,
    open: number('o'),
    high: number('h'),
    low: number('l'),
    close: number('c'),
    volume: number('v'),
    tradeCount: number('n'),
    vwap: number('vw'),
  });
}

/** Formats a bar for the wire (the fake server's side of `parseAlpacaBar`). */
export function toAlpacaBarWire(bar: AlpacaBar): AlpacaBarWire {
  return {
    t: new Date(bar.time).toISOString().replace(/\.000Z$/, 'Z'),
    o: bar.open,
    h: bar.high,
    l: bar.low,
    c: bar.close,
    v: bar.volume,
    n: bar.tradeCount,
    vw: bar.vwap,
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
