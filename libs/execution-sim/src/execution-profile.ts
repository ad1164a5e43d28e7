import { ConfigError } from '@quantbot/core';

/** The names of the shipped execution profiles. */
export type ExecutionProfileName = 'idealistic' | 'realistic' | 'stressed';

/**
 * Which of a bracket's legs fills when one bar touches both its take-profit and its stop-loss.
 * - `stop-first`: the stop-loss (the conservative assumption).
 * - `target-first`: the take-profit (the optimistic one).
 * - `ohlc`: the bar is assumed to travel open → low → high → close when it closes at or above
 *   its open, and open → high → low → close otherwise; the leg on the first extreme fills.
 */
export type IntrabarPath = 'stop-first' | 'target-first' | 'ohlc';

/**
 * Every parameter of the execution simulator. Prices move against the order by
 * `slippageBps + halfSpreadBps + impact` on market and triggered stop fills, where impact in bps
 * is `impactK · σ · √(qty / ADV) · 10⁴` with σ the standard deviation of daily close-to-close
 * returns and ADV the average daily volume, both over the `lookbackBars` bars before the fill.
 * A slipped price never leaves the bar's high–low range.
 */
export interface ExecutionProfile {
  readonly name: string;
  /** Fixed adverse slippage, basis points of price. */
  readonly slippageBps: number;
  /** Half the bid–ask spread, paid by market and stop orders, basis points of price. */
  readonly halfSpreadBps: number;
  /** Square-root market impact coefficient k (0 turns impact off). */
  readonly impactK: number;
  /** Largest share of a bar's volume one order may take (Infinity: no cap). */
  readonly maxParticipation: number;
  /** Delay from decision to arrival at the broker, in milliseconds of the clock. */
  readonly latencyMs: number;
  /** Probability that an arriving order is rejected for lack of liquidity (seeded draws). */
  readonly rejectProbability: number;
  /** Fees: per share, basis points of notional, and the minimum per order, in currency. */
  readonly feePerShare: number;
  readonly feeBps: number;
  readonly feeMinimum: number;
  readonly intrabarPath: IntrabarPath;
  /** `touch`: a limit fills when the bar reaches its price; `through`: only when it trades beyond. */
  readonly limitFill: 'touch' | 'through';
  /** Bars before the fill used for σ and ADV. */
  readonly lookbackBars: number;
}

/** The shipped profiles. `realistic` is documented in docs/execution.md with its sources. */
export const EXECUTION_PROFILES: Readonly<Record<ExecutionProfileName, ExecutionProfile>> = Object.freeze({
  idealistic: Object.freeze({
    name: 'idealistic',
    slippageBps: 0,
    halfSpreadBps: 0,
    impactK: 0,
    maxParticipation: Number.POSITIVE_INFINITY,
    latencyMs: 0,
    rejectProbability: 0,
    feePerShare: 0,
    feeBps: 0,
    feeMinimum: 0,
    intrabarPath: 'ohlc',
    limitFill: 'touch',
    lookbackBars: 20,
  }),
  realistic: Object.freeze({
    name: 'realistic',
    slippageBps: 1,
    halfSpreadBps: 2,
    impactK: 0.1,
    maxParticipation: 0.1,
    latencyMs: 100,
    rejectProbability: 0,
    feePerShare: 0.005,
    feeBps: 0,
    feeMinimum: 1,
    intrabarPath: 'stop-first',
    limitFill: 'through',
    lookbackBars: 20,
  }),
  stressed: Object.freeze({
    name: 'stressed',
    slippageBps: 5,
    halfSpreadBps: 10,
    impactK: 0.5,
    maxParticipation: 0.02,
    latencyMs: 1_000,
    rejectProbability: 0.02,
    feePerShare: 0.01,
    feeBps: 0,
    feeMinimum: 2,
    intrabarPath: 'stop-first',
    limitFill: 'through',
    lookbackBars: 20,
  }),
});

const NUMERIC_KEYS = [
  'slippageBps',
  'halfSpreadBps',
  'impactK',
  'maxParticipation',
  'latencyMs',
  'rejectProbability',
  'feePerShare',
  'feeBps',
  'feeMinimum',
  'lookbackBars',
] as const;

/** The names of every overridable parameter. */
export const EXECUTION_PARAMETER_NAMES: readonly string[] = Object.freeze([...NUMERIC_KEYS, 'intrabarPath', 'limitFill']);

/**
 * The profile `name` with `overrides` applied (strings from a command line, or typed values).
 * Unknown profiles, unknown parameters and out-of-range values are `ConfigError`s keyed
 * `executionProfile` or `execution.<parameter>` that list what exists. `maxParticipation` accepts `none` or `Infinity` for no cap.
 */
export function resolveExecutionProfile(
  name: string,
  overrides: Readonly<Record<string, string | number>> = {},
): ExecutionProfile {
  const base = Object.prototype.hasOwnProperty.call(EXECUTION_PROFILES, name)
    ? (EXECUTION_PROFILES as Readonly<Record<string, ExecutionProfile>>)[name]
    : undefined;
  if (base === undefined) {
    throw new ConfigError('executionProfile', `unknown profile '${name}'; available: ${Object.keys(EXECUTION_PROFILES).join(', ')}`);
  }
  const out: Record<string, string | number> = { ...base };
  for (const [key, raw] of Object.entries(overrides)) {
    if (!EXECUTION_PARAMETER_NAMES.includes(key)) {
      throw new ConfigError(`execution.${key}`, `unknown execution parameter; known: ${EXECUTION_PARAMETER_NAMES.join(', ')}`);
    }
    if (key === 'intrabarPath') {
      if (raw !== 'stop-first' && raw !== 'target-first' && raw !== 'ohlc') throw new ConfigError(`execution.${key}`, `'${raw}' is not stop-first, target-first or ohlc`);
      out[key] = raw;
    } else if (key === 'limitFill') {
      if (raw !== 'touch' && raw !== 'through') throw new ConfigError(`execution.${key}`, `'${raw}' is not touch or through`);
      out[key] = raw;
    } else {
      const value = key === 'maxParticipation' && (raw === 'none' || raw === 'Infinity') ? Number.POSITIVE_INFINITY : typeof raw === 'number' ? raw : raw.trim() === '' ? NaN : Number(raw);
      out[key] = checkNumber(key, value);
    }
  }
  return Object.freeze(out) as unknown as ExecutionProfile;
}

function checkNumber(key: string, value: number): number {
  const where = `execution.${key}`;
  if (Number.isNaN(value)) throw new ConfigError(where, 'is not a number');
  if (value < 0) throw new ConfigError(where, `must not be negative, got ${value}`);
  if (key === 'maxParticipation' && value === 0) throw new ConfigError(where, 'must be above 0 (use none for no cap)');
  if (key === 'rejectProbability' && value > 1) throw new ConfigError(where, `is a probability, got ${value}`);
  if (key !== 'maxParticipation' && !Number.isFinite(value)) throw new ConfigError(where, `must be finite, got ${value}`);
  if (key === 'lookbackBars' && (!Number.isInteger(value) || value < 2)) throw new ConfigError(where, `must be an integer of at least 2, got ${value}`);
  return value;
}

/** The parameters as a JSON-safe object (`maxParticipation: null` for no cap). */
export function describeExecutionProfile(profile: ExecutionProfile): Readonly<Record<string, string | number | null>> {
  return Object.freeze({
    ...profile,
    maxParticipation: Number.isFinite(profile.maxParticipation) ? profile.maxParticipation : null,
  });
}
