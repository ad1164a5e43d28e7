import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataError } from '@quantbot/core';
import type { BarUniverse, OrderEventRecord } from '@quantbot/core';
import type { BookFill, RunReportMarket, RunReportSymbolPrices } from '@quantbot/observability/report';
import type { RunData } from '@quantbot/observability';
import type { ChartIndicator, ParamValues, StrategyDefinition } from '@quantbot/strategies';
import { STRATEGY_DEFINITIONS, computeIndicatorSeries } from '@quantbot/strategies';
import { hashData } from './backtest-run-folder';
import type { BacktestRunConfig } from './backtest-run';
import { loadRunData } from './run-data';

/**
 * The prices of a recorded backtest for its report, loaded as the run loaded them (its recorded
 * configuration, from its recorded working folder) and checked against the manifest: bar files
 * must hash as recorded; synthetic data is made again from its seed and size. With the bars come
 * the run's fills (from `orders.jsonl`) and, for a shipped strategy that declares them
 * (`StrategyDefinition.chartIndicators`), its indicators over each symbol's bars.
 *
 * @throws DataError naming the file when the data is gone or its hash differs from the
 *   manifest's, or when the manifest has no working folder to resolve the data from.
 */
export function loadRunMarket(run: RunData, config: BacktestRunConfig): RunReportMarket {
  const { manifest } = run;
  const parameters = manifest.parameters as { readonly cwd?: unknown; readonly strategy?: unknown; readonly params?: unknown } | null;
  const cwd = typeof parameters?.cwd === 'string' ? parameters.cwd : undefined;
  if (cwd === undefined) throw new DataError(`run ${manifest.runId}: the manifest has no parameters.cwd, so its data cannot be found`, { file: 'manifest.json' });
  let source: string;
  if (config.data !== undefined) {
    const path = resolve(cwd, config.data);
    if (!existsSync(path)) throw new DataError(`the run's data is gone (recorded as ${config.data} in ${cwd})`, { file: path });
    const now = hashData(path);
    if (now?.sha256 !== manifest.dataHash) {
      const recorded = new Map((manifest.dataFiles ?? []).map((f) => [f.name, f.sha256]));
      const changed = (now?.files ?? []).filter((f) => recorded.get(f.name) !== f.sha256).map((f) => f.name);
      throw new DataError(
        `the run's data has changed since the run: it hashes to ${String(now?.sha256).slice(0, 12)}…, the manifest recorded ${String(manifest.dataHash).slice(0, 12)}…${changed.length > 0 ? ` (changed or new: ${changed.join(', ')})` : ''}`,
        { file: path },
      );
    }
    source = `${config.data}, sha256 ${String(manifest.dataHash).slice(0, 12)}… as recorded`;
  } else {
    source = `synthetic data made again from the run's seed (${String(config.seed ?? 42)}) and size`;
  }
  const { universe } = loadRunData(config, { cwd });
  return marketFromUniverse(universe, run.orders, parameters?.strategy, parameters?.params, source);
}

/**
 * The report's prices from a run's universe and order journal: each symbol's bars (where it has
 * one), the strategy's chart indicators over them (`strategy` and `params` as the manifest records
 * them) and the fills.
 */
export function marketFromUniverse(universe: BarUniverse, orders: readonly OrderEventRecord[], strategy: unknown, params: unknown, source: string): RunReportMarket {
  const indicators = chartIndicatorsOf(strategy, params);
  const symbols: RunReportSymbolPrices[] = universe.symbols.map((symbol, s) => {
    const time: number[] = [];
    const high: number[] = [];
    const low: number[] = [];
    const close: number[] = [];
    for (let k = 0; k < universe.length; k++) {
      const at = s * universe.length + k;
      if (universe.hasBar[at] !== 1) continue;
      time.push(universe.time[k] as number);
      high.push(universe.high[at] as number);
      low.push(universe.low[at] as number);
      close.push(universe.close[at] as number);
    }
    const columns = { high: Float64Array.from(high), low: Float64Array.from(low), close: Float64Array.from(close), length: close.length };
    return {
      symbol,
      time: Float64Array.from(time),
      high: columns.high,
      low: columns.low,
      close: columns.close,
      indicators: indicators.map((ind) => ({ name: ind.label, values: computeIndicatorSeries(ind.indicator, ind.params, columns).values[0] ?? new Float64Array(columns.length).fill(NaN) })),
    };
  });
  return { source, symbols, fills: journalFills(orders) };
}

/** The fills of an order journal in its order, buys positive and sells negative. */
export function journalFills(orders: readonly OrderEventRecord[]): readonly BookFill[] {
  const fills: BookFill[] = [];
  for (const record of orders) {
    if (record.fillQty === null || !(record.fillQty > 0)) continue;
    const sign = record.side.toLowerCase() === 'buy' ? 1 : -1;
    fills.push({ time: Date.parse(record.time), symbol: record.symbol, qty: sign * record.fillQty });
  }
  return fills;
}

/** The chart indicators of a shipped strategy with its recorded parameter values; none for a strategy file, a manager or a strategy that declares none. */
function chartIndicatorsOf(strategy: unknown, params: unknown): readonly ChartIndicator[] {
  if (typeof strategy !== 'string') return [];
  const definition: StrategyDefinition | undefined = STRATEGY_DEFINITIONS.find((d) => d.name === strategy);
  if (definition?.chartIndicators === undefined) return [];
  const values: Record<string, number | boolean> = {};
  for (const spec of definition.params) values[spec.name] = spec.default;
  if (typeof params === 'object' && params !== null) {
    for (const [key, value] of Object.entries(params as Record<string, unknown>)) if (typeof value === 'number' || typeof value === 'boolean') values[key] = value;
  }
  return definition.chartIndicators(values as ParamValues);
}
