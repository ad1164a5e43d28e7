import { resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { formatBarDate, loadBarFile } from '@quantbot/market-data';
import { INDICATOR_CATALOG, computeIndicatorSeries, parseParamList } from '@quantbot/strategies';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

/** Flags of `backtester indicators`. */
export const INDICATOR_FLAGS: readonly FlagSpec[] = [
  { name: 'data', kind: 'string', valueName: 'file', description: 'bar file to compute over (required)' },
  { name: 'indicator', kind: 'string', valueName: 'name', description: `one of: ${Object.keys(INDICATOR_CATALOG).join(', ')}` },
  { name: 'params', kind: 'string', valueName: 'k=v,...', description: 'indicator parameters, e.g. period=30' },
  { name: 'json', kind: 'boolean', description: 'print an array of { time, <line>: number | null }' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/**
 * `backtester indicators`: computes a shipped indicator over a data file and prints its series,
 * one row per bar. Values are null (JSON) or blank (text) during warm-up.
 */
export function indicatorsCommand(argv: readonly string[], io: CliIo): number {
  const flags = parseFlags(argv, INDICATOR_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester indicators --data <file> --indicator <name> [--params k=v,...] [--json]\n\n${formatFlagHelp(INDICATOR_FLAGS)}`);
    return 0;
  }
  const data = flags['data'];
  const name = flags['indicator'];
  if (typeof data !== 'string') throw new ConfigError('--data', 'is required');
  if (typeof name !== 'string') throw new ConfigError('--indicator', `is required; one of: ${Object.keys(INDICATOR_CATALOG).join(', ')}`);
  const raw = typeof flags['params'] === 'string' ? parseParamList(flags['params']) : {};
  const params: Record<string, number> = {};
  for (const [key, text] of Object.entries(raw)) {
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) throw new ConfigError(`--params ${key}`, `'${text}' is not a number`);
    params[key] = value;
  }
  const series = loadBarFile(resolve(io.cwd, data));
  const { lines, values } = computeIndicatorSeries(name, params, series);

  if (flags['json'] === true) {
    const rows: Record<string, string | number | null>[] = [];
    for (let k = 0; k < series.length; k++) {
      const row: Record<string, string | number | null> = { time: new Date(series.time[k] as number).toISOString() };
      lines.forEach((line, j) => {
        const v = (values[j] as Float64Array)[k] as number;
        row[line] = Number.isFinite(v) ? v : null;
      });
      rows.push(row);
    }
    io.out(JSON.stringify(rows));
    return 0;
  }
  const out = [['date', ...lines].join('\t')];
  for (let k = 0; k < series.length; k++) {
    const cells = values.map((column) => {
      const v = column[k] as number;
      return Number.isFinite(v) ? String(v) : '';
    });
    out.push([formatBarDate(series.time[k] as number), ...cells].join('\t'));
  }
  io.out(out.join('\n'));
  return 0;
}
