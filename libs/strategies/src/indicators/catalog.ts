import { ConfigError, DataError } from '@quantbot/core';
import { Atr } from './atr';
import { BollingerBands } from './bollinger-bands';
import { Ema } from './ema';
import type { HlcIndicator, PriceIndicator } from './indicator';
import { Macd } from './macd';
import { Rsi } from './rsi';
import { Sma } from './sma';
import { Smma } from './smma';
import { Stochastic } from './stochastic';
import { assertFiniteInput } from './validation';
import { Wma } from './wma';

/** What an indicator reads from each bar: the close only, or high, low and close. */
export type IndicatorInput = 'close' | 'hlc';

/** One numeric parameter of a catalogued indicator. */
export interface IndicatorParamSpec {
  readonly name: string;
  readonly default: number;
  /** True when the value must be a whole number (periods). */
  readonly integer: boolean;
  /** Smallest accepted value (inclusive). */
  readonly min: number;
}

/** The description of one indicator for a command-line tool: parameters, output lines, input. */
export interface IndicatorCatalogEntry {
  readonly name: string;
  readonly description: string;
  readonly params: readonly IndicatorParamSpec[];
  /** Names of the output lines, in the order `computeIndicatorSeries` returns them. */
  readonly lines: readonly string[];
  readonly input: IndicatorInput;
}

/** Names of the catalogued indicators. */
export type IndicatorName = 'sma' | 'ema' | 'wma' | 'smma' | 'rsi' | 'atr' | 'bollinger' | 'macd' | 'stochastic';

/** Price columns of a series, oldest first; only the first `length` entries are read. */
export interface IndicatorColumns {
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly length: number;
}

/** An indicator's output over a series: one array per line, NaN during warm-up. */
export interface IndicatorSeries {
  readonly lines: readonly string[];
  readonly values: readonly Float64Array[];
}

function period(def: number, min = 1): IndicatorParamSpec {
  return Object.freeze({ name: 'period', default: def, integer: true, min });
}

function entry(
  name: IndicatorName,
  description: string,
  params: readonly IndicatorParamSpec[],
  lines: readonly string[],
  input: IndicatorInput,
): IndicatorCatalogEntry {
  return Object.freeze({ name, description, params: Object.freeze(params), lines: Object.freeze(lines), input });
}

/**
 * Every indicator a command-line tool can compute, by name. Defaults follow backtrader
 * (moving averages 30 bars, RSI and ATR 14, Bollinger 20 and 2, MACD 12/26/9, stochastic
 * 14/3/3). Periods are in bars.
 */
export const INDICATOR_CATALOG: Readonly<Record<IndicatorName, IndicatorCatalogEntry>> = Object.freeze({
  sma: entry('sma', 'simple moving average of the close', [period(30)], ['sma'], 'close'),
  ema: entry('ema', 'exponential moving average of the close, alpha 2/(period+1), SMA-seeded', [period(30)], ['ema'], 'close'),
  wma: entry('wma', 'linearly weighted moving average of the close, newest weight = period', [period(30)], ['wma'], 'close'),
  smma: entry('smma', "Wilder's smoothed moving average of the close, alpha 1/period, SMA-seeded", [period(30)], ['smma'], 'close'),
  rsi: entry('rsi', "Wilder's relative strength index of the close, 0..100", [period(14)], ['rsi'], 'close'),
  atr: entry('atr', "Wilder's average true range, price units", [period(14)], ['atr'], 'hlc'),
  bollinger: entry(
    'bollinger',
    'Bollinger Bands: SMA of the close ± devfactor population standard deviations',
    [period(20), Object.freeze({ name: 'devfactor', default: 2, integer: false, min: 0 })],
    ['mid', 'upper', 'lower'],
    'close',
  ),
  macd: entry(
    'macd',
    'MACD: EMA(fast) − EMA(slow) of the close, its EMA(signal) and the difference (fast < slow)',
    [
      Object.freeze({ name: 'fast', default: 12, integer: true, min: 1 }),
      Object.freeze({ name: 'slow', default: 26, integer: true, min: 2 }),
      Object.freeze({ name: 'signal', default: 9, integer: true, min: 1 }),
    ],
    ['macd', 'signal', 'histogram'],
    'close',
  ),
  stochastic: entry(
    'stochastic',
    'slow stochastic oscillator: %K smoothed by SMA(smoothK), %D = SMA(smoothD) of %K',
    [
      period(14),
      Object.freeze({ name: 'smoothK', default: 3, integer: true, min: 1 }),
      Object.freeze({ name: 'smoothD', default: 3, integer: true, min: 1 }),
    ],
    ['k', 'd'],
    'hlc',
  ),
});

