#!/usr/bin/env node
// One-off sweep speed-up, cold: what a user gets from `backtester sweep` once, not from a warmed
// process. Each measurement is a new Node process that loads the libraries, builds the same seeded
// synthetic universe and times one `runSweep` (nothing else): with `workers: 1` (serial: every
// trial in that thread) or with the default thread count (the calling thread and the workers it
// starts for this sweep). Both pay their own JIT warm-up, as a real run does. Runs alternate
// serial / parallel so both see the same machine; prints every time, the medians, the speed-up
// of the medians and the median of the pairwise ratios, and checks that both give the same
// results, bit for bit (a digest of every trial's metrics and returns).
//
// With --cli, each measurement is instead `backtester sweep` itself (the built app), which starts
// its worker threads before it loads the data: the time compared is the sweep as the command
// reports it (`sweepMs`: from the data being ready to the ranked trials), and the whole process's
// wall time is printed beside it.
//
// Usage: node tools/bench-sweep-cold.mjs [--runs N] [--workers N] [--data SxB] [--space SPEC]
//                                        [--execution NAME] [--cli] [--json] [--check]
//   --runs       alternating pairs of processes (default 7)
//   --workers    threads of the parallel runs (default: every core)
//   --data       symbols x bars of the synthetic universe (default 5x20000)
//   --space      the swept space (default fast=2..40:2,slow=50..200:10: 320 trials, ~3 s serial here)
//   --execution  execution profile (default idealistic, as the CLI's default)
//   --check      exits 1 if the results differ, or (with at least 2 cores) the speed-up is below 1.7x
// Runs against the built libraries: npx nx run-many -t build first.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const TARGET = 1.7;

if (args.includes('--child')) {
  await child();
} else {
  parent();
}

/** One cold measurement: prints {ms, trials, digest} as JSON. */
async function child() {
  const require = createRequire(import.meta.url);
  const { generateSyntheticUniverse } = require('@quantbot/market-data');
  const { resolveExecutionProfile } = require('@quantbot/execution-sim');
  const { runSweep, parseParameterSpace } = require('@quantbot/validation');
  const [symbols, bars] = option('--data', '5x20000').split('x').map(Number);
  const universe = generateSyntheticUniverse({ symbols, bars, seed: 42 });
  const workers = Number(option('--threads', '1'));
  const t0 = performance.now();
  const result = await runSweep({
    universe,
    strategy: 'sma-crossover',
    space: parseParameterSpace(option('--space', 'fast=2..40:2,slow=50..200:10')),
    startingCash: 100_000,
    sizing: { kind: 'fixed-shares', shares: 100 },
    execution: resolveExecutionProfile(option('--execution', 'idealistic')),
    objective: 'sharpe',
    workers,
  });
  const ms = performance.now() - t0;
  const hash = createHash('sha256');
  for (const t of [...result.trials].sort((a, b) => a.pointIndex - b.pointIndex)) {
    hash.update(JSON.stringify(t.metrics));
    hash.update(Buffer.from(t.returns.buffer, t.returns.byteOffset, t.returns.byteLength));
  }
  console.log(JSON.stringify({ ms, trials: result.trialCount, threads: result.workers, digest: hash.digest('hex') }));
}

