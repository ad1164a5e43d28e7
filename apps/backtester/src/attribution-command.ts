import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { attributeReturns, dailyReturnsFromEquity, estimateFactorReturns, parseFactorPanelCsv } from '@quantbot/factor-models';
import type { FactorReturns, ReturnAttribution } from '@quantbot/factor-models';
import { readRun } from '@quantbot/observability';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { readPanelFile } from './factors-command';

/** Flags of `backtester attribution`. */
export const ATTRIBUTION_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'the recorded run whose daily returns are attributed (required)' },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'panel', kind: 'string', valueName: 'file.csv', description: 'factor panel CSV: date,symbol,close|forward_return[,group],<factor>... (required)' },
  { name: 'factors', kind: 'string', valueName: 'a,b', description: "the panel's factor columns to attribute to (default: every factor column)" },
  { name: 'json', kind: 'boolean', description: 'print one JSON document instead of the tables' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/**
 * `backtester attribution --run-id <id> --panel <file.csv> [--factors a,b]`: estimates the
 * panel's daily factor returns by cross-sectional regression (`estimateFactorReturns`, period 1)
 * and attributes the run's daily returns (from its `equity.csv`) to them (`attributeReturns`):
 * alpha, exposures with t-statistics, R², residual volatility and each part's share of the mean
 * return. Dates only one side has are counted and listed in `--json`, never dropped silently.
 */
export function attributionCommand(argv: readonly string[], io: CliIo): number {
  const flags = parseFlags(argv, ATTRIBUTION_FLAGS);
  if (flags['help'] === true) {
    io.out(
      'usage: backtester attribution --run-id <id> --panel <file.csv> [--factors a,b] [--json]\n\n' +
        "Attributes a recorded run's daily returns to factor returns estimated from a panel (docs/factor-models.md).\n\n" +
        formatFlagHelp(ATTRIBUTION_FLAGS),
    );
    return 0;
  }
  const runId = flags['run-id'];
  if (typeof runId !== 'string') throw new ConfigError('--run-id', 'is required (the folder name under results/runs)');
  const file = flags['panel'];
  if (typeof file !== 'string') throw new ConfigError('--panel', 'is required: the factor panel whose factor returns the run is attributed to');
  const panel = parseFactorPanelCsv(readPanelFile(resolve(io.cwd, file), file), { file });
  const factors = typeof flags['factors'] === 'string' ? parseFactorList(flags['factors'], panel.factorNames) : [...panel.factorNames];
  if (factors.length === 0) throw new ConfigError('--panel', `${file} has no factor column to attribute to`);

  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const run = readRun(root, runId);
  if (run.equity.time.length < 2) throw new ConfigError('--run-id', `run ${runId} has fewer than 2 equity points: nothing to attribute`);
  const strategy = dailyReturnsFromEquity(run.equity);
  const factorReturns = estimateFactorReturns(panel, { factors, period: 1 });
  const attribution = attributeReturns(strategy, factorReturns.series, { factors });

  if (flags['json'] === true) {
    const { summary, meanRSquared, findings } = factorReturns;
    io.out(JSON.stringify({ runId, panel: file, factors, factorReturns: { summary, meanRSquared, findings }, attribution }, null, 2));
  } else {
    io.out(formatAttribution(runId, file, factorReturns, attribution, strategy.dates.length));
  }
  return 0;
}

/** `--factors a,b`: each a factor column of the panel, once. */
function parseFactorList(text: string, known: readonly string[]): string[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (name === '') throw new ConfigError('--factors', `'${text}' has an empty name (give column names separated by commas)`);
    if (!known.includes(name)) throw new ConfigError('--factors', `'${name}' is not a factor column of the panel; it has ${known.join(', ')}`);
  }
  if (new Set(names).size !== names.length) throw new ConfigError('--factors', `a factor appears twice in '${text}'`);
  return names;
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined ? 'n/a' : value.toFixed(digits);
}

function percent(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(digits)}%`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
  return [line(head), ...rows.map(line)];
}

/** The terminal's view: the factor returns over the panel, then the run's attribution. */
function formatAttribution(runId: string, panel: string, factorReturns: FactorReturns, a: ReturnAttribution, strategyDays: number): string {
  const lines: string[] = [];
  lines.push(`attribution of run ${runId} to the daily factor returns of ${panel}`);
  lines.push('', 'factor returns (cross-sectional regression per date; mean over dates, Fama-MacBeth t)');
  lines.push(
    ...table(
      ['factor', 'mean/day', 't', 'p', 'dates'],
      factorReturns.factors.map((name) => {
        const s = factorReturns.summary[name];
        return [name, percent(s?.mean, 4), fixed(s?.t, 2), fixed(s?.pValue, 4), String(s?.n ?? 0)];
      }),
    ),
  );
  lines.push(`  mean R² of the daily regressions: ${fixed(factorReturns.meanRSquared, 4)}`);
  lines.push('', `run returns on ${strategyDays} day(s); ${a.n} day(s) matched with every factor's return`);
  if (!a.defined) {
    lines.push(`attribution not defined: ${a.reason ?? 'unknown reason'}`);
  } else {
    lines.push(
      ...table(
        ['', 'estimate', 'std err', 't', 'p', 'share of mean return'],
        [
          ['alpha (per day)', percent(a.alpha.perPeriod, 4), percent(a.alpha.standardError, 4), fixed(a.alpha.t, 2), fixed(a.alpha.pValue, 4), percent(a.alpha.share, 1)],
          ...a.factors.map((name) => {
            const e = a.exposures[name];
            return [`beta ${name}`, fixed(e?.beta, 4), fixed(e?.standardError, 4), fixed(e?.t, 2), fixed(e?.pValue, 4), percent(e?.share, 1)];
          }),
        ],
      ),
    );
    lines.push(`  alpha annualized (× ${a.periodsPerYear}): ${percent(a.alpha.annualized)}`);
    lines.push(`  R²: ${fixed(a.rSquared, 4)}; residual volatility annualized: ${percent(a.residualVolatility.annualized)}`);
  }
  const unmatched = a.datesWithoutStrategyReturn.length + a.datesWithoutFactorReturns.length;
  if (unmatched > 0) {
    lines.push(
      '',
      `unmatched: ${a.datesWithoutStrategyReturn.length} date(s) without a run return, ${a.datesWithoutFactorReturns.length} without every factor's return (listed in --json)`,
    );
  }
  const findings = [...factorReturns.findings, ...a.findings];
  if (findings.length > 0) {
    lines.push('', `findings: ${findings.length}`);
    for (const f of findings.slice(0, 20)) lines.push(`  ${f.date === null ? '' : `${f.date} `}${f.kind}: ${f.detail}`);
    if (findings.length > 20) lines.push(`  ... and ${findings.length - 20} more (--json lists every finding)`);
  }
  return lines.join('\n');
}
