import { ConfigError } from '@quantbot/core';

/** The units of an Alpaca bar timeframe. */
export type AlpacaTimeframeUnit = 'Min' | 'Hour' | 'Day' | 'Week' | 'Month';

/**
 * A validated bar timeframe of Alpaca's Market Data API v2. `text` is the canonical spelling
 * sent to Alpaca (`5Min`, `1Hour`, `1Day`, `1Week`, `3Month`).
 */
export interface AlpacaTimeframe {
  readonly amount: number;
  readonly unit: AlpacaTimeframeUnit;
  readonly text: string;
  /** Day, week and month bars are dated by session; minute and hour bars are instants. */
  readonly isDaily: boolean;
}

const UNIT_ALIASES: Readonly<Record<string, AlpacaTimeframeUnit>> = {
  Min: 'Min',
  T: 'Min',
  Hour: 'Hour',
  H: 'Hour',
  Day: 'Day',
  D: 'Day',
  Week: 'Week',
  W: 'Week',
  Month: 'Month',
  M: 'Month',
};

const MONTH_AMOUNTS = [1, 2, 3, 4, 6, 12];

/** What Alpaca documents as valid, for error messages. */
export const ALPACA_TIMEFRAME_HELP = '[1-59]Min (or T), [1-23]Hour (or H), 1Day (or D), 1Week (or W), [1,2,3,4,6,12]Month (or M)';

/**
 * Parses an Alpaca bar timeframe as the Market Data API documents it: `[1-59]Min` / `T`,
 * `[1-23]Hour` / `H`, `1Day` / `D`, `1Week` / `W`, `[1,2,3,4,6,12]Month` / `M` (`15Min`, `15T`,
 * `1D`). Throws a `ConfigError` (key `timeframe`) naming the value otherwise, so a typo is caught
 * before a request is sent.
 */
export function parseAlpacaTimeframe(value: string): AlpacaTimeframe {
  const match = /^([1-9]\d{0,2})([A-Za-z]+)$/.exec(value.trim());
  const unit = match === null ? undefined : UNIT_ALIASES[match[2] as string];
  const amount = match === null ? NaN : Number(match[1]);
  const valid =
    unit !== undefined &&
    ((unit === 'Min' && amount <= 59) ||
      (unit === 'Hour' && amount <= 23) ||
      ((unit === 'Day' || unit === 'Week') && amount === 1) ||
      (unit === 'Month' && MONTH_AMOUNTS.includes(amount)));
  if (!valid || unit === undefined) {
    throw new ConfigError('timeframe', `'${value}' is not an Alpaca timeframe; use ${ALPACA_TIMEFRAME_HELP}`);
  }
  return Object.freeze({ amount, unit, text: `${amount}${unit}`, isDaily: unit === 'Day' || unit === 'Week' || unit === 'Month' });
}
