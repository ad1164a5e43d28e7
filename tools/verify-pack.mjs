#!/usr/bin/env node
// Proves the libraries are publishable: packs each built library with `npm pack`, then, outside
// the workspace,
// 1. installs exactly the packages a backtest needs (core, market-data, strategies, execution-sim,
//    risk-guardrails, engine), checks that no database, broker client or chart package came
//    with them, compiles and runs the custom-strategy example of libs/engine/README.md, and
//    reads a 9.6 MiB bar file in chunks from the installed reader, as the whole reading reads it;
// 2. installs every package, requires each, runs a tiny backtest, checks that test support
//    (`@quantbot/alpaca/fake`, `@quantbot/storage/testing`, `@quantbot/strategies/testing`) ships
//    only in its own entry points,
//    and type-checks an import of their declarations (second entry points resolved through
//    `exports` and `typesVersions`).
// Usage: node tools/verify-pack.mjs [--skip-build]
// It first builds the libraries it packs (and what they depend on) with `nx run-many -t build`,
// so it works on a fresh clone and in a CI job that built nothing (`nx affected` on a change to
// the docs); --skip-build is for a caller that has just built every library (`npm test`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = resolve(import.meta.dirname, '..');
const libs = readdirSync(join(root, 'libs')).filter((name) => existsSync(join(root, 'libs', name, 'package.json')));
const run = (cmd, argv, cwd) => execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