function parent() {
  const runs = Number(option('--runs', '7'));
  const cores = os.availableParallelism();
  const threads = Number(option('--workers', String(cores)));
  const passOn = ['--data', '--space', '--execution'].flatMap((name) => (args.includes(name) ? [name, option(name, '')] : []));
  const self = fileURLToPath(import.meta.url);
  const root = dirname(dirname(self));
  const isCli = args.includes('--cli');
  const resultsDir = isCli ? mkdtempSync(join(os.tmpdir(), 'quantbot-bench-sweep-')) : '';
  const measure = (n) => {
    if (!isCli) {
      const out = spawnSync(process.execPath, [self, '--child', '--threads', String(n), ...passOn], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`benchmark process failed (exit ${out.status}):\n${out.stderr}`);
      return JSON.parse(out.stdout.trim().split('\n').pop());
    }
    const [symbols, bars] = option('--data', '5x20000').split('x').map(Number);
    const cli = [
      ...['sweep', '--bars', String(bars), '--seed', '42', '--data-quality', 'off', '--space', option('--space', 'fast=2..40:2,slow=50..200:10')],
      ...['--execution-profile', option('--execution', 'idealistic'), '--workers', String(n), '--results-dir', resultsDir, '--json'],
    ];
    if (symbols !== 5) throw new Error('--cli sweeps the command\'s synthetic universe of 5 symbols: give --data 5xBARS');
    const t0 = performance.now();
    const out = spawnSync(process.execPath, [join(root, 'apps', 'backtester', 'dist', 'main.js'), ...cli], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const wallMs = performance.now() - t0;
    if (out.status !== 0) throw new Error(`backtester sweep failed (exit ${out.status}):\n${out.stderr}`);
    const { runId: _runId, sweepMs, ...artifact } = JSON.parse(out.stdout);
    const digest = createHash('sha256').update(JSON.stringify(artifact.results)).update(JSON.stringify(artifact.statistics)).digest('hex');
    return { ms: sweepMs, wallMs, trials: artifact.results.length, threads: n, digest };
  };
  const serial = [];
  const parallel = [];
  const serialWall = [];
  const parallelWall = [];
  const digests = new Set();
  let trials = 0;
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always follows the other; pair is [serial, parallel].
    let pair;
    if (i % 2 === 0) {
      const s = measure(1);
      pair = [s, measure(threads)];
    } else {
      const p = measure(threads);
      pair = [measure(1), p];
    }
    serial.push(pair[0].ms);
    parallel.push(pair[1].ms);
    trials = pair[0].trials;
    digests.add(pair[0].digest).add(pair[1].digest);
    if (isCli) {
      serialWall.push(pair[0].wallMs);
      parallelWall.push(pair[1].wallMs);
    }
    const walls = isCli ? ` [whole command: ${pair[0].wallMs.toFixed(0)} vs ${pair[1].wallMs.toFixed(0)} ms]` : '';
    if (!args.includes('--json')) console.log(`run ${i + 1}: serial ${pair[0].ms.toFixed(0)} ms, ${pair[1].threads} threads ${pair[1].ms.toFixed(0)} ms (${(pair[0].ms / pair[1].ms).toFixed(2)}x)${walls}`);
  }
  if (isCli) rmSync(resultsDir, { recursive: true, force: true });
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const report = {
    data: option('--data', '5x20000'),
    space: option('--space', 'fast=2..40:2,slow=50..200:10'),
    trials,
    threads,
    cores,
    runs,
    serialMs: serial.map(Math.round),
    parallelMs: parallel.map(Math.round),
    medianMs: { serial: Math.round(median(serial)), parallel: Math.round(median(parallel)) },
    speedUp: Number((median(serial) / median(parallel)).toFixed(2)),
    medianPairRatio: Number(median(serial.map((s, i) => s / parallel[i])).toFixed(2)),
    identical: digests.size === 1,
    ...(isCli
      ? {
          command: 'backtester sweep',
          medianCommandMs: { serial: Math.round(median(serialWall)), parallel: Math.round(median(parallelWall)) },
          commandSpeedUp: Number((median(serialWall) / median(parallelWall)).toFixed(2)),
        }
      : {}),
  };
  if (args.includes('--json')) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(`${report.data}, ${report.space}: ${trials} trials; ${threads} threads on ${cores} core(s); ${runs} cold pairs`);
    console.log(`median: serial ${report.medianMs.serial} ms, parallel ${report.medianMs.parallel} ms: speed-up ${report.speedUp}x (median of pair ratios ${report.medianPairRatio}x; target ${TARGET}x on 2 cores)`);
    if (isCli) console.log(`whole command (process start to exit): serial ${report.medianCommandMs.serial} ms, parallel ${report.medianCommandMs.parallel} ms: ${report.commandSpeedUp}x`);
    console.log(report.identical ? 'results identical: every metric and every return, bit for bit' : 'RESULTS DIFFER between serial and parallel runs');
  }
  if (args.includes('--check')) {
    if (!report.identical) process.exit(1);
    if (cores >= 2 && report.speedUp < TARGET) {
      console.error(`one-off sweep speed-up ${report.speedUp}x is below ${TARGET}x`);
      process.exit(1);
    }
  }
}
