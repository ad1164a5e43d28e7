#!/usr/bin/env node
// Backtest throughput benchmark: SMA crossover 10/30 with full accounting (orders, fills,
// ledger, trade records, equity curve, metrics), under the idealistic and the realistic
// execution profiles, on
//   A) 1,000,000 daily bars of one symbol,
//   B) 100 symbols x 2,520 bars;
// and A once more with the run recorder on (the CLI's `run`: decision events and the order
// journal). The engine targets (10M bars/s for A, 12M for B, idealistic) are printed beside
// the figures.
// Data is generated and loaded before timing; CSV parsing and the data checks are timed on their own.
// Usage: node tools/bench-backtest.mjs [--runs N] [--overhead-rounds N] [--json] [--check]
//        node tools/bench-backtest.mjs --breakdown [--runs N] [--rounds N]
//   --breakdown runs only where a bar's time goes: the idealistic cases with a strategy that does
//   nothing, one that updates the two SMAs and never trades, and the SMA crossover, each in a
//   fresh process, alternating for --rounds rounds (default 3); prints what the orders cost
//   each and what an order may cost for the engine targets to be met.
//   --check exits 1 if an idealistic backtest runs below 5,000,000 bars/s, or the realistic
//   profile costs more than 2x the idealistic one.
// Each figure is the best of the runs, with the median and worst beside it (the noise band).
// Runs against the built libraries (nx run backtester:bench builds them first).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

const require = createRequire(import.meta.url);
const { generateSyntheticUniverse, seriesFromUniverse, parseOhlcvCsv, readOhlcvCsv, readBarPath, formatBarDate } = require('@quantbot/market-data');
const { NYSE_CALENDAR, applyDataQuality } = require('@quantbot/data-quality');
const { runBacktest, RunRecorder } = require('@quantbot/engine');
const { EXECUTION_PROFILES, resolveExecutionProfile } = require('@quantbot/execution-sim');
const { OrderGateway } = require('@quantbot/risk-guardrails');
const { Sma, SmaCrossover } = require('@quantbot/strategies');
const { ticker } = require('@quantbot/core');

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 0) || 10;
const asJson = args.includes('--json');
const check = args.includes('--check');
const TARGET = 5_000_000;
// The engine's throughput targets for the idealistic profile with the default gateway, per case
// (printed beside the figures; `--check` enforces the 5M floor above).
const ENGINE_TARGETS = { big: 10_000_000, wide: 12_000_000 };
// The CSV parse's throughput target (printed beside the figures).
const PARSE_TARGET = 3_000_000;
const roundsAt = args.indexOf('--overhead-rounds');
const overheadRounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 4;

/** Runs `fn` `repeat` times: the best time (`ms`), and the median and worst (the noise band). */
function timeBest(fn, repeat) {
  const times = [];
  let result;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[0], medianMs: times[(times.length - 1) >> 1], worstMs: times[times.length - 1], result };
}

// Guardrails as a live account would set them: every pre-trade limit and every kill-switch level.
const FULL_RISK = {
  limits: {
    maxOrderNotional: 1e12, maxOrderQty: 1e9, maxPositionQty: 1e9, maxPositionPctEquity: 100, maxGrossExposurePct: 200,
    maxNetExposurePct: 200, priceBandPct: 50, allowShort: true, denySymbols: ['NONE'], maxOrdersPerMinute: 1000,
  },
  killSwitch: { reduceAtDrawdownPct: 50, haltAtDrawdownPct: 60, flattenAtDrawdownPct: 70, dailyLossLimitPct: 60, cooldownMs: 0, rearm: 'auto' },
};

function backtestCase(name, universe, profile, risk, recorded = false) {
  const bars = universe.symbols.length * universe.length;
  const execution = profile === 'idealistic' ? resolveExecutionProfile('idealistic', { feeBps: 10 }) : EXECUTION_PROFILES[profile];
  const run = () =>
    runBacktest({
      universe,
      strategy: new SmaCrossover({ fast: 10, slow: 30, allowShort: false }, universe.symbols.length),
      startingCash: 1_000_000_000,
      sizing: { kind: 'fixed-shares', shares: 100 },
      execution,
      seed: 1,
      ...(risk !== undefined ? { risk } : {}),
      // As `backtester run` records: each line written into bytes and handed to a sink (here one
      // that only counts them; the CLI's copies them into the compressor thread's ring).
      ...(recorded ? { recorder: journalRecorder() } : {}),
    });
  run(); // warm-up: let the JIT compile the loop before measuring
  const { ms, medianMs, worstMs, result } = timeBest(run, runs);
  const label = `${name}, ${profile}${risk !== undefined ? ', all guardrails on' : ''}${recorded ? ', run recorder on (decision events and order journal written as bytes)' : ''}`;
  return { name: label, profile, guarded: risk !== undefined, recorded, bars, bestMs: ms, medianMs, worstMs, barsPerSecond: bars / (ms / 1000), medianBarsPerSecond: bars / (medianMs / 1000), trades: result.trades.length, orders: result.guardrails.accepted + result.guardrails.rejected, run };
}

