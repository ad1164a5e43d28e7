#!/usr/bin/env node
// End-to-end benchmark of what a user runs: `backtester run` on a 1,000,000-bar daily CSV (SMA
// 10/30, 100 shares, cash 100,000), as a fresh process each time: start-up, parse, data checks,
// the backtest with its run recorder, the summary, the run folder, the JSON document on stdout.
// The file is made with the seeded synthetic generator (seed 7) and written once, before timing.
// Prints each run's wall time, the steps (`--timings`), peak resident memory and the run folder's
// size, then best / median / worst against the targets, with the load average before and after,
// and what a page touched for the first time costs on this machine (a probe in fresh processes).
// Usage: node tools/bench-end-to-end.mjs [--runs N] [--bars N] [--json] [--check] [--keep]
//   --check exits 1 when the median misses a target; --keep leaves the temporary folder.
// Runs the built app (nx run backtester:bench builds it first). The runs inherit this process's
// environment; GLIBC_TUNABLES and NODE_OPTIONS, when set, are printed with the figures (see
// docs/benchmarks.md on transparent huge pages).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { generateSyntheticUniverse, seriesFromUniverse, formatBarDate } = require('@quantbot/market-data');

const args = process.argv.slice(2);
const flagValue = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const runs = flagValue('--runs', 5);
const bars = flagValue('--bars', 1_000_000);
const asJson = args.includes('--json');
const check = args.includes('--check');
const keep = args.includes('--keep');
const TARGETS = { wallSeconds: 1.5, peakMemoryMB: 250, folderMB: 30 };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'apps', 'backtester', 'dist', 'main.js');
const work = mkdtempSync(join(os.tmpdir(), 'quantbot-e2e-'));

// The data file: Yahoo-style CSV of one seeded synthetic series.
const series = seriesFromUniverse(generateSyntheticUniverse({ symbols: 1, bars, seed: 7 }), 0);
const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
for (let k = 0; k < series.length; k++) {
  lines.push(`${formatBarDate(series.time[k])},${series.open[k]},${series.high[k]},${series.low[k]},${series.close[k]},${series.close[k]},${series.volume[k]}`);
}
const dataFile = join(work, 'bench.csv');
writeFileSync(dataFile, `${lines.join('\n')}\n`);
lines.length = 0;
const dataMB = statSync(dataFile).size / 1_048_576;

function folderBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  return total;
}

/**
 * What a page of memory touched for the first time costs on this machine, in µs: a fresh process
 * fills a new 64 MB array twice; the first fill's extra time over the second's, per page fault.
 * Machines of the same kind differ here by 4x or more (about 2.6 against 11-14 µs), and a run
 * makes some 55,000 such faults, so this figure explains much of the spread in wall time between
 * machines. The median of three probes, each in a process of its own.
 */
function pageFaultProbe() {
  const script = `const a = new Float64Array(${(64 * 1_048_576) / 8});
const r0 = process.resourceUsage(); const t0 = performance.now(); a.fill(1);
const t1 = performance.now(); const r1 = process.resourceUsage(); a.fill(2); const t2 = performance.now();
console.log(JSON.stringify({ firstMs: t1 - t0, secondMs: t2 - t1, faults: r1.minorPageFault - r0.minorPageFault }));`;
  const probes = [];
  for (let i = 0; i < 3; i++) {
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`the page-fault probe failed (exit ${child.status}): ${child.stderr}`);
    const probe = JSON.parse(child.stdout);
    probes.push({ ...probe, usPerFault: probe.faults > 0 ? ((probe.firstMs - probe.secondMs) * 1000) / probe.faults : NaN });
  }
  // A probe with no fault (NaN) sorts last.
  const key = (p) => (Number.isNaN(p.usPerFault) ? Number.POSITIVE_INFINITY : p.usPerFault);
  probes.sort((a, b) => key(a) - key(b));
  return probes[1];
}
const probe = pageFaultProbe();

