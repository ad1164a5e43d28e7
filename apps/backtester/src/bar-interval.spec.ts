import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummaryMetric } from '@quantbot/observability';
import { backtesterCli } from '../test/cli-harness';

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-interval-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);

/** `sessions` regular sessions (09:30–16:00 New York as 14:30–21:00 UTC) of one bar every `minutes`, from 2024-01-02 (weekends skipped). */
function intradayCsv(minutes: number, sessions: number): string {
  const rows = ['Date,Open,High,Low,Close,Volume'];
  let day = Date.UTC(2024, 0, 2);
  let k = 0;
  for (let s = 0; s < sessions; day += 86_400_000) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    s++;
    for (let m = 0; m < 390; m += minutes, k++) {
      const close = 100 + 3 * Math.sin(k / 17) + 0.5 * Math.sin(k / 5) + k * 0.001;
      const open = close - 0.05 * Math.cos(k / 3);
      const stamp = new Date(day + (14 * 60 + 30 + m) * 60_000).toISOString().replace('T', ' ').slice(0, 19);
      rows.push(`${stamp},${open.toFixed(4)},${(Math.max(open, close) + 0.02).toFixed(4)},${(Math.min(open, close) - 0.02).toFixed(4)},${close.toFixed(4)},1000`);
    }
  }
  return `${rows.join('\n')}\n`;
}

function dailyCsv(days: number): string {
  const rows = ['Date,Open,High,Low,Close,Volume'];
  let day = Date.UTC(2024, 0, 2);
  for (let k = 0; k < days; day += 86_400_000) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const close = 50 + 5 * Math.sin(k / 6);
    rows.push(`${new Date(day).toISOString().slice(0, 10)},${close.toFixed(4)},${(close + 0.5).toFixed(4)},${(close - 0.5).toFixed(4)},${close.toFixed(4)},1000`);
    k++;
  }
  return `${rows.join('\n')}\n`;
}

interface RunJson {
  summary: Record<string, number | string | null>;
}

describe('backtester run on minute bars', () => {
  it('detects 1-minute bars and annualises with 252 × 390 bars a year, as the same returns give by hand', async () => {
    const data = join(workDir, 'spy-1m.csv');
    writeFileSync(data, intradayCsv(1, 3));
    const result = await cli('run', '--data', data, '--params', 'fast=5,slow=20', '--calendar', 'none', '--json');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const s = (JSON.parse(result.out) as RunJson).summary;
    expect(s['barInterval']).toBe('1m');
    expect(s['periodsPerYear']).toBe(98_280);
    expect(Number(s['closedTrades'])).toBeGreaterThan(5);

    // The same returns, from the run's equity curve, annualised by hand.
    const equity = readFileSync(join(workDir, 'results', 'runs', String(s['runId']), 'equity.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split(',')[1]));
    expect(equity).toHaveLength(3 * 390);
    const returns = equity.map((e, k) => e / (k === 0 ? 100_000 : (equity[k - 1] as number)) - 1);
    const n = returns.length;
    const mean = returns.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const downside = Math.sqrt(returns.filter((r) => r < 0).reduce((a, b) => a + b * b, 0) / n);
    const barsPerYear = 252 * 6.5 * 60;
    const relative = (actual: unknown, expected: number): void => expect(Math.abs((actual as number) / expected - 1)).toBeLessThan(1e-9);
    relative(s['annualVolatility'], sd * Math.sqrt(barsPerYear));
    relative(s['sharpe'], (mean / sd) * Math.sqrt(barsPerYear));
    relative(s['sortino'], (mean / downside) * Math.sqrt(barsPerYear));
    // Three sessions are 3/252 of a trading year.
    relative(s['cagr'], ((equity[n - 1] as number) / 100_000) ** (252 / 3) - 1);
    relative(s['totalReturn'], (equity[n - 1] as number) / 100_000 - 1);
  });

  it('accepts --bar-interval that agrees with the data and refuses one that contradicts it, naming the flag', async () => {
    const data = join(workDir, 'spy-5m.csv');
    writeFileSync(data, intradayCsv(5, 4));
    const agreed = await cli('run', '--data', data, '--calendar', 'none', '--bar-interval', '5m', '--json');
    expect(agreed.code).toBe(0);
    expect((JSON.parse(agreed.out) as RunJson).summary).toMatchObject({ barInterval: '5m', periodsPerYear: 19_656 });

    const contradicted = await cli('run', '--data', data, '--calendar', 'none', '--bar-interval', '1d');
    expect(contradicted.code).not.toBe(0);
    expect(contradicted.err).toContain('--bar-interval: states 1d bars, but the data holds 5m bars (typical gap 5 minutes)');

    const unknown = await cli('run', '--data', data, '--calendar', 'none', '--bar-interval', '2h');
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("--bar-interval: unknown bar interval '2h'");
  });

  it('prints each metric in the text summary as the HTML report shows it', async () => {
    const data = join(workDir, 'spy-15m.csv');
    writeFileSync(data, intradayCsv(15, 30));
    const json = await cli('run', '--data', data, '--params', 'fast=3,slow=8', '--calendar', 'none', '--json');
    const s = (JSON.parse(json.out) as RunJson).summary;
    const text = await cli('run', '--data', data, '--params', 'fast=3,slow=8', '--calendar', 'none', '--report');
    expect(text.code).toBe(0);
    const runId = /run (\S+) written/.exec(text.out)?.[1] as string;
    const html = readFileSync(join(workDir, 'results', 'runs', runId, 'report.html'), 'utf8');
    expect(text.out).toMatch(/\nbar interval +15m \(6552 bars a year\)\n/);
    const keys = ['finalEquity', 'totalReturn', 'cagr', 'annualVolatility', 'sharpe', 'sortino', 'maxDrawdownPct', 'calmar', 'closedTrades', 'winRate', 'profitFactor', 'exposure', 'turnover', 'totalCommission'];
    for (const key of keys) {
      const shown = formatSummaryMetric(key, s[key]);
      expect(shown).not.toBe('n/a');
      expect(text.out).toContain(shown);
      expect(html).toContain(`title="${key}">`);
      expect(html).toMatch(new RegExp(`title="${key}">[^<]*</th><td class="num">${shown.replace(/[.$]/g, '\\$&')}</td>`));
    }
  });
});

describe('backtester run on daily bars', () => {
  it('keeps the summary it always had: no interval fields, 252 bars a year', async () => {
    const data = join(workDir, 'daily.csv');
    writeFileSync(data, dailyCsv(200));
    const json = await cli('run', '--data', data, '--calendar', 'none', '--json');
    const s = (JSON.parse(json.out) as RunJson).summary;
    expect(s).not.toHaveProperty('barInterval');
    expect(s).not.toHaveProperty('periodsPerYear');
    const text = await cli('run', '--data', data, '--calendar', 'none', '--bar-interval', '1d');
    expect(text.out).toMatch(/\nbar interval +1d \(252 bars a year\)\n/);
  });
});
