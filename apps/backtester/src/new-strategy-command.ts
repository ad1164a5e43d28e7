import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { ConfigError } from '@quantbot/core';

/** Flags of `backtester new-strategy`. */
const NEW_STRATEGY_FLAGS: readonly FlagSpec[] = [
  { name: 'name', kind: 'string', valueName: 'kebab-name', description: 'the strategy name and file name, e.g. my-breakout (required)' },
  { name: 'dir', kind: 'string', valueName: 'dir', description: 'where the files go (default strategies)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * `backtester new-strategy --name my-breakout [--dir strategies]`: writes a strategy file
 * (`<dir>/<name>.ts`), its Jest test (`<dir>/<name>.spec.ts`), a `jest.config.js` for the folder
 * when it has none, and a section in `<dir>/README.md`. Refuses to overwrite the strategy or its
 * test. The generated strategy passes its test and the lookahead check as written.
 */
export function newStrategyCommand(argv: readonly string[], io: CliIo): number {
  const flags = parseFlags(argv, NEW_STRATEGY_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester new-strategy --name my-breakout [--dir strategies]\n\nWrites a strategy file, its test and a README section to start a strategy of your own (docs/strategies.md).\n\n${formatFlagHelp(NEW_STRATEGY_FLAGS)}`);
    return 0;
  }
  const name = flags['name'];
  if (typeof name !== 'string') throw new ConfigError('--name', 'is required, e.g. --name my-breakout');
  if (!NAME.test(name)) throw new ConfigError('--name', `'${name}' must be kebab-case: lower-case letters and digits separated by '-', starting with a letter`);
  const dirFlag = typeof flags['dir'] === 'string' ? flags['dir'] : 'strategies';
  const dir = resolve(io.cwd, dirFlag);
  const strategyPath = join(dir, `${name}.ts`);
  const specPath = join(dir, `${name}.spec.ts`);
  for (const file of [strategyPath, specPath]) {
    if (existsSync(file)) throw new ConfigError('--name', `${file} exists; new-strategy never overwrites a file: choose another name or remove it`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(strategyPath, strategySource(name));
  writeFileSync(specPath, specSource(name));
  const written = [strategyPath, specPath];
  const jestConfig = join(dir, 'jest.config.js');
  // The folder's workspace, else the one this backtester runs from.
  const preset = findWorkspacePreset(dir) ?? findWorkspacePreset(io.cwd) ?? findWorkspacePreset(__dirname);
  if (!existsSync(jestConfig) && preset !== null) {
    writeFileSync(jestConfig, jestConfigSource(relative(dir, preset)));
    written.push(jestConfig);
  }
  const readme = join(dir, 'README.md');
  const before = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Strategies\n\nStrategy files of this project (docs/strategies.md says what a strategy file is).\n';
  writeFileSync(readme, `${before.trimEnd()}\n\n${readmeSection(name, dirFlag)}`);
  written.push(readme);
  const shown = (path: string): string => (path.startsWith(io.cwd + sep) ? relative(io.cwd, path) : path);
  const strategyArg = isAbsolute(shown(strategyPath)) ? shown(strategyPath) : `./${shown(strategyPath)}`;
  io.out(
    [
      ...written.map((file) => `written: ${shown(file)}`),
      '',
      ...(existsSync(jestConfig) ? [`test it:      npx jest -c ${shown(jestConfig)}`] : []),
      `backtest it:  node apps/backtester/dist/main.js run --strategy ${strategyArg} --check-lookahead`,
    ].join('\n'),
  );
  return 0;
}

/** The workspace's `jest.preset.js` in `dir` or above it, or null outside a Quantbot workspace. */
function findWorkspacePreset(dir: string): string | null {
  let at = dir;
  for (;;) {
    const candidate = join(at, 'jest.preset.js');
    if (existsSync(candidate)) return candidate;
    const up = dirname(at);
    if (up === at) return null;
    at = up;
  }
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function strategySource(name: string): string {
  const constant = `${camel(name).replace(/^./, (c) => c.toUpperCase())}`;
  return `import type { BarView, ParamValues, Strategy, StrategyBuildContext, StrategyContext, StrategyDefinition } from '@quantbot/strategies';

/**
 * ${name}: a Donchian breakout. Buys a symbol whose close rises above the highest high of the
 * \`entryLookback\` bars before it, and closes the position when the close falls below the lowest
 * low of the \`exitLookback\` bars before it. Long only; the session's sizing rule picks the size.
 *
 * It reads only the current and past bars (\`bar.high(ago)\` with \`ago ≥ 1\`), keeps its state
 * per symbol, and never awaits: the same code decides in a backtest, on paper and live.
 */
class ${constant} implements Strategy {
  readonly name = '${name}';
  readonly warmupBars: number;
  readonly #entryLookback: number;
  readonly #exitLookback: number;

  constructor(entryLookback: number, exitLookback: number) {
    this.#entryLookback = entryLookback;
    this.#exitLookback = exitLookback;
    this.warmupBars = Math.max(entryLookback, exitLookback) + 1;
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    if (bar.visibleSteps <= this.warmupBars) return;
    const close = bar.close();
    if (!Number.isFinite(close)) return;
    const i = bar.symbolIndex;
    if (ctx.hasPendingOrder(i)) return;
    if (ctx.position(i) === 0) {
      if (close > highest(bar, this.#entryLookback)) ctx.buy(i);
    } else if (close < lowest(bar, this.#exitLookback)) {
      ctx.closePosition(i);
    }
  }
}

/** The highest high of the \`lookback\` bars before the current one (NaN bars skipped). */
function highest(bar: BarView, lookback: number): number {
  let out = Number.NEGATIVE_INFINITY;
  for (let ago = 1; ago <= lookback; ago++) {
    const high = bar.high(ago);
    if (high > out) out = high;
  }
  return out;
}

/** The lowest low of the \`lookback\` bars before the current one (NaN bars skipped). */
function lowest(bar: BarView, lookback: number): number {
  let out = Number.POSITIVE_INFINITY;
  for (let ago = 1; ago <= lookback; ago++) {
    const low = bar.low(ago);
    if (low < out) out = low;
  }
  return out;
}

/** What \`--strategy ./${name}.ts\` loads: name, version, parameters (with ranges for sweeps) and the factory. */
export const strategy: StrategyDefinition = {
  name: '${name}',
  version: '0.1.0',
  description: 'Donchian breakout: buy above the prior entryLookback-bar high, exit below the prior exitLookback-bar low.',
  params: [
    { name: 'entryLookback', kind: 'integer', default: 20, min: 10, max: 50, description: 'bars whose highest high a close must beat to enter' },
    { name: 'exitLookback', kind: 'integer', default: 10, min: 5, max: 25, description: 'bars whose lowest low a close must break to exit' },
  ],
  create(values: ParamValues, _context: StrategyBuildContext): Strategy {
    return new ${constant}(values['entryLookback'] as number, values['exitLookback'] as number);
  },
};

export default strategy;
`;
}

function specSource(name: string): string {
  return `import { checkLookahead, runBacktest } from '@quantbot/engine';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { createStrategy } from '@quantbot/strategies';
import { strategy } from './${name}';

describe('${name}', () => {
  const universe = generateSyntheticUniverse({ symbols: 2, bars: 400, seed: 7 });
  const sizing = { kind: 'fixed-shares', shares: 10 } as const;

  it('trades on synthetic data with its default parameters', () => {
    const built = createStrategy(strategy, {}, universe.symbols.length);
    const result = runBacktest({ universe, strategy: built.strategy, startingCash: 100_000, sizing });
    expect(result.trades.length).toBeGreaterThan(0);
  });

  it('refuses parameters outside their ranges', () => {
    expect(() => createStrategy(strategy, { entryLookback: 5 }, 1)).toThrow(/entryLookback/);
  });

  it('passes the lookahead check', () => {
    const report = checkLookahead({ universe, build: (u) => createStrategy(strategy, {}, u.symbols.length).strategy, startingCash: 100_000, sizing });
    expect(report.comparedDecisions).toBeGreaterThan(0);
    expect(report.divergences).toEqual([]);
    expect(report.passed).toBe(true);
  });
});
`;
}

function jestConfigSource(preset: string): string {
  const path = preset.split(sep).join('/');
  const relativePath = path.startsWith('.') ? path : `./${path}`;
  return `// Runs this folder's strategy tests with the workspace's Jest settings: npx jest -c <this file>
const { dirname, join } = require('node:path');
const preset = join(__dirname, '${relativePath}');
module.exports = {
  ...require(preset),
  displayName: 'strategies',
  // The workspace is the root Jest resolves its transformer from; the tests are this folder's.
  rootDir: dirname(preset),
  roots: [__dirname],
  testMatch: ['**/*.spec.ts'],
};
`;
}

function readmeSection(name: string, dir: string): string {
  return `## ${name}

A Donchian breakout (generated by \`backtester new-strategy\`; edit it to make it yours).

- Test: \`npx jest -c ${dir}/jest.config.js\`
- Backtest with the lookahead check: \`node apps/backtester/dist/main.js run --strategy ./${dir}/${name}.ts --check-lookahead\`
- Sweep its parameter ranges: \`node apps/backtester/dist/main.js sweep --strategy ./${dir}/${name}.ts\`
- Parameters: \`entryLookback\` (integer 10..50, default 20), \`exitLookback\` (integer 5..25, default 10)
`;
}