if (!process.argv.includes('--skip-build')) {
  // Each library's folder name is its Nx project name; nx's own output goes to stderr.
  const require = createRequire(import.meta.url);
  const nx = join(dirname(require.resolve('nx/package.json')), require('nx/package.json').bin.nx);
  execFileSync(process.execPath, [nx, 'run-many', '-t', 'build', '-p', libs.join(','), '--outputStyle=stream'], { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
}

const work = mkdtempSync(join(tmpdir(), 'quantbot-pack-'));

try {
  const tarballs = {};
  for (const lib of libs) {
    const dir = join(root, 'libs', lib);
    if (!existsSync(join(dir, 'dist', 'index.js')) || !existsSync(join(dir, 'dist', 'index.d.ts'))) {
      throw new Error(`libs/${lib} is not built (run: npx nx run-many -t build, or this script without --skip-build)`);
    }
    const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], dir));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const files = out[0].files.map((f) => f.path);
    if (files.some((f) => f.endsWith('.spec.js') || f.startsWith('src/'))) throw new Error(`${pkg.name}: tarball contains tests or sources`);
    tarballs[pkg.name] = `file:${join(work, out[0].filename)}`;
  }
  const tsc = [join(root, 'node_modules', 'typescript', 'bin', 'tsc')];
  const tsconfig = (files) => JSON.stringify({ compilerOptions: { strict: true, module: 'commonjs', moduleResolution: 'node', target: 'ES2022', types: [], outDir: 'out' }, files });

  // 1. A backtest from another project: exactly these packages, and nothing heavy behind them.
  const backtestSet = ['@quantbot/core', '@quantbot/market-data', '@quantbot/strategies', '@quantbot/execution-sim', '@quantbot/risk-guardrails', '@quantbot/engine'];
  const forbidden = ['@electric-sql/pglite', 'pg', 'kysely', 'undici', 'ws', 'vega', 'vega-lite', '@quantbot/alpaca', '@quantbot/storage', '@quantbot/live'];
  const backtester = join(work, 'backtest-consumer');
  run('mkdir', ['-p', backtester]);
  writeFileSync(
    join(backtester, 'package.json'),
    JSON.stringify({ name: 'backtest-consumer', version: '1.0.0', private: true, dependencies: Object.fromEntries(backtestSet.map((n) => [n, tarballs[n]])), overrides: tarballs }, null, 2),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], backtester);
  const installed = forbidden.filter((name) => existsSync(join(backtester, 'node_modules', ...name.split('/'), 'package.json')));
  if (installed.length > 0) throw new Error(`installing ${backtestSet.join(', ')} also installed ${installed.join(', ')}`);
  const readme = readFileSync(join(root, 'libs', 'engine', 'README.md'), 'utf8');
  const example = /<!-- verify-pack: example -->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (example === undefined) throw new Error('libs/engine/README.md has no example marked <!-- verify-pack: example -->');
  writeFileSync(join(backtester, 'example.ts'), example);
  writeFileSync(join(backtester, 'tsconfig.json'), tsconfig(['example.ts']));
  run(process.execPath, [...tsc, '-p', backtester], backtester);
  const printed = run('node', [join('out', 'example.js')], backtester).trim();
  const figures = /^(\d+) trades, final equity (\d+\.\d\d)$/.exec(printed);
  if (figures === null || Number(figures[1]) === 0) throw new Error(`the engine README's example printed ${JSON.stringify(printed)}, not a backtest with trades`);
  console.log(`verify-pack: the engine README's custom strategy ran with only ${backtestSet.length} packages installed (${printed})`);
  // A large bar file is read in chunks of 1 MiB (ten of them here), hashed as read: the same
  // columns and hash as the whole file read at once, from the installed package.
  writeFileSync(
    join(backtester, 'read-large.js'),
    `const fs = require('node:fs');
const { readBarPath, readOhlcvCsv } = require('@quantbot/market-data');
const lines = ['Date,Open,High,Low,Close,Volume'];
for (let k = 0; k < 300000; k++) lines.push(new Date(Date.UTC(2000, 0, 1) + k * 86400000).toISOString().slice(0, 10) + ',' + (10 + (k % 97) / 100) + ',11,9,10.5,' + (1000 + k));
fs.writeFileSync('large.csv', lines.join('\\n') + '\\n');
if (fs.statSync('large.csv').size < 8 << 20) throw new Error('the file is under 8 MiB');
const { readings, hashes } = readBarPath('large.csv', { hash: true });
const got = readings[0].series;
const whole = fs.readFileSync('large.csv');
const want = readOhlcvCsv(whole, { source: 'large.csv', symbol: got.symbol }).series;
if (hashes[0].sha256 !== require('node:crypto').createHash('sha256').update(whole).digest('hex')) throw new Error('readBarPath hashed other bytes than the file holds');
for (const key of ['time', 'open', 'high', 'low', 'close', 'volume']) {
  if (Buffer.compare(Buffer.from(got[key].buffer, got[key].byteOffset, got[key].byteLength), Buffer.from(want[key].buffer, want[key].byteOffset, want[key].byteLength)) !== 0) throw new Error(key + ' differs');
}
console.log(got.length + ' rows');
`,
  );
  const readLarge = run('node', ['read-large.js'], backtester).trim();
  if (readLarge !== '300000 rows') throw new Error(`reading a large bar file from the installed package printed ${JSON.stringify(readLarge)}`);
  console.log(`verify-pack: a 300,000-row bar file (9.6 MiB) read in chunks from the installed package, the same columns and hash as the whole file gives`);

  // 2. Every package.
  const consumer = join(work, 'consumer');
  run('mkdir', ['-p', consumer]);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: tarballs, overrides: tarballs }, null, 2),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], consumer);

  const smoke = `
    const core = require('@quantbot/core');
    const md = require('@quantbot/market-data');
    const st = require('@quantbot/strategies');
    const engine = require('@quantbot/engine');
    const sim = require('@quantbot/execution-sim');
    const universe = md.generateSyntheticUniverse({ symbols: 2, bars: 300, seed: 1 });
    const { strategy } = st.createStrategy('sma-crossover', { fast: 5, slow: 20 }, universe.symbols.length);
    const result = engine.runBacktest({ universe, strategy, startingCash: 100000, sizing: { kind: 'fixed-shares', shares: 10 }, execution: sim.EXECUTION_PROFILES.realistic, seed: 1 });
    if (result.execution.name !== 'realistic' || !(result.executionQuality.orders > 0)) throw new Error('execution profile not applied');
    if (!(result.metrics.finalEquity > 0) || result.equity.length !== 300) throw new Error('unexpected backtest result');
    if (typeof core.PortfolioLedger !== 'function') throw new Error('core export missing');
    if (typeof require('@quantbot/live').LiveSession !== 'function') throw new Error('@quantbot/live export missing');
    if (typeof require('@quantbot/observability/report').renderRunReport !== 'function') throw new Error('@quantbot/observability/report export missing');
    // Test support ships in its own entry points, never in a main one.
    if (typeof require('@quantbot/alpaca/fake').startFakeAlpacaServer !== 'function') throw new Error('@quantbot/alpaca/fake export missing');
    if ('startFakeAlpacaServer' in require('@quantbot/alpaca')) throw new Error('@quantbot/alpaca main entry exports the fake');
    if (typeof require('@quantbot/storage/testing').openTestDatabase !== 'function') throw new Error('@quantbot/storage/testing export missing');
    if ('describeStorageBackends' in require('@quantbot/storage')) throw new Error('@quantbot/storage main entry exports the test kit');
    if (typeof require('@quantbot/strategies/testing').FullSeriesZScore !== 'function') throw new Error('@quantbot/strategies/testing export missing');
    if ('FullSeriesZScore' in require('@quantbot/strategies')) throw new Error('@quantbot/strategies main entry exports a deliberately biased strategy');
    const fm = require('@quantbot/factor-models');
    const evaluation = fm.evaluateFactor(fm.generateSyntheticPanel({ symbols: 10, dates: 30, seed: 1, ic: 0.1 }), { factor: 'signal', periods: [1], quantiles: 5 });
    if (evaluation.ic['1'].n !== 29 || !Object.isFrozen(evaluation)) throw new Error('@quantbot/factor-models did not evaluate the synthetic panel');
    // Its npm dependencies, as installed with the package: ml-regression (factor returns) and
    // arquero, an ES module that the CommonJS build loads with require() (the point-in-time merge).
    const factorPanel = fm.generateSyntheticPanel({ symbols: 10, dates: 30, seed: 1, ic: 0.1 });
    const factorReturns = fm.estimateFactorReturns(factorPanel, { factors: ['signal', 'noise'] });
    if (factorReturns.regressions.filter((r) => r.defined).length !== 29 || typeof factorReturns.summary.signal.t !== 'number') throw new Error('@quantbot/factor-models did not estimate factor returns');
    const merged = fm.mergePointInTime(factorPanel, { fundamentals: { symbol: ['S001', 'S001'], availableDate: [factorPanel.dates[3], factorPanel.dates[10]], values: { book: [1, 2] } } });
    const book = merged.panel.factors.book;
    const s001 = Array.from({ length: factorPanel.rows }, (_, r) => r).filter((r) => factorPanel.symbolIndex[r] === 0);
    if (!Number.isNaN(book[s001[2]]) || book[s001[3]] !== 1 || book[s001[9]] !== 1 || book[s001[10]] !== 2) throw new Error('@quantbot/factor-models did not merge fundamentals as of their dates');
    for (const name of ${JSON.stringify(Object.keys(tarballs))}) {
      if (Object.keys(require(name)).length === 0) throw new Error(name + ' exports nothing');
    }
    console.log('installed packages ran a backtest: ' + result.trades.length + ' trades');
  `;
  process.stdout.write(run('node', ['-e', smoke], consumer));

  writeFileSync(
    join(consumer, 'check.ts'),
    `import { PortfolioLedger, ticker } from '@quantbot/core';
import type { BarUniverse } from '@quantbot/core';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { Sma } from '@quantbot/strategies';
import { runBacktest } from '@quantbot/engine';
import { LiveSession } from '@quantbot/live';
import { renderRunReport } from '@quantbot/observability/report';
import { AlpacaVenue } from '@quantbot/alpaca';
import { SimulatedBroker, resolveExecutionProfile } from '@quantbot/execution-sim';
import { deflatedSharpeRatio } from '@quantbot/validation';
import { sha256Hex } from '@quantbot/observability';
import { startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import { storageBackends } from '@quantbot/storage/testing';
import { FullSeriesZScore } from '@quantbot/strategies/testing';
import { evaluateFactor, generateSyntheticPanel, mergePointInTime, attributeReturns, estimateFactorReturns } from '@quantbot/factor-models';
import type { FactorEvaluation, PointInTimeMerge, ReturnAttribution } from '@quantbot/factor-models';
const evaluation: FactorEvaluation = evaluateFactor(generateSyntheticPanel({ symbols: 5, dates: 10 }), { factor: 'signal', periods: [1], quantiles: 2 });
const merge: PointInTimeMerge = mergePointInTime(generateSyntheticPanel({ symbols: 5, dates: 10 }), { prices: { symbol: ['S001'], date: ['2020-01-01'], values: { volume: [1] } } });
const attribution: ReturnAttribution = attributeReturns({ dates: [], returns: [] }, estimateFactorReturns(generateSyntheticPanel({ symbols: 5, dates: 10 }), { factors: ['signal'] }).series);
const u: BarUniverse = generateSyntheticUniverse({ bars: 10 });
const ledger: PortfolioLedger = new PortfolioLedger([ticker('A')], 1);
const sma: Sma = new Sma(3);
const profile = resolveExecutionProfile('stressed', { latencyMs: 5 });
const startFake: (options: { credentials: { keyId: string; secretKey: string }; now: () => number }) => Promise<FakeAlpacaServer> = startFakeAlpacaServer;
export const checks = [u.length, ledger.cash, sma.warmup, typeof runBacktest, profile.latencyMs, typeof SimulatedBroker, typeof deflatedSharpeRatio, typeof sha256Hex, typeof LiveSession, typeof renderRunReport, typeof AlpacaVenue, typeof startFake, storageBackends({}).length, new FullSeriesZScore(u).name, evaluation.ic['1']?.n, merge.panel.rows, attribution.defined];
`,
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'commonjs', moduleResolution: 'node', target: 'ES2022', types: [] }, files: ['check.ts'] }),
  );
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], consumer);
  console.log(`verify-pack: ${libs.length} packages packed, installed outside the workspace, required and type-checked`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
