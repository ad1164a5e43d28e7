#!/usr/bin/env node
// Factor research benchmark on a synthetic panel of 500 symbols x 2,520 dates (1,260,000 rows):
//   - factor returns by cross-sectional regression (1 and 2 factors, one regression per date),
//   - the point-in-time merge: prices joined on (symbol, date) (1,260,000 price rows) and
//     quarterly fundamentals as of their availability date (44 per symbol),
//   - the attribution of a daily strategy series to the factor returns.
// The panel and the inputs are built before timing; each case runs once to warm up, then the
// best of N runs is reported.
// Usage: node tools/bench-factor-models.mjs [--runs N] [--symbols N] [--dates N] [--json]
// Runs against the built libraries (nx run factor-models:bench builds them first).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

const require = createRequire(import.meta.url);
const { attributeReturns, estimateFactorReturns, generateSyntheticPanel, mergePointInTime } = require('@quantbot/factor-models');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const runs = option('--runs', 3);
const symbols = option('--symbols', 500);
const dates = option('--dates', 2520);
const asJson = args.includes('--json');

function timeBest(fn) {
  fn();
  let best = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

const panel = generateSyntheticPanel({ symbols, dates, seed: 1, ic: 0.05 });
const rowSymbol = Array.from(panel.symbolIndex, (s) => panel.symbols[s]);
const rowDate = Array.from(panel.dateIndex, (d) => panel.dates[d]);
const prices = { symbol: rowSymbol, date: rowDate, values: { volume: Float64Array.from({ length: panel.rows }, (_, i) => 1000 + (i % 997)) } };
const quarters = Math.ceil(dates / 63) + 4;
const fundamentals = { symbol: [], availableDate: [], values: { bookToPrice: [] } };
const start = Date.parse(`${panel.dates[0]}T00:00:00Z`) - 120 * 86_400_000;
panel.symbols.forEach((symbol, s) => {
  for (let q = 0; q < quarters; q++) {
    fundamentals.symbol.push(symbol);
    fundamentals.availableDate.push(new Date(start + (q * 91 + (s % 30)) * 86_400_000).toISOString().slice(0, 10));
    fundamentals.values.bookToPrice.push(0.5 + ((s * 7 + q) % 11) / 10);
  }
});

const cases = [];
const record = (name, rows, { ms, result }) => {
  cases.push({ name, ms: Math.round(ms), rowsPerSecond: Math.round(rows / (ms / 1000)) });
  return result;
};
record('factor returns, 1 factor', panel.rows, timeBest(() => estimateFactorReturns(panel, { factors: ['signal'] })));
const factorReturns = record('factor returns, 2 factors', panel.rows, timeBest(() => estimateFactorReturns(panel, { factors: ['signal', 'noise'] })));
record('merge prices on (symbol, date)', panel.rows, timeBest(() => mergePointInTime(panel, { prices })));
record(`merge fundamentals as of availability (${fundamentals.symbol.length} rows)`, panel.rows, timeBest(() => mergePointInTime(panel, { fundamentals })));
const strategy = { dates: factorReturns.series.dates, returns: factorReturns.series.returns.signal.map((v) => (v === null ? null : 0.5 * v + 0.0001)) };
record('attribution to 2 factors', strategy.dates.length, timeBest(() => attributeReturns(strategy, factorReturns.series)));

const machine = `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.versions.node}`;
if (asJson) console.log(JSON.stringify({ machine, symbols, dates, rows: panel.rows, runs, cases }, null, 2));
else {
  console.log(`factor-models on ${symbols} symbols x ${dates} dates (${panel.rows} rows), best of ${runs} runs; ${machine}`);
  for (const c of cases) console.log(`  ${c.name.padEnd(58)} ${String(c.ms).padStart(6)} ms`);
}
