#!/usr/bin/env node
// Proves the libraries are publishable: packs each built library with `npm pack`, installs the
// tarballs into a fresh project outside the workspace, then requires every package, runs a tiny
// backtest through the installed packages, and type-checks an import of their declarations.
// Usage: node tools/verify-pack.mjs   (after the libraries are built)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const libs = readdirSync(join(root, 'libs')).filter((name) => existsSync(join(root, 'libs', name, 'package.json')));
const work = mkdtempSync(join(tmpdir(), 'quantbot-pack-'));
const run = (cmd, argv, cwd) => execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  const tarballs = {};
  for (const lib of libs) {
    const dir = join(root, 'libs', lib);
    if (!existsSync(join(dir, 'dist', 'index.js')) || !existsSync(join(dir, 'dist', 'index.d.ts'))) {
      throw new Error(`libs/${lib} is not built (run: npx nx run-many -t build)`);
    }
    const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], dir));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const files = out[0].files.map((f) => f.path);
    if (files.some((f) => f.endsWith('.spec.js') || f.startsWith('src/'))) throw new Error(`${pkg.name}: tarball contains tests or sources`);
    tarballs[pkg.name] = `file:${join(work, out[0].filename)}`;
  }
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
import { SimulatedBroker, resolveExecutionProfile } from '@quantbot/execution-sim';
import { deflatedSharpeRatio } from '@quantbot/validation';
import { sha256Hex } from '@quantbot/observability';
const u: BarUniverse = generateSyntheticUniverse({ bars: 10 });
const ledger: PortfolioLedger = new PortfolioLedger([ticker('A')], 1);
const sma: Sma = new Sma(3);
const profile = resolveExecutionProfile('stressed', { latencyMs: 5 });
export const checks = [u.length, ledger.cash, sma.warmup, typeof runBacktest, profile.latencyMs, typeof SimulatedBroker, typeof deflatedSharpeRatio, typeof sha256Hex, typeof LiveSession];
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
