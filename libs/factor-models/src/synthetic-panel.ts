import { ConfigError, SeededRng } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { createFactorPanel, isIsoDate } from './factor-panel';

/** Options of {@link generateSyntheticPanel}. */
export interface SyntheticPanelOptions {
  /** The number of symbols (`S001`, `S002`...), at least 3. Default 50. */
  readonly symbols?: number;
  /** The number of dates (weekdays from `startDate`), at least 2. Default 252. */
  readonly dates?: number;
  /** The RNG seed. Default 1. */
  readonly seed?: number;
  /** The expected 1-period information coefficient of the `signal` factor, in (−1, 1). Default 0.05. */
  readonly ic?: number;
  /** The number of groups (`G1`...), symbol i in group 1 + (i mod groups). Default 5. */
  readonly groups?: number;
  /** The first date, `YYYY-MM-DD` (moved forward to a weekday). Default `2020-01-01`. */
  readonly startDate?: string;
  /** The daily volatility of the log returns. Default 0.02. */
  readonly volatility?: number;
}

/**
 * The expected sample Spearman correlation of n pairs from a bivariate normal with correlation
 * ρ: 6 / (π(n + 1)) · (arcsin ρ + (n − 2) · arcsin(ρ / 2)) (Moran, 1948). It tends to
 * (6/π)·arcsin(ρ/2) as n grows and is 1 at ρ = 1.
 */
export function expectedSpearman(rho: number, n: number): number {
  return (6 / (Math.PI * (n + 1))) * (Math.asin(rho) + (n - 2) * Math.asin(rho / 2));
}

/**
 * A seeded synthetic panel with a planted factor. For each date t and symbol s, independent
 * standard normals z (the `signal` factor), u (the `noise` factor) and e; the log return from t
 * to the next date is σ·(ρ·z + √(1 − ρ²)·e), so the closes are 100·exp(cumulated log returns).
 * ρ is chosen (by bisection) so that the expected Spearman correlation of n = `symbols` pairs,
 * {@link expectedSpearman}(ρ, n), equals `ic`: the expected 1-period IC of `signal` is `ic`, that
 * of `noise` is 0 (the last date has no forward return). A `group` column gives symbol i the
 * group `G{1 + (i mod groups)}`. The same options always give the same panel.
 */
export function generateSyntheticPanel(options: SyntheticPanelOptions = {}): FactorPanel {
  const symbols = options.symbols ?? 50;
  const dates = options.dates ?? 252;
  const ic = options.ic ?? 0.05;
  const groups = options.groups ?? 5;
  const volatility = options.volatility ?? 0.02;
  const startDate = options.startDate ?? '2020-01-01';
  if (!Number.isInteger(symbols) || symbols < 3) throw new ConfigError('symbols', `must be a whole number of at least 3, got ${symbols}`);
  if (!Number.isInteger(dates) || dates < 2) throw new ConfigError('dates', `must be a whole number of at least 2, got ${dates}`);
  if (!(ic > -1 && ic < 1)) throw new ConfigError('ic', `must be in (-1, 1), got ${ic}`);
  if (!Number.isInteger(groups) || groups < 1) throw new ConfigError('groups', `must be a whole number of at least 1, got ${groups}`);
  if (!(volatility > 0 && volatility < 1)) throw new ConfigError('volatility', `must be in (0, 1), got ${volatility}`);
  if (!isIsoDate(startDate)) throw new ConfigError('startDate', `must be a date written YYYY-MM-DD, got '${startDate}'`);

  const rho = plantedCorrelation(ic, symbols);
  const rng = new SeededRng(options.seed ?? 1);
  const calendar = weekdays(startDate, dates);
  const names = Array.from({ length: symbols }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);
  const rows = symbols * dates;
  const date: string[] = new Array<string>(rows);
  const symbol: string[] = new Array<string>(rows);
  const group: string[] = new Array<string>(rows);
  const close = new Float64Array(rows);
  const signal = new Float64Array(rows);
  const noise = new Float64Array(rows);
  const level = new Float64Array(symbols).fill(100);
  for (let t = 0; t < dates; t++) {
    for (let s = 0; s < symbols; s++) {
      const row = t * symbols + s;
      date[row] = calendar[t] as string;
      symbol[row] = names[s] as string;
      group[row] = `G${1 + (s % groups)}`;
      close[row] = level[s] as number;
      const z = rng.nextNormal();
      const u = rng.nextNormal();
      const e = rng.nextNormal();
      signal[row] = z;
      noise[row] = u;
      level[s] = (level[s] as number) * Math.exp(volatility * (rho * z + Math.sqrt(1 - rho * rho) * e));
    }
  }
  return createFactorPanel({ date, symbol, close, factors: { signal, noise }, group });
}

/** The ρ in (−1, 1) whose expected Spearman correlation over n pairs is `ic`. */
function plantedCorrelation(ic: number, n: number): number {
  let lo = -1;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (expectedSpearman(mid, n) < ic) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** `count` weekdays starting at `start` (or the next weekday). */
function weekdays(start: string, count: number): string[] {
  const out: string[] = [];
  const day = new Date(`${start}T00:00:00Z`);
  while (out.length < count) {
    const weekday = day.getUTCDay();
    if (weekday !== 0 && weekday !== 6) out.push(day.toISOString().slice(0, 10));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return out;
}