function has(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

function describeSpecs(specs: readonly IndicatorParamSpec[]): string {
  return specs
    .map((s) => `${s.name} (${s.integer ? 'integer' : 'number'} >= ${s.min}, default ${s.default})`)
    .join(', ');
}

/** Checks `params` against the entry's specs and fills in defaults (`ConfigError` on any problem). */
function resolve(entry: IndicatorCatalogEntry, params: Readonly<Record<string, number>>): Record<string, number> {
  const known = entry.params.map((s) => s.name);
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) {
      throw new ConfigError(`${entry.name}.${key}`, `unknown parameter; ${entry.name} has: ${describeSpecs(entry.params)}`);
    }
  }
  const out: Record<string, number> = {};
  for (const spec of entry.params) {
    const given = has(params, spec.name) ? params[spec.name] : undefined;
    const value = given ?? spec.default;
    const key = `${entry.name}.${spec.name}`;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(key, `${String(value)} is not a finite number`);
    if (spec.integer && !Number.isInteger(value)) throw new ConfigError(key, `${value} is not an integer`);
    if (value < spec.min) throw new ConfigError(key, `${value} is below the minimum ${spec.min}`);
    out[spec.name] = value;
  }
  return out;
}

function num(values: Record<string, number>, key: string): number {
  return values[key] as number;
}

/** Builds the indicator and returns a step that feeds bar `i` and writes line values at `i`. */
function stepper(name: IndicatorName, p: Record<string, number>, cols: IndicatorColumns, out: Float64Array[]): (i: number) => void {
  const { high, low, close } = cols;
  const [a, b, c] = out as [Float64Array, Float64Array, Float64Array];
  // Price indicators call their input `value`; checking here names the column instead.
  const closeAt = (i: number): number => {
    const v = close[i] as number;
    assertFiniteInput('close', v);
    return v;
  };
  const single = (ind: PriceIndicator & { readonly value: number }) => (i: number) => {
    ind.update(closeAt(i));
    a[i] = ind.value;
  };
  switch (name) {
    case 'sma':
      return single(new Sma(num(p, 'period')));
    case 'ema':
      return single(new Ema(num(p, 'period')));
    case 'wma':
      return single(new Wma(num(p, 'period')));
    case 'smma':
      return single(new Smma(num(p, 'period')));
    case 'rsi':
      return single(new Rsi(num(p, 'period')));
    case 'atr': {
      const atr: HlcIndicator & { readonly value: number } = new Atr(num(p, 'period'));
      return (i) => {
        atr.update(high[i] as number, low[i] as number, close[i] as number);
        a[i] = atr.value;
      };
    }
    case 'bollinger': {
      const bb = new BollingerBands(num(p, 'period'), num(p, 'devfactor'));
      return (i) => {
        bb.update(closeAt(i));
        a[i] = bb.mid;
        b[i] = bb.upper;
        c[i] = bb.lower;
      };
    }
    case 'macd': {
      const macd = new Macd(num(p, 'fast'), num(p, 'slow'), num(p, 'signal'));
      return (i) => {
        macd.update(closeAt(i));
        a[i] = macd.macd;
        b[i] = macd.signal;
        c[i] = macd.histogram;
      };
    }
    case 'stochastic': {
      const st = new Stochastic(num(p, 'period'), num(p, 'smoothK'), num(p, 'smoothD'));
      return (i) => {
        st.update(high[i] as number, low[i] as number, close[i] as number);
        a[i] = st.k;
        b[i] = st.d;
      };
    }
  }
}

/**
 * Runs the named indicator over the first `columns.length` bars and returns one Float64Array
 * per line (named as in the catalog entry), NaN during warm-up. Missing parameters take their
 * defaults. An unknown indicator or parameter, or a bad value, is a `ConfigError` listing what
 * exists; a column shorter than `length`, a non-finite value or a bar with high < low is a
 * `DataError` naming the row (0-based).
 */
export function computeIndicatorSeries(
  name: string,
  params: Readonly<Record<string, number>>,
  columns: IndicatorColumns,
): IndicatorSeries {
  if (!has(INDICATOR_CATALOG, name)) {
    throw new ConfigError('indicator', `unknown indicator '${name}'; known: ${Object.keys(INDICATOR_CATALOG).join(', ')}`);
  }
  const id = name as IndicatorName;
  const spec = INDICATOR_CATALOG[id];
  const values = resolve(spec, params);
  const n = columns.length;
  if (!Number.isInteger(n) || n < 0) throw new DataError(`length must be a whole number, got ${n}`);
  const used: readonly ('high' | 'low' | 'close')[] = spec.input === 'hlc' ? ['high', 'low', 'close'] : ['close'];
  for (const field of used) {
    if (columns[field].length < n) {
      throw new DataError(`column has ${columns[field].length} values, fewer than length ${n}`, { field });
    }
  }
  const out = spec.lines.map(() => new Float64Array(n).fill(NaN));
  const step = stepper(id, values, columns, out);
  let i = 0;
  try {
    for (; i < n; i++) step(i);
  } catch (err: unknown) {
    // The indicator names the field; only this loop knows the row.
    if (err instanceof DataError) throw new DataError(`row ${i}: ${err.message}`, {}, { cause: err });
    throw err;
  }
  return Object.freeze({ lines: spec.lines, values: Object.freeze(out) });
}
