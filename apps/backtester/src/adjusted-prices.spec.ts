import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import type { CliIo } from '@quantbot/cli';
import { sharedDataFile } from '../test/shared-data';
import { main } from './main';

interface Captured {
  code: number;
  out: string;
  err: string;
}

interface Finding {
  check: string;
  symbol: string;
  time: string | number | null;
  message: string;
}

interface JsonReport {
  summary: Record<string, number | string | null>;
  trades: { entryTime: string; entryPrice: number }[];
  dataQuality: { report: { findings: Finding[] } };
}

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'quantbot-adjusted-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir };
  const code = await main(argv, io, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), () => new Date(Date.UTC(2026, 0, 2, 3, 4, 9)));
  return { code, out, err };
}

const SPLIT_DAY = '2006-04-07';

/**
 * NVDA 2005-2006 as traded around its 2-for-1 split of 2006-04-07. The shared file's Close is
 * already split-adjusted (its Adj Close adds dividends only), so the bars before the split get
 * their as-traded prices back (x2) and share counts (/2); Adj Close is left as published.
 */
function writeAsTradedNvda(name: string): { closes: Map<string, number>; adjCloses: Map<string, number> } {
  const lines = readFileSync(sharedDataFile('nvda-1999-2014.txt'), 'utf8').split(/\r?\n/);
  const closes = new Map<string, number>();
  const adjCloses = new Map<string, number>();
  const out = [lines[0] as string];
  for (const line of lines.slice(1)) {
    const date = line.slice(0, 10);
    if (date < '2005-01-01' || date > '2006-12-31') continue;
    const [, o, h, l, c, adj, v] = line.split(',');
    const k = date < SPLIT_DAY ? 2 : 1;
    const close = Number(c) * k;
    closes.set(date, close);
    adjCloses.set(date, Number(adj));
    out.push([date, Number(o) * k, Number(h) * k, Number(l) * k, close, adj, Number(v) / k].join(','));
  }
  writeFileSync(join(workDir, name), `${out.join('\n')}\n`);
  return { closes, adjCloses };
}

const splitFindings = (report: JsonReport): Finding[] =>
  report.dataQuality.report.findings.filter((f) => f.check === 'split-like-jump' || f.check === 'large-move');

describeWithPrerequisite(realMarketDataPrerequisite(), 'backtester run --prices', () => {
  let series: { closes: Map<string, number>; adjCloses: Map<string, number> };
  beforeAll(() => {
    series = writeAsTradedNvda('nvda-2005-2006.csv');
  });

  it('trades raw prices by default: the split jump is in the data and flagged, and the summary has no prices field', async () => {
    const run = await cli('run', '--data', 'nvda-2005-2006.csv', '--params', 'fast=5,slow=20', '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as JsonReport;
    expect(report.summary['prices']).toBeUndefined();
    const flagged = splitFindings(report);
    expect(flagged.map((f) => f.check)).toEqual(['split-like-jump']);
    expect(flagged[0]?.message).toContain(`(${SPLIT_DAY})`);
    // An entry before the split fills near the raw close (2x the adjusted one).
    const entry = report.trades.find((t) => t.entryTime.slice(0, 10) < SPLIT_DAY);
    if (entry === undefined) throw new Error('no trade before the split');
    expect(Math.abs(entry.entryPrice / (series.closes.get(entry.entryTime.slice(0, 10)) as number) - 1)).toBeLessThan(0.15);

    // --prices raw is the default, exactly: same summary but for the run id.
    const explicit = JSON.parse((await cli('run', '--data', 'nvda-2005-2006.csv', '--params', 'fast=5,slow=20', '--prices', 'raw', '--json')).out) as JsonReport;
    const { runId: a, ...rawSummary } = report.summary;
    const { runId: b, ...explicitSummary } = explicit.summary;
    expect(a).not.toBe(b);
    expect(explicitSummary).toEqual(rawSummary);
  });

  it('--prices adjusted trades the Adj Close series: no split jump, no finding, and says so', async () => {
    const run = await cli('run', '--data', 'nvda-2005-2006.csv', '--params', 'fast=5,slow=20', '--prices', 'adjusted', '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as JsonReport;
    expect(report.summary['prices']).toBe('adjusted (Adj Close)');
    expect(splitFindings(report)).toEqual([]);
    const runDir = join(workDir, 'results', 'runs', String(report.summary['runId']));
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as { parameters: { prices?: string }; commandLine: string[] };
    expect(manifest.parameters.prices).toBe('adjusted');
    expect(manifest.commandLine).toContain('--prices');
    // An entry fills near the adjusted close of the bar before it, not the raw (2x before the split).
    const early = report.trades.find((t) => t.entryTime.slice(0, 10) < SPLIT_DAY);
    if (early === undefined) throw new Error('no trade before the split');
    const entryDate = early.entryTime.slice(0, 10);
    expect(Math.abs(early.entryPrice / (series.adjCloses.get(entryDate) as number) - 1)).toBeLessThan(0.15);
    expect(Math.abs(early.entryPrice / (series.closes.get(entryDate) as number) - 1)).toBeGreaterThan(0.4);
  });

  it('prints which prices it used in the text summary', async () => {
    const adjusted = await cli('run', '--data', 'nvda-2005-2006.csv', '--prices', 'adjusted');
    expect(adjusted.out).toMatch(/^prices\s+adjusted \(Adj Close\)$/m);
    const raw = await cli('run', '--data', 'nvda-2005-2006.csv');
    expect(raw.out).toMatch(/^prices\s+raw \(as in the file\)$/m);
  });

  it('applies to sweeps too', async () => {
    const run = await cli('sweep', '--data', 'nvda-2005-2006.csv', '--prices', 'adjusted', '--space', 'fast=5..10:5,slow=20..30:10', '--workers', '1');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('on nvda-2005-2006.csv, prices adjusted (Adj Close):');
  });

  it('refuses a file without an Adj Close column, naming it', async () => {
    writeFileSync(join(workDir, 'plain.csv'), readFileSync(sharedDataFile('2006-day-001.txt')));
    const run = await cli('run', '--data', 'plain.csv', '--prices', 'adjusted');
    expect(run.code).toBe(1);
    expect(run.err).toContain('error: plain.csv, symbol PLAIN: has no Adj Close column');
  });
});

describe('backtester run --prices: option errors', () => {
  it('refuses adjusted prices on synthetic data and an unknown choice, naming the flag', async () => {
    const synthetic = await cli('run', '--prices', 'adjusted', '--bars', '50');
    expect(synthetic.code).toBe(2);
    expect(synthetic.err).toContain('error: --prices: synthetic data has no adjusted closes');
    const unknown = await cli('run', '--prices', 'split', '--bars', '50');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("error: --prices: unknown prices 'split'; available: raw, adjusted");
  });
});