const TIMINGS = /^timings: read (\S+) s, check (\S+) s, backtest (\S+) s, summary (\S+) s, lookahead (\S+) s, write (\S+) s, total (\S+) s; peak memory (\d+) MB; cpu (\S+) s; page faults (\d+)$/m;
const results = [];
// Benchmarks on a shared machine read slow under load: the load average goes with the figures.
const loadBefore = os.loadavg();
for (let i = 0; i < runs; i++) {
  const resultsDir = join(work, `runs-${i}`);
  const argv = [app, 'run', '--data', dataFile, '--params', 'fast=10,slow=30', '--size', '100', '--cash', '100000', '--json', '--quiet', '--timings', '--results-dir', resultsDir];
  const t0 = performance.now();
  const child = spawnSync(process.execPath, argv, { cwd: work, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (child.status !== 0) {
    console.error(`run ${i + 1} failed (exit ${child.status}):\n${child.stderr}`);
    process.exit(1);
  }
  const match = TIMINGS.exec(child.stderr);
  if (match === null) {
    console.error(`run ${i + 1}: no timings line on stderr:\n${child.stderr}`);
    process.exit(1);
  }
  const [read, checkData, backtest, summary, , write, total] = match.slice(1, 8).map(Number);
  const [runId] = readdirSync(resultsDir);
  results.push({ wallSeconds, cpuSeconds: Number(match[9]), pageFaults: Number(match[10]), read, check: checkData, backtest, summary, write, total, peakMemoryMB: Number(match[8]), folderMB: folderBytes(join(resultsDir, runId)) / 1_048_576 });
  rmSync(resultsDir, { recursive: true, force: true });
}
if (!keep) rmSync(work, { recursive: true, force: true });
const loadAfter = os.loadavg();

const band = (key) => {
  const sorted = results.map((r) => r[key]).sort((a, b) => a - b);
  return { best: sorted[0], median: sorted[Math.floor((sorted.length - 1) / 2)], worst: sorted[sorted.length - 1] };
};
const report = {
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  bars,
  dataMB: Number(dataMB.toFixed(1)),
  runs,
  // Settings of the environment that change the figures (inherited by every run).
  environment: { GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? null, NODE_OPTIONS: process.env.NODE_OPTIONS ?? null },
  loadAverage: { before: loadBefore.map((x) => Number(x.toFixed(2))), after: loadAfter.map((x) => Number(x.toFixed(2))) },
  targets: TARGETS,
  wallSeconds: band('wallSeconds'),
  // The run's CPU time (user + system, all threads, up to its --timings line): on a shared
  // machine it scatters less than the wall time, so it shows a change the wall time hides.
  cpuSeconds: band('cpuSeconds'),
  // Page faults up to the --timings line: where a page touched for the first time is costly (about
  // 10 µs on some of these virtual machines), they are much of the system time.
  pageFaults: band('pageFaults'),
  // This machine's cost of a page touched for the first time (see pageFaultProbe).
  pageFaultProbe: { usPerFault: probe.faults > 0 ? Number(probe.usPerFault.toFixed(2)) : null, faults: probe.faults, firstFillMs: Number(probe.firstMs.toFixed(1)), secondFillMs: Number(probe.secondMs.toFixed(1)) },
  peakMemoryMB: band('peakMemoryMB'),
  folderMB: band('folderMB'),
  steps: Object.fromEntries(['read', 'check', 'backtest', 'summary', 'write'].map((key) => [key, band(key)])),
  runsDetail: results,
};

const f2 = (x) => x.toFixed(2);
if (asJson) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`Quantbot end-to-end run benchmark (node ${report.node}, ${report.cpu}, ${report.cores} cores, ${runs} runs)`);
  console.log(`  backtester run --data <${bars.toLocaleString('en-US')} daily bars, ${report.dataMB} MB CSV> --params fast=10,slow=30 --size 100 --cash 100000 --json`);
  const settings = Object.entries(report.environment).filter(([, value]) => value !== null);
  if (settings.length > 0) console.log(`  environment: ${settings.map(([name, value]) => `${name}=${value}`).join(' ')}`);
  console.log(`  load average (1, 5, 15 min): ${report.loadAverage.before.join(', ')} before, ${report.loadAverage.after.join(', ')} after`);
  const line = (label, b, unit, target) =>
    console.log(`  ${label}: best ${f2(b.best)} ${unit}, median ${f2(b.median)} ${unit}, worst ${f2(b.worst)} ${unit} (target ≤ ${target} ${unit}: median ${b.median <= target ? 'meets it' : `misses it by ${f2(b.median / target)}x`})`);
  line('wall time, whole process', report.wallSeconds, 's', TARGETS.wallSeconds);
  console.log(`  CPU time (user + system, all threads; no target): best ${f2(report.cpuSeconds.best)} s, median ${f2(report.cpuSeconds.median)} s, worst ${f2(report.cpuSeconds.worst)} s`);
  // No schedule of the run's work on this machine's cores finishes sooner than its CPU time
  // spread evenly over them: the floor a wall-time target has to clear by cutting work.
  console.log(`  CPU time over the ${report.cores} cores (the wall time if every core were busy all along): median ${f2(report.cpuSeconds.median / report.cores)} s`);
  console.log(`  page faults (no target): best ${report.pageFaults.best}, median ${report.pageFaults.median}, worst ${report.pageFaults.worst}`);
  const pf = report.pageFaultProbe;
  console.log(
    pf.faults > 0
      ? `  a page touched for the first time on this machine: ${f2(pf.usPerFault)} us (probe: a new 64 MB array filled twice, ${pf.firstFillMs} ms with ${pf.faults} faults, then ${pf.secondFillMs} ms); at that cost the median run's faults take about ${f2((report.pageFaults.median * pf.usPerFault) / 1e6)} s`
      : `  a page touched for the first time on this machine: not measured (the probe's 64 MB array took no page fault; ${pf.firstFillMs} ms, then ${pf.secondFillMs} ms)`,
  );
  line('peak resident memory', report.peakMemoryMB, 'MB', TARGETS.peakMemoryMB);
  line('run folder', report.folderMB, 'MB', TARGETS.folderMB);
  console.log(`  steps (median s): ${Object.entries(report.steps).map(([k, b]) => `${k} ${f2(b.median)}`).join(', ')}; the rest of the wall time is start-up, the JSON on stdout and exit`);
}
if (check) {
  const misses = [
    report.wallSeconds.median > TARGETS.wallSeconds ? 'wall time' : null,
    report.peakMemoryMB.median > TARGETS.peakMemoryMB ? 'peak memory' : null,
    report.folderMB.median > TARGETS.folderMB ? 'run folder size' : null,
  ].filter((x) => x !== null);
  if (misses.length > 0) {
    console.error(`above target: ${misses.join(', ')}`);
    process.exit(1);
  }
}
