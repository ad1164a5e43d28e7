import { readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { ConfigError, DataError } from '@quantbot/core';
import { evaluateFactor, generateSyntheticPanel, parseFactorPanelCsv } from '@quantbot/factor-models';
import type { FactorPanel } from '@quantbot/factor-models';
import { writeFileAtomically } from '@quantbot/observability';
import { renderFactorTearSheet } from '@quantbot/observability/report';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { describeFactorSource, formatFactorEvaluation } from './factor-summary-format';
import type { FactorSource } from './factor-summary-format';

/** The synthetic panel `factors` evaluates when no `--panel` is given. */
const SYNTHETIC_DEFAULTS = Object.freeze({ seed: 1, symbols: 50, dates: 252, ic: 0.05, factor: 'signal' });

/** The flags that shape the synthetic panel (refused with `--panel`). */
const SYNTHETIC_FLAGS = ['seed', 'symbols', 'dates', 'ic'] as const;

/** Flags of `backtester factors`. */
export const FACTOR_FLAGS: readonly FlagSpec[] = [
  { name: 'panel', kind: 'string', valueName: 'file.csv', description: 'factor panel CSV: date,symbol,close|forward_return[,group],<factor>... (default: the seeded synthetic panel)' },
  { name: 'factor', kind: 'string', valueName: 'column', description: `the factor column to evaluate (required with --panel; synthetic panel: ${SYNTHETIC_DEFAULTS.factor} or noise, default ${SYNTHETIC_DEFAULTS.factor})` },
  { name: 'periods', kind: 'string', valueName: 'k,k,...', description: 'forward-return horizons, in rows of each symbol (default 1,5,10)' },
  { name: 'quantiles', kind: 'number', valueName: 'n', description: 'quantile buckets per date, at least 2 (default 5)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: `synthetic panel: the RNG seed (default ${SYNTHETIC_DEFAULTS.seed})` },
  { name: 'symbols', kind: 'number', valueName: 'n', description: `synthetic panel: the number of symbols, at least 3 (default ${SYNTHETIC_DEFAULTS.symbols})` },
  { name: 'dates', kind: 'number', valueName: 'n', description: `synthetic panel: the number of weekdays, at least 2 (default ${SYNTHETIC_DEFAULTS.dates})` },
  { name: 'ic', kind: 'number', valueName: 'x', description: `synthetic panel: the expected 1-period IC planted in 'signal', in (-1, 1) (default ${SYNTHETIC_DEFAULTS.ic})` },
  { name: 'json', kind: 'boolean', description: 'print one JSON document instead of the tables' },
  { name: 'report', kind: 'boolean', description: 'also write the self-contained HTML tear sheet' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'the folder the tear sheet goes to (default results/factors; with --report)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/**
 * `backtester factors`: evaluates one factor of a panel (a CSV file, or the seeded synthetic
 * panel with a planted signal) with `evaluateFactor` of `@quantbot/factor-models` and prints the
 * IC table, quantile returns, top minus bottom, turnover, rank autocorrelation and every finding;
 * `--json` prints one document instead, `--report` also writes the HTML tear sheet.
 */
export async function factorsCommand(argv: readonly string[], io: CliIo, now: Date): Promise<number> {
  const flags = parseFlags(argv, FACTOR_FLAGS);
  if (flags['help'] === true) {
    io.out(
      `usage: backtester factors [--panel <file.csv> --factor <column>] [--periods 1,5,10] [--quantiles 5] [--json] [--report [--out <dir>]]\n\n` +
        `Evaluates a cross-sectional factor with alphalens' definitions (docs/factor-models.md). Without --panel:\n` +
        `the seeded synthetic panel, whose 'signal' factor carries a planted IC and 'noise' none.\n\n${formatFlagHelp(FACTOR_FLAGS)}`,
    );
    return 0;
  }
  const periods = typeof flags['periods'] === 'string' ? parsePeriods(flags['periods']) : undefined;
  if (flags['out'] !== undefined && flags['report'] !== true) throw new ConfigError('--out', 'names the tear sheet folder: give it with --report');
  const { panel, source } = loadPanel(flags, io.cwd);
  const factor = typeof flags['factor'] === 'string' ? flags['factor'] : source.kind === 'synthetic' ? SYNTHETIC_DEFAULTS.factor : undefined;
  if (factor === undefined) throw new ConfigError('--factor', `is required with --panel: one of the panel's factor columns ${panel.factorNames.join(', ')}`);
  const evaluation = evaluateFactor(panel, {
    factor,
    ...(periods === undefined ? {} : { periods }),
    ...(typeof flags['quantiles'] === 'number' ? { quantiles: flags['quantiles'] } : {}),
  });

  let reportFile: string | undefined;
  if (flags['report'] === true) {
    const dir = resolve(io.cwd, typeof flags['out'] === 'string' ? flags['out'] : join('results', 'factors'));
    reportFile = join(dir, `${sourceStem(source)}-${fileSafe(factor)}-tear-sheet.html`);
    const html = await renderFactorTearSheet({ ...evaluation, source: describeFactorSource(source), generatedAt: now.toISOString() });
    writeFileAtomically(reportFile, html);
  }

  if (flags['json'] === true) {
    const { factor: name, periods: evaluated, quantiles, ic, quantileReturns, topMinusBottom, turnover, rankAutocorrelation, turnoverByPeriod, rankAutocorrelationByPeriod, icSeries, spreadSeries, findings } = evaluation;
    const document = { factor: name, source, periods: evaluated, quantiles, ic, quantileReturns, topMinusBottom, turnover, rankAutocorrelation, turnoverByPeriod, rankAutocorrelationByPeriod, icSeries, spreadSeries, findings, ...(reportFile === undefined ? {} : { report: reportFile }) };
    io.out(JSON.stringify(document, null, 2));
  } else {
    const reportLine = reportFile === undefined ? '' : `\n\ntear sheet written: ${reportFile}`;
    io.out(`${formatFactorEvaluation(evaluation, source, panel)}${reportLine}`);
  }
  return 0;
}

/** `--periods 1,5,10` as numbers; the library checks that each is a positive whole number, once. */
function parsePeriods(text: string): number[] {
  return text.split(',').map((part) => {
    const trimmed = part.trim();
    const value = trimmed === '' ? NaN : Number(trimmed);
    if (!Number.isFinite(value)) throw new ConfigError('--periods', `'${trimmed}' is not a number (give whole numbers separated by commas, e.g. 1,5,10)`);
    return value;
  });
}

/** The panel a `factors` invocation evaluates: the `--panel` file, or the synthetic panel. */
function loadPanel(flags: FlagValues, cwd: string): { readonly panel: FactorPanel; readonly source: FactorSource } {
  const file = flags['panel'];
  if (typeof file === 'string') {
    for (const name of SYNTHETIC_FLAGS) {
      if (flags[name] !== undefined) throw new ConfigError(`--${name}`, 'shapes the synthetic panel: it does not apply with --panel');
    }
    const panel = parseFactorPanelCsv(readPanelFile(resolve(cwd, file), file), { file });
    return { panel, source: { kind: 'csv', file, symbols: panel.symbols.length, dates: panel.dates.length, rows: panel.rows, missing: panel.missing } };
  }
  const option = (name: (typeof SYNTHETIC_FLAGS)[number]): number => {
    const value = flags[name];
    return typeof value === 'number' ? value : SYNTHETIC_DEFAULTS[name];
  };
  const [seed, symbols, dates, ic] = [option('seed'), option('symbols'), option('dates'), option('ic')];
  const panel = generateSyntheticPanel({ seed, symbols, dates, ic });
  return { panel, source: { kind: 'synthetic', seed, symbols, dates, ic, rows: panel.rows, missing: panel.missing } };
}

/** The text of the panel file at `path`; a `DataError` naming the file as given for one that cannot be read. */
export function readPanelFile(path: string, given: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(`${code === 'ENOENT' ? 'no such file' : `cannot access (${code ?? String(error)})`} (the --panel file)`, { file: given }, { cause: error });
  }
  if (isDirectory) throw new DataError('is a folder; --panel takes one CSV file', { file: given });
  try {
    return readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new DataError(`cannot read the --panel file (${error instanceof Error ? error.message : String(error)})`, { file: given }, { cause: error });
  }
}

/** The start of the tear sheet's file name: the panel file's name, or `synthetic-seed<seed>-<symbols>x<dates>`. */
function sourceStem(source: FactorSource): string {
  return source.kind === 'csv' ? fileSafe(basename(source.file, extname(source.file))) : fileSafe(`synthetic-seed${source.seed}-${source.symbols}x${source.dates}`);
}

function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-');
}
