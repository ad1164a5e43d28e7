import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { backtesterCli, runIdOf } from '../test/cli-harness';

// `backtester attribution` on a real run of the default synthetic data, against a one-factor
// attribution computed here from the run's equity.csv and the panel's closes, independently of
// the library: per date the slope of next-day returns on momentum (the factor return), then the
// slope and intercept of the run's daily returns on those factor returns.

let workDir = '';
const cli = backtesterCli(() => workDir);

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'quantbot-attribution-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Slope and intercept of y on x with an intercept (ordinary least squares). */
function fit(x: readonly number[], y: readonly number[]): { slope: number; intercept: number } {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * ((y[i] as number) - my);
    sxx += (xi - mx) ** 2;
  });
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

interface AttributionJson {
  readonly runId: string;
  readonly factors: string[];
  readonly attribution: {
    readonly defined: boolean;
    readonly n: number;
    readonly alpha: { readonly perPeriod: number; readonly annualized: number };
    readonly exposures: Record<string, { beta: number; t: number | null; share: number | null }>;
    readonly datesWithoutStrategyReturn: string[];
    readonly datesWithoutFactorReturns: string[];
  };
}

describe('backtester attribution', () => {
  const LOOKBACK = 20;
  let runId = '';
  let panelFile = '';
  let expected: { beta: number; alpha: number; n: number };

  beforeAll(async () => {
    const run = await cli('run', '--bars', '400');
    expect(run.code).toBe(0);
    runId = runIdOf(run);

    // The panel: the run's own synthetic universe, with a 20-day momentum and a noise column.
    const u = generateSyntheticUniverse({ seed: 42, bars: 400, symbols: 5 });
    const lines = ['date,symbol,close,momentum,other'];
    const momentum = (s: number, k: number): number => (k < LOOKBACK ? NaN : (u.close[s * u.length + k] as number) / (u.close[s * u.length + k - LOOKBACK] as number) - 1);
    for (let k = 0; k < u.length; k++) {
      for (let s = 0; s < u.symbols.length; s++) {
        const m = momentum(s, k);
        lines.push(`${day(u.time[k] as number)},${u.symbols[s]},${u.close[s * u.length + k]},${Number.isNaN(m) ? '' : m},${((s * 7 + k * 3) % 11) / 10}`);
      }
    }
    panelFile = 'panel.csv';
    writeFileSync(join(workDir, panelFile), `${lines.join('\n')}\n`);

    // Factor return realized on day k+1: the slope of the k→k+1 returns on momentum at k.
    const factorReturn = new Map<string, number>();
    for (let k = LOOKBACK; k + 1 < u.length; k++) {
      const x: number[] = [];
      const y: number[] = [];
      for (let s = 0; s < u.symbols.length; s++) {
        x.push(momentum(s, k));
        y.push((u.close[s * u.length + k + 1] as number) / (u.close[s * u.length + k] as number) - 1);
      }
      factorReturn.set(day(u.time[k + 1] as number), fit(x, y).slope);
    }
    // The run's daily returns from its equity.csv.
    const equity = readFileSync(join(workDir, 'results', 'runs', runId, 'equity.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 1; i < equity.length; i++) {
      const date = day(Date.parse(equity[i]?.[0] as string));
      const f = factorReturn.get(date);
      if (f === undefined) continue;
      xs.push(f);
      ys.push(Number(equity[i]?.[1]) / Number(equity[i - 1]?.[1]) - 1);
    }
    const line = fit(xs, ys);
    expected = { beta: line.slope, alpha: line.intercept, n: xs.length };
  }, 60_000);

  it("attributes the run's daily returns to the panel's factor returns as an independent OLS does", async () => {
    const result = await cli('attribution', '--run-id', runId, '--panel', panelFile, '--factors', 'momentum', '--json');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.out) as AttributionJson;
    expect(doc.runId).toBe(runId);
    expect(doc.factors).toEqual(['momentum']);
    expect(doc.attribution.defined).toBe(true);
    expect(doc.attribution.n).toBe(expected.n);
    expect(expected.n).toBe(400 - LOOKBACK - 1);
    expect(doc.attribution.exposures['momentum']?.beta).toBeCloseTo(expected.beta, 10);
    expect(doc.attribution.alpha.perPeriod).toBeCloseTo(expected.alpha, 12);
    expect(doc.attribution.alpha.annualized).toBeCloseTo(expected.alpha * 252, 10);
    // The first LOOKBACK + 1 days of the run have no factor return: listed, not silently dropped.
    expect(doc.attribution.datesWithoutFactorReturns).toHaveLength(LOOKBACK);
  });

  it('prints the factor returns and the attribution table, attributing to every factor by default', async () => {
    const result = await cli('attribution', '--run-id', runId, '--panel', panelFile);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`attribution of run ${runId} to the daily factor returns of panel.csv`);
    expect(result.out).toMatch(/beta momentum\s+-?\d+\.\d{4}/);
    expect(result.out).toMatch(/beta other\s+-?\d+\.\d{4}/);
    expect(result.out).toMatch(/unmatched: 0 date\(s\) without a run return, 20 without every factor's return/);
  });

  it.each([
    [['--panel', 'panel.csv'], /--run-id: is required/],
    [['--run-id', 'RUN'], /--panel: is required/],
    [['--run-id', 'RUN', '--panel', 'panel.csv', '--factors', 'momentum,size'], /--factors: 'size' is not a factor column of the panel; it has momentum, other/],
    [['--run-id', 'RUN', '--panel', 'missing.csv'], /missing\.csv.*no such file/],
    [['--run-id', 'no-such-run', '--panel', 'panel.csv'], /no-such-run/],
  ])('refuses %j with a clear error and a non-zero exit', async (argv, message) => {
    const result = await cli('attribution', ...argv.map((a) => (a === 'RUN' ? runId : a)));
    expect(result.code).not.toBe(0);
    expect(result.err).toMatch(message);
  });
});
