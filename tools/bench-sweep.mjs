#!/usr/bin/env node
// Parameter-sweep speed-up benchmark: the same sweep of SMA crossover (fast 5..50:5 × slow
// 60..200:35 = 50 combinations, realistic execution) on seeded synthetic data, run three ways,
// interleaved round by round (the order rotates) so all see the same machine state:
//   serial  workers: 1, every trial in this thread;
//   fresh   workers: 2 (by default), threads started for this sweep and terminated after it;
//   pool    the same number of threads from one openSweepPool, kept across the rounds.
// Prints each wall time, the medians and the speed-ups over serial, and checks that every trial's
// metrics and returns are identical, bit for bit, in all three. A new thread spends its first
// backtests compiling the engine (JIT warm-up), which `fresh` pays in every sweep and `pool` once.
//
// Usage: node tools/bench-sweep.mjs [--rounds N] [--workers N] [--data SxB] [--space SPEC] [--json] [--check]
//   --rounds  timed interleaved rounds (default 7); medians and bests are compared
//   --warmup  untimed rounds first (default 4), as for any JIT benchmark: they warm this thread
//             (serial) and the kept pool alike; `fresh` threads are new in every sweep by design
//   --data    symbols x bars of the synthetic universe (default 1x200000; e.g. 20x2520, 1x1000000)
//   --space   the swept space (default fast=5..50:5,slow=60..200:35, 50 combinations)
//   --check   exits 1 if the results differ, or (with at least 2 cores) the kept pool's speed-up is below 1.7x
// Runs against the built libraries: build core, market-data, strategies, engine, execution-sim,
// data-quality, risk-guardrails and validation first (npx nx run-many -t build).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

const require = createRequire(import.meta.url);
const { generateSyntheticUniverse } = require('@quantbot/market-data');
const { resolveExecutionProfile } = require('@quantbot/execution-sim');
const { runSweep, openSweepPool, parseParameterSpace } = require('@quantbot/validation');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const rounds = Number(option('--rounds', '7'));
const warmupRounds = Number(option('--warmup', '4'));
const workers = Number(option('--workers', '2'));
const [symbols, bars] = option('--data', '1x200000').split('x').map(Number);
const asJson = args.includes('--json');
const check = args.includes('--check');
const TARGET = 1.7;

const universe = generateSyntheticUniverse({ symbols, bars, seed: 7 });
const space = parseParameterSpace(option('--space', 'fast=5..50:5,slow=60..200:35'));
const options = {
  universe,
  strategy: 'sma-crossover',
  space,
  startingCash: 1_000_000,
  sizing: { kind: 'percent-of-cash', percent: 20 },
  execution: resolveExecutionProfile('realistic'),
  seed: 1,
  objective: 'sharpe',
};

const pool = openSweepPool(universe, workers);
const MODES = {
  serial: () => runSweep({ ...options, workers: 1 }),
  fresh: () => runSweep({ ...options, workers }),
  pool: () => runSweep({ ...options, pool }),
};

async function timed(mode) {
  const t0 = performance.now();
  const result = await MODES[mode]();
  return { ms: performance.now() - t0, result };
}

/** Every trial's rank, point, metrics and returns, bit for bit. */
function differences(a, b) {
  const found = [];
  if (a.trialCount !== b.trialCount) found.push(`trial count ${a.trialCount} vs ${b.trialCount}`);
  a.trials.forEach((t, i) => {
    const u = b.trials[i];
    if (u === undefined) return;
    if (t.pointIndex !== u.pointIndex) found.push(`rank ${t.rank}: point ${t.pointIndex} vs ${u.pointIndex}`);
    for (const [key, value] of Object.entries(t.metrics)) {
      if (!Object.is(value, u.metrics[key])) found.push(`point ${t.pointIndex} ${key}: ${value} vs ${u.metrics[key]}`);
    }
    const x = Buffer.from(t.returns.buffer, t.returns.byteOffset, t.returns.byteLength);
    const y = Buffer.from(u.returns.buffer, u.returns.byteOffset, u.returns.byteLength);
    if (!x.equals(y)) found.push(`point ${t.pointIndex}: returns differ`);
  });
  return found;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const names = Object.keys(MODES);
const times = Object.fromEntries(names.map((n) => [n, []]));
const mismatches = [];
let trials = 0;
try {
  for (let round = -warmupRounds; round < rounds; round++) {
    // Rotate the order, so no mode always runs first (or on a warmer machine).
    const order = names.map((_, i) => names[(((i + round) % names.length) + names.length) % names.length]);
    const runs = {};
    for (const mode of order) runs[mode] = await timed(mode);
    if (round < 0) {
      if (!asJson) console.log(`warm-up ${round + warmupRounds + 1}: ${names.map((m) => `${m} ${runs[m].ms.toFixed(0)} ms`).join(', ')}`);
      continue;
    }
    for (const mode of names) times[mode].push(runs[mode].ms);
    trials = runs.serial.result.trialCount;
    for (const mode of ['fresh', 'pool']) mismatches.push(...differences(runs.serial.result, runs[mode].result).map((d) => `${mode}: ${d}`));
    if (!asJson) console.log(`round ${round + 1}: ${names.map((m) => `${m} ${runs[m].ms.toFixed(0)} ms`).join(', ')}`);
  }
} finally {
  await pool.close();
}

const med = Object.fromEntries(names.map((n) => [n, median(times[n])]));
// The best of the rounds is the least disturbed on a shared machine (as in bench-backtest.mjs).
const best = Object.fromEntries(names.map((n) => [n, Math.min(...times[n])]));
const cores = os.availableParallelism();
const report = {
  data: `${symbols} symbol(s) x ${bars} bars`,
  trials,
  workers,
  cores,
  rounds,
  warmupRounds,
  ms: Object.fromEntries(names.map((n) => [n, times[n].map((x) => Math.round(x))])),
  medianMs: Object.fromEntries(names.map((n) => [n, Math.round(med[n])])),
  bestMs: Object.fromEntries(names.map((n) => [n, Math.round(best[n])])),
  speedUp: { fresh: Number((med.serial / med.fresh).toFixed(2)), pool: Number((med.serial / med.pool).toFixed(2)) },
  bestSpeedUp: { fresh: Number((best.serial / best.fresh).toFixed(2)), pool: Number((best.serial / best.pool).toFixed(2)) },
  identical: mismatches.length === 0,
};
if (asJson) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`${report.data}, ${trials} trials, ${workers} workers, ${cores} core(s) available`);
  console.log(`median wall time: serial ${report.medianMs.serial} ms, fresh ${report.medianMs.fresh} ms, pool ${report.medianMs.pool} ms`);
  console.log(`best wall time:   serial ${report.bestMs.serial} ms, fresh ${report.bestMs.fresh} ms, pool ${report.bestMs.pool} ms`);
  console.log(`speed-up over serial (medians): fresh workers ${report.speedUp.fresh}x, kept pool ${report.speedUp.pool}x (target ${TARGET}x on 2 cores)`);
  console.log(`speed-up over serial (bests):   fresh workers ${report.bestSpeedUp.fresh}x, kept pool ${report.bestSpeedUp.pool}x`);
  console.log(report.identical ? 'results identical: every metric and every return, bit for bit' : `RESULTS DIFFER:\n  ${mismatches.slice(0, 10).join('\n  ')}`);
}
if (check) {
  if (!report.identical) process.exit(1);
  if (cores >= 2 && report.speedUp.pool < TARGET) {
    console.error(`kept-pool speed-up ${report.speedUp.pool}x is below ${TARGET}x`);
    process.exit(1);
  }
}