/**
 * What reading `result.trades` costs after a run: the trade objects are built at the first read
 * (the run itself keeps its closed trades in columns and computes the metrics from them), so a
 * caller that reads them, as `backtester run` does, pays this on top of the run. Best of a few
 * fresh results.
 */
function tradesRead(c) {
  const times = [];
  for (let i = 0; i < Math.min(runs, 5); i++) {
    const result = c.run();
    const t0 = performance.now();
    if (result.trades.length !== c.trades) throw new Error('a run closed another number of trades');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { case: c.name, trades: c.trades, bestMs: Number(times[0].toFixed(1)), medianMs: Number(times[(times.length - 1) >> 1].toFixed(1)) };
}

/** A recorder as `backtester run` makes one: the journal's lines written as bytes, handed to a sink piece by piece (here one that drops them). */
function journalRecorder() {
  const drop = () => undefined;
  return new RunRecorder({ sink: { decisions: drop, orders: drop } });
}

const breakdownWorkerAt = args.indexOf('--breakdown-worker');
if (breakdownWorkerAt >= 0) {
  breakdownWorker(args[breakdownWorkerAt + 1], args[breakdownWorkerAt + 2]);
  process.exit(0);
}
if (args.includes('--breakdown')) {
  breakdown();
  process.exit(0);
}

/**
 * One variant of the breakdown in this (fresh) process: `idle` (a strategy that does nothing: the
 * bar loop, the marks, the equity curve, the kill-switch check, the metrics), `smas` (reads each
 * close and updates the two exact SMAs of the crossover, never trades) or `crossover` (the SMA
 * crossover itself). Prints the best time of `runs` runs and the orders sent.
 */
function breakdownWorker(variant, caseName) {
  const universe = caseName === 'big' ? generateSyntheticUniverse({ symbols: 1, bars: 1_000_000, seed: 7 }) : generateSyntheticUniverse({ symbols: 100, bars: 2_520, seed: 7 });
  const n = universe.symbols.length;
  const strategy = () => {
    if (variant === 'crossover') return new SmaCrossover({ fast: 10, slow: 30, allowShort: false }, n);
    if (variant === 'idle') return { name: 'idle', warmupBars: 0, onBar() {} };
    const fast = Array.from({ length: n }, () => new Sma(10));
    const slow = Array.from({ length: n }, () => new Sma(30));
    return {
      name: 'smas',
      warmupBars: 31,
      onBar(bar, ctx) {
        const s = bar.symbolIndex;
        const close = bar.close();
        fast[s].update(close);
        slow[s].update(close);
        // Reads the averages like the crossover does (so no work is optimized away); never true.
        if (slow[s].isReady && fast[s].value > slow[s].value && ctx.hasPendingOrder(s)) throw new Error('no order was sent');
      },
    };
  };
  const run = () =>
    runBacktest({ universe, strategy: strategy(), startingCash: 1_000_000_000, sizing: { kind: 'fixed-shares', shares: 100 }, execution: resolveExecutionProfile('idealistic', { feeBps: 10 }), seed: 1 });
  run();
  const best = timeBest(run, caseName === 'big' ? runs : runs * 4);
  console.log(JSON.stringify({ ms: best.ms, orders: best.result.guardrails.accepted + best.result.guardrails.rejected, bars: n * universe.length }));
}

/** Where a bar's time goes, per case: the three variants alternating in fresh processes, the best of each. */
function breakdown() {
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;
  console.log(`Quantbot backtest breakdown (node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown'}; idealistic profile, default gateway; best of ${runs} runs per process (100 symbols: ${runs * 4}), ${rounds} alternating rounds)`);
  for (const [caseName, label, target] of [['big', '1 symbol x 1,000,000 bars', ENGINE_TARGETS.big], ['wide', '100 symbols x 2,520 bars', ENGINE_TARGETS.wide]]) {
    const best = {};
    let orders = 0;
    let bars = 0;
    for (let r = 0; r < rounds; r++) {
      for (const variant of ['idle', 'smas', 'crossover']) {
        const out = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--breakdown-worker', variant, caseName, '--runs', String(runs)], { encoding: 'utf8' }));
        best[variant] = Math.min(best[variant] ?? Infinity, out.ms);
        if (variant === 'crossover') orders = out.orders;
        bars = out.bars;
      }
    }
    const ordersMs = best.crossover - best.smas;
    const targetMs = (bars / target) * 1000;
    const budgetUs = ((targetMs - best.smas) * 1000) / orders;
    console.log(`  ${label}:`);
    console.log(`    a strategy that does nothing (the bar loop, marks, equity curve, kill-switch check, metrics): ${best.idle.toFixed(1)} ms`);
    console.log(`    the two exact SMAs updated, no order: ${best.smas.toFixed(1)} ms`);
    console.log(`    the SMA crossover (${orders.toLocaleString('en-US')} orders): ${best.crossover.toFixed(1)} ms = ${(bars / best.crossover / 1000).toFixed(2)}M bars/s`);
    console.log(`    the orders: ${ordersMs.toFixed(1)} ms = ${((ordersMs * 1000) / orders).toFixed(2)} us an order; the ${target / 1e6}M bars/s target (${targetMs.toFixed(1)} ms) leaves ${budgetUs.toFixed(2)} us an order`);
  }
}

const workerAt = args.indexOf('--gateway-worker');
if (workerAt >= 0) {
  gatewayWorker(args[workerAt + 1], args[workerAt + 2]);
  process.exit(0);
}

const genStart = performance.now();
const big = generateSyntheticUniverse({ symbols: 1, bars: 1_000_000, seed: 7 });
const wide = generateSyntheticUniverse({ symbols: 100, bars: 2_520, seed: 7 });
const generateMs = performance.now() - genStart;

const cases = [
  backtestCase('1 symbol x 1,000,000 bars', big, 'idealistic'),
  backtestCase('100 symbols x 2,520 bars', wide, 'idealistic'),
  backtestCase('1 symbol x 1,000,000 bars', big, 'realistic'),
  backtestCase('100 symbols x 2,520 bars', wide, 'realistic'),
  backtestCase('1 symbol x 1,000,000 bars', big, 'idealistic', FULL_RISK),
  backtestCase('100 symbols x 2,520 bars', wide, 'idealistic', FULL_RISK),
  // The CLI's `run` path: the same loop with the run recorder writing the journal's lines.
  backtestCase('1 symbol x 1,000,000 bars', big, 'idealistic', undefined, true),
];
const tradeReads = [tradesRead(cases[0]), tradesRead(cases[1])];
// The engine targets beside the figures: the idealistic cases with the default gateway.
const engineTargets = [
  { case: cases[0].name, barsPerSecond: Math.round(cases[0].barsPerSecond), medianBarsPerSecond: Math.round(cases[0].medianBarsPerSecond), targetBarsPerSecond: ENGINE_TARGETS.big },
  { case: cases[1].name, barsPerSecond: Math.round(cases[1].barsPerSecond), medianBarsPerSecond: Math.round(cases[1].medianBarsPerSecond), targetBarsPerSecond: ENGINE_TARGETS.wide },
];
// The gateway is in every order's path. Its overhead: the same backtest with every guardrail on,
// against one whose gateway `check` and `observe` are no-ops (here, in the benchmark only; the
// library has no way to bypass it). Each variant runs in a fresh process of its own, so the
// no-op methods never share a JIT with the real ones (swapping them in one process makes the
// call sites polymorphic and penalizes whichever variant runs second); the processes alternate,
// with, without, with, ..., so slow phases of a shared machine hit both alike, and the best run
// of each is compared.
function gatewayWorker(variant, caseName) {
  if (variant === 'without') {
    OrderGateway.prototype.check = () => ({ accepted: true });
    OrderGateway.prototype.observe = () => 'active';
  }
  const universe = caseName === 'big' ? generateSyntheticUniverse({ symbols: 1, bars: 1_000_000, seed: 7 }) : generateSyntheticUniverse({ symbols: 100, bars: 2_520, seed: 7 });
  const run = () =>
    runBacktest({
      universe,
      strategy: new SmaCrossover({ fast: 10, slow: 30, allowShort: false }, universe.symbols.length),
      startingCash: 1_000_000_000,
      sizing: { kind: 'fixed-shares', shares: 100 },
      execution: resolveExecutionProfile('idealistic', { feeBps: 10 }),
      seed: 1,
      risk: FULL_RISK,
    });
  run();
  console.log(JSON.stringify({ ms: timeBest(run, runs).ms }));
}
function interleavedOverhead(name, caseName) {
  const worker = (variant) => {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--gateway-worker', variant, caseName, '--runs', String(runs)], { encoding: 'utf8' });
    return JSON.parse(out).ms;
  };
  let withMs = Infinity;
  let withoutMs = Infinity;
  for (let i = 0; i < overheadRounds; i++) {
    withMs = Math.min(withMs, worker('with'));
    withoutMs = Math.min(withoutMs, worker('without'));
  }
  return { case: `${name}, idealistic, all guardrails on`, withGatewayMs: Number(withMs.toFixed(1)), withoutGatewayMs: Number(withoutMs.toFixed(1)), overhead: Number((withMs / withoutMs - 1).toFixed(3)) };
}
const gatewayOverhead = [interleavedOverhead('1 symbol x 1,000,000 bars', 'big'), interleavedOverhead('100 symbols x 2,520 bars', 'wide')];
// The cost of realism: how much slower the realistic profile runs than the idealistic one.
const realismCost = [0, 1].map((i) => cases[i].barsPerSecond / cases[i + 2].barsPerSecond);
// Parsing, timed apart from (and after) the backtests, so its 60 MB of text does not weigh on
// their garbage collector: the 1M-bar series written as Yahoo-style CSV.
const series = seriesFromUniverse(big, 0);
const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
for (let k = 0; k < series.length; k++) {
  lines.push(`${formatBarDate(series.time[k])},${series.open[k]},${series.high[k]},${series.low[k]},${series.close[k]},${series.close[k]},${series.volume[k]}`);
}
const csv = `${lines.join('\n')}\n`;
lines.length = 0;
// As `readBarFile` reads a file: its bytes, parsed without decoding them into a string.
const csvBytes = Buffer.from(csv, 'utf8');
const parse = timeBest(() => parseOhlcvCsv(csvBytes, { source: 'bench.csv', symbol: ticker('BENCH') }), Math.min(runs, 5));
// The file as `backtester run --data` reads it: `readBarPath` with the SHA-256 the run manifest
// records: read in chunks of 1 MiB into one reused buffer, hashed and parsed as read.
const csvDir = mkdtempSync(join(os.tmpdir(), 'quantbot-bench-csv-'));
const csvFile = join(csvDir, 'bench.csv');
writeFileSync(csvFile, csvBytes);
const readFile = timeBest(() => readBarPath(csvFile, { hash: true }), Math.min(runs, 5));
rmSync(csvDir, { recursive: true, force: true });
// The same text given as a string (encoded to UTF-8 first).
const parseText = timeBest(() => parseOhlcvCsv(csv, { source: 'bench.csv', symbol: ticker('BENCH') }), Math.min(runs, 5));
// The data-quality gate as `backtester run --data` applies it to the file's 1M bars: warn mode,
// NYSE calendar (skipped with one info finding: the bars span more than 200 years), the reader's
// lines and problems as sources.
const reading = readOhlcvCsv(csvBytes, { source: 'bench.csv', symbol: ticker('BENCH') });
const checks = timeBest(() => applyDataQuality([reading.series], { mode: 'warn', calendar: NYSE_CALENDAR, sources: [reading] }), Math.min(runs, 5));

const report = {
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  runs,
  generateMs: Math.round(generateMs),
  parse: { rows: series.length, bestMs: Math.round(parse.ms), medianMs: Math.round(parse.medianMs), worstMs: Math.round(parse.worstMs), rowsPerSecond: Math.round(series.length / (parse.ms / 1000)), medianRowsPerSecond: Math.round(series.length / (parse.medianMs / 1000)) },
  readFile: { rows: series.length, bestMs: Math.round(readFile.ms), medianMs: Math.round(readFile.medianMs), worstMs: Math.round(readFile.worstMs), rowsPerSecond: Math.round(series.length / (readFile.ms / 1000)), medianRowsPerSecond: Math.round(series.length / (readFile.medianMs / 1000)) },
  parseText: { rows: series.length, bestMs: Math.round(parseText.ms), medianMs: Math.round(parseText.medianMs), worstMs: Math.round(parseText.worstMs), rowsPerSecond: Math.round(series.length / (parseText.ms / 1000)), medianRowsPerSecond: Math.round(series.length / (parseText.medianMs / 1000)) },
  parseTargetRowsPerSecond: PARSE_TARGET,
  dataChecks: {
    bars: reading.series.length,
    bestMs: Math.round(checks.ms),
    medianMs: Math.round(checks.medianMs),
    barsPerSecond: Math.round(reading.series.length / (checks.ms / 1000)),
    findings: checks.result.outcome.report.summary.findings,
  },
  backtests: cases.map(({ run: _run, ...c }) => ({ ...c, bestMs: Number(c.bestMs.toFixed(1)), medianMs: Number(c.medianMs.toFixed(1)), worstMs: Number(c.worstMs.toFixed(1)), barsPerSecond: Math.round(c.barsPerSecond), medianBarsPerSecond: Math.round(c.medianBarsPerSecond) })),
  targetBarsPerSecond: TARGET,
  engineTargets,
  tradeReads,
  realisticSlowdown: realismCost.map((r) => Number(r.toFixed(2))),
  guardedSlowdown: [0, 1].map((i) => Number((cases[i].barsPerSecond / cases[i + 4].barsPerSecond).toFixed(2))),
  gatewayOverhead,
};

if (asJson) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`Quantbot backtest benchmark (node ${report.node}, ${report.cpu}, best of ${runs})`);
  console.log(`  data generation (1M + 252k bars): ${report.generateMs} ms (not counted below)`);
  const parseLine = (label, p) =>
    `  CSV parse (${label}): ${p.rows.toLocaleString('en-US')} rows in ${p.bestMs} ms = ${p.rowsPerSecond.toLocaleString('en-US')} rows/s (median ${p.medianMs} ms = ${p.medianRowsPerSecond.toLocaleString('en-US')} rows/s, worst ${p.worstMs} ms; target ${PARSE_TARGET / 1e6}M rows/s)`;
  console.log(parseLine('bytes, as read from a file', report.parse));
  console.log(parseLine('a string', report.parseText));
  console.log(parseLine('the file as backtester run reads it: read in chunks, hashed', report.readFile));
  console.log(`  data checks on 1M bars (gate, warn, NYSE): ${report.dataChecks.bestMs} ms = ${report.dataChecks.barsPerSecond.toLocaleString('en-US')} rows/s (${report.dataChecks.findings} findings; median ${report.dataChecks.medianMs} ms)`);
  for (const c of report.backtests) {
    const ratio = (c.barsPerSecond / TARGET).toFixed(2);
    const versus = c.recorded ? '' : `${ratio}x the 5M bars/s target, `;
    console.log(`  ${c.name}: ${c.bestMs} ms = ${c.barsPerSecond.toLocaleString('en-US')} bars/s (${versus}${c.trades} trades; median ${c.medianMs} ms, worst ${c.worstMs} ms)`);
  }
  console.log(
    `  engine targets: ${engineTargets.map((t) => `${t.case} ${(t.barsPerSecond / 1e6).toFixed(2)}M bars/s best, ${(t.medianBarsPerSecond / 1e6).toFixed(2)}M median vs ${t.targetBarsPerSecond / 1e6}M (${(t.barsPerSecond / t.targetBarsPerSecond).toFixed(2)}x best)`).join('; ')}`,
  );
  for (const t of tradeReads) console.log(`  reading result.trades after a run (${t.case}: ${t.trades.toLocaleString('en-US')} trade objects built): ${t.bestMs} ms best, ${t.medianMs} ms median (not in the figures above)`);
  console.log(`  realistic profile costs ${report.realisticSlowdown.join('x and ')}x the idealistic one (target: at most 2x)`);
  console.log(`  all guardrails on costs ${report.guardedSlowdown.join('x and ')}x the default gateway (no limits set)`);
  for (const g of gatewayOverhead) {
    console.log(`  gateway overhead, ${g.case}: ${g.withGatewayMs} ms vs ${g.withoutGatewayMs} ms without it = ${(g.overhead * 100).toFixed(1)}% (target: under 20%)`);
  }
}
if (check && report.backtests.some((c) => c.profile === 'idealistic' && !c.guarded && !c.recorded && c.barsPerSecond < TARGET)) {
  console.error('below target: an idealistic backtest ran under 5,000,000 bars/s');
  process.exit(1);
}
if (check && gatewayOverhead.some((g) => g.overhead >= 0.2)) {
  console.error('above target: the gateway costs 20% or more of a backtest');
  process.exit(1);
}
if (check && report.realisticSlowdown.some((r) => r > 2)) {
  console.error('above target: the realistic profile costs more than 2x the idealistic one');
  process.exit(1);
}
