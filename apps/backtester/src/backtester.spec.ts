import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceSmaCrossover } from '../test/reference-backtest';
import { readYahooCsv, sharedDataFile } from '../test/shared-data';
import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import type { EpochMs } from '@quantbot/core';
import { PointInTimeSeries, generateSyntheticFundamentals } from '@quantbot/data-quality';
import { checkLookahead, runBacktest, toBacktestReport } from '@quantbot/engine';
import { alignUniverse, loadBarFile } from '@quantbot/market-data';
import type { Strategy } from '@quantbot/strategies';
import { FullSeriesZScore, PeriodEndEarningsMomentum } from '@quantbot/strategies/testing';
import { main } from './main';
import { lookaheadFailure } from './run-command';
import { formatSummary } from './summary-format';
import type { CliIo } from '@quantbot/cli';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

interface Captured {
  code: number;
  out: string;
  err: string;
}

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'quantbot-backtester-'));
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

interface JsonTrade {
  symbol: string;
  side: string;
  qty: number;
  entryTime: string;
  entryPrice: number;
  exitTime: string;
  exitPrice: number;
  pnl: number;
  commission: number;
}

interface JsonReport {
  summary: Record<string, number | string | null>;
  trades: JsonTrade[];
  openPositions: Record<string, number | string>[];
  rejectedOrders: Record<string, string>[];
}

async function runJson(...argv: string[]): Promise<JsonReport> {
  const result = await cli('run', ...argv, '--json');
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.out) as JsonReport;
}

describe('backtester run on real data', () => {
  itWithData.each([
    ['orcl-1995-2014.txt', 'ORCL'],
    ['yhoo-1996-2014.txt', 'YHOO'],
    ['nvda-1999-2014.txt', 'NVDA'],
  ])('reproduces, trade by trade, an independent implementation of SMA 10/30 long-only, 100 shares on %s', async (file, symbol) => {
    const report = await runJson('--data', sharedDataFile(file), '--params', 'fast=10,slow=30', '--size', '100', '--cash', '100000');
    const reference = referenceSmaCrossover(readYahooCsv(file), { fast: 10, slow: 30, cash: 100_000, size: 100, commissionRate: 0 });
    expect(reference.trades.length).toBeGreaterThan(50);
    expect(report.trades).toHaveLength(reference.trades.length);
    report.trades.forEach((trade, i) => {
      const ref = reference.trades[i];
      expect({ ...trade, entryTime: trade.entryTime.slice(0, 10), exitTime: trade.exitTime.slice(0, 10) }).toEqual({
        symbol,
        side: 'long',
        qty: 100,
        entryTime: ref?.entryTime,
        entryPrice: ref?.entryPrice,
        exitTime: ref?.exitTime,
        exitPrice: ref?.exitPrice,
        pnl: ref?.pnl,
        commission: 0,
        netPnl: ref?.pnl,
        barsHeld: expect.any(Number),
      });
    });
    // A position open at the end is reported open and marked, not booked as a closed trade.
    expect(report.openPositions.length).toBe(reference.open === null ? 0 : 1);
    if (reference.open !== null) {
      expect(report.openPositions[0]).toEqual(expect.objectContaining({ entryPrice: reference.open.entryPrice, qty: 100, markTime: '2014-12-31T00:00:00.000Z' }));
    }
  });

  itWithData('reproduces ORCL with 95% of cash per entry and 10 bps commission, including rejected entries', async () => {
    const report = await runJson('--data', sharedDataFile('orcl-1995-2014.txt'), '--percent-of-cash', '95', '--commission-bps', '10');
    const reference = referenceSmaCrossover(readYahooCsv('orcl-1995-2014.txt'), { fast: 10, slow: 30, cash: 100_000, percent: 95, commissionRate: 0.001 });
    expect(report.trades.map((t) => [t.entryTime.slice(0, 10), t.entryPrice, t.exitTime.slice(0, 10), t.exitPrice, t.qty, t.pnl, t.commission])).toEqual(
      reference.trades.map((t) => [t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.qty, t.pnl, t.commission]),
    );
    expect(report.rejectedOrders).toHaveLength(reference.rejected);
    expect(report.summary['totalCommission']).toBeGreaterThan(0);
  });

  itWithData('fills at the prices an established backtester publishes for a close/SMA(15) crossover on 2006-day-001', async () => {
    // Price crossing its 15-bar SMA is a crossover of SMA(1) (the close itself) over SMA(15).
    const report = await runJson('--data', sharedDataFile('2006-day-001.txt'), '--params', 'fast=1,slow=15', '--size', '1');
    const buys = ['3643.35', '3801.03', '3872.37', '3863.57', '3845.32', '3656.43', '3542.65', '3639.65', '3799.86', '3840.20', '4047.63', '4052.55'];
    const sells = ['3763.95', '3811.85', '3822.35', '3822.57', '3829.82', '3598.58', '3545.92', '3766.80', '3782.15', '3979.73', '4045.05'];
    expect([...report.trades.map((t) => t.entryPrice), ...report.openPositions.map((p) => p['entryPrice'] as number)].map((p) => p.toFixed(2))).toEqual(buys);
    expect(report.trades.map((t) => t.exitPrice.toFixed(2))).toEqual(sells);
  });

  itWithData('pins the ORCL 10/30 result so any change in semantics shows up here', async () => {
    const report = await runJson('--data', sharedDataFile('orcl-1995-2014.txt'));
    expect(report.summary['closedTrades']).toBe(97);
    expect(report.trades[0]).toEqual(
      expect.objectContaining({ entryTime: '1995-05-12T00:00:00.000Z', entryPrice: 2.37037, exitTime: '1995-09-25T00:00:00.000Z', exitPrice: 2.935185 }),
    );
    expect(report.summary['finalEquity']).toBeCloseTo(102646.0652, 6);
  });

  itWithData('restricts the run to --start and --end', async () => {
    const report = await runJson('--data', sharedDataFile('orcl-1995-2014.txt'), '--start', '2000-01-01', '--end', '2000-12-31');
    expect(report.summary['start']).toBe('2000-01-03T00:00:00.000Z');
    expect(report.summary['end']).toBe('2000-12-29T00:00:00.000Z');
    for (const t of report.trades) expect(t.entryTime >= '2000-01-03').toBe(true);
  });
});

describe('backtester run', () => {
  it('runs the default synthetic backtest with no flags, prints a summary and writes summary.json', async () => {
    const result = await cli();
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/final equity\s+\d+\.\d\d/);
    expect(result.out).toMatch(/sma-crossover \(fast=10,slow=30,allowShort=false\)/);
    const runId = /run (\S+) written/.exec(result.out)?.[1] as string;
    expect(readdirSync(join(workDir, 'results', 'runs'))).toContain(runId);
    const runDir = join(workDir, 'results', 'runs', runId);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as JsonReport;
    expect(summary.summary['strategy']).toBe('sma-crossover');
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as { runId: string };
    expect(manifest.runId).toBe(runId);
  });

  it('is deterministic: the same seed gives the same result, another seed a different one', async () => {
    const a = await runJson('--seed', '7');
    const b = await runJson('--seed', '7');
    const c = await runJson('--seed', '8');
    expect(b.trades).toEqual(a.trades);
    expect(b.summary['finalEquity']).toBe(a.summary['finalEquity']);
    expect(c.summary['finalEquity']).not.toBe(a.summary['finalEquity']);
  });

  itWithData('prints the documented JSON contract', async () => {
    const report = await runJson('--data', sharedDataFile('orcl-2014.txt'), '--params', 'fast=5,slow=20');
    expect(Object.keys(report)).toEqual(['schemaVersion', 'summary', 'trades', 'openPositions', 'rejectedOrders', 'canceledOrders', 'execution', 'executionQuality', 'dataQuality', 'guardrails']);
    for (const key of ['finalEquity', 'totalReturn', 'sharpe', 'maxDrawdownPct', 'closedTrades']) expect(report.summary).toHaveProperty(key);
    expect(report.trades.length).toBeGreaterThan(0);
    for (const key of ['symbol', 'side', 'qty', 'entryTime', 'entryPrice', 'exitTime', 'exitPrice', 'pnl', 'commission']) {
      expect(report.trades[0]).toHaveProperty(key);
    }
    expect(report.trades[0]?.entryTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  itWithData('trades several files of a folder as one universe, and --symbols picks among them', async () => {
    const dir = join(workDir, 'universe');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const f of ['orcl-2014.txt', 'yhoo-2014.txt', 'nvda-2014.txt']) writeFileSync(join(dir, f), readFileSync(sharedDataFile(f)));
    const all = await runJson('--data', dir, '--params', 'fast=5,slow=20');
    expect(all.summary['symbols']).toBe('NVDA,ORCL,YHOO');
    expect(new Set(all.trades.map((t) => t.symbol))).toEqual(new Set(['NVDA', 'ORCL', 'YHOO']));
    const two = await runJson('--data', dir, '--symbols', 'orcl,yhoo', '--params', 'fast=5,slow=20');
    expect(two.summary['symbols']).toBe('ORCL,YHOO');
  });

  itWithData('sizes --percent-of-cash from the cash left and --percent-of-equity from equity, which differ once a position is open', async () => {
    const dir = join(workDir, 'sizing-universe');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const f of ['orcl-2014.txt', 'yhoo-2014.txt', 'nvda-2014.txt']) writeFileSync(join(dir, f), readFileSync(sharedDataFile(f)));
    const ofCash = await runJson('--data', dir, '--params', 'fast=5,slow=20', '--percent-of-cash', '30');
    const ofEquity = await runJson('--data', dir, '--params', 'fast=5,slow=20', '--percent-of-equity', '30');
    expect([ofCash.summary['sizing'], ofEquity.summary['sizing']]).toEqual(['30% of cash', '30% of equity']);
    const entries = (report: JsonReport): string[] => report.trades.map((t) => `${t.symbol} ${t.entryTime} ${t.qty}`).sort();
    // The first entry is decided on a flat book, where cash is equity: the same size either way.
    const first = (report: JsonReport): JsonTrade | undefined => [...report.trades].sort((a, b) => a.entryTime.localeCompare(b.entryTime))[0];
    expect(first(ofEquity)?.qty).toBe(first(ofCash)?.qty);
    expect(entries(ofEquity)).not.toEqual(entries(ofCash));
  });

  it.each([
    [['--strategy', 'nope'], 2, /unknown strategy 'nope'; available: sma-crossover/],
    [['--params', 'fast=10,slowest=3'], 2, /sma-crossover\.slowest: unknown parameter; sma-crossover has: fast \(integer, default 10\), slow/],
    [['--params', 'fast=30,slow=10'], 2, /fast \(30\) must be below slow \(10\)/],
    [['--bogus'], 2, /--bogus: unknown flag/],
    [['--cash', 'lots'], 2, /--cash: 'lots' is not a number/],
    [['--start', '2020-13-01'], 2, /--start: '2020-13-01' is not a date/],
    [['--size', '10', '--percent-of-cash', '50'], 2, /either --size or --percent-of-cash/],
    [['--vol-target', '10', '--atr-risk', '1'], 2, /give one sizing rule, not --vol-target and --atr-risk/],
    [['--vol-target', '0'], 2, /--vol-target: must be in \(0, 100\] percent/],
    [['--data', 'missing-file.csv'], 1, /missing-file\.csv/],
  ])('refuses %j with exit code %i and a clear error', async (argv, code, message) => {
    const result = await cli('run', ...argv);
    expect(result.code).toBe(code);
    expect(result.err).toMatch(message);
    expect(result.out).toBe('');
  });

  it('names the file, line and field of bad data and exits non-zero', async () => {
    const file = join(workDir, 'bad.csv');
    writeFileSync(file, 'Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n2020-01-03,1,2,0.5,abc,100\n');
    const result = await cli('run', '--data', file);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/bad\.csv:3/);
    expect(result.err).toMatch(/Close/);
  });
});

describe('backtester run with execution profiles', () => {
  interface ExecutionJson {
    summary: Record<string, number | string | null>;
    execution: { profile: string; fillModel: string; parameters: Record<string, number | string | null> };
    executionQuality: Record<string, number | null>;
  }
  const runExec = async (...argv: string[]): Promise<ExecutionJson> => (await runJson(...argv)) as unknown as ExecutionJson;

  itWithData('says which profile and parameters a run used, in JSON and in the text summary', async () => {
    const report = await runExec('--data', sharedDataFile('orcl-2003-2005.txt'), '--execution-profile', 'realistic', '--execution', 'latencyMs=250');
    expect(report.execution.profile).toBe('realistic');
    expect(report.execution.fillModel).toBe('simulator');
    expect(report.execution.parameters).toEqual(expect.objectContaining({ latencyMs: 250, maxParticipation: 0.1, intrabarPath: 'stop-first' }));
    expect(report.executionQuality['averageLatencyMs']).toBe(250);
    const text = await cli('run', '--data', sharedDataFile('orcl-2003-2005.txt'), '--execution-profile', 'stressed');
    expect(text.out).toMatch(/execution\s+stressed profile, simulator \(.*maxParticipation=0.02/);
    expect(text.out).toMatch(/execution score\s+\d+\.\d{3}/);
  });

  itWithData('runs bracket-momentum in every profile, costing more as execution gets harder', async () => {
    const equity: number[][] = [];
    for (const profile of ['idealistic', 'realistic', 'stressed']) {
      const report = await runExec('--data', sharedDataFile('orcl-1995-2014.txt'), '--strategy', 'bracket-momentum', '--execution-profile', profile);
      expect(Number(report.summary['closedTrades'])).toBeGreaterThan(50);
      equity.push([Number(report.summary['finalEquity']), Number(report.executionQuality['implementationShortfallBps'])]);
    }
    expect(equity[0]?.[0]).toBeGreaterThan(equity[1]?.[0] as number);
    expect(equity[1]?.[0]).toBeGreaterThan(equity[2]?.[0] as number);
    expect(equity[0]?.[1]).toBeLessThan(equity[1]?.[1] as number);
    expect(equity[1]?.[1]).toBeLessThan(equity[2]?.[1] as number);
  });

  itWithData('gives the same trades with --fill-model next-open as with the default idealistic simulator', async () => {
    const simulated = await runJson('--data', sharedDataFile('yhoo-1996-2014.txt'), '--percent-of-cash', '95', '--commission-bps', '10');
    const simple = await runJson('--data', sharedDataFile('yhoo-1996-2014.txt'), '--percent-of-cash', '95', '--commission-bps', '10', '--fill-model', 'next-open');
    expect(simple.trades).toEqual(simulated.trades);
    expect(simple.summary['finalEquity']).toBe(simulated.summary['finalEquity']);
  });

  it.each([
    [['--execution-profile', 'heroic'], /unknown profile 'heroic'; available: idealistic, realistic, stressed/],
    [['--execution', 'latency=5'], /--execution latency: unknown execution parameter; known: slippageBps/],
    [['--execution', 'maxParticipation=0'], /must be above 0/],
    [['--fill-model', 'magic'], /unknown fill model 'magic'; available: simulator, next-open/],
  ])('refuses %j and lists what exists', async (argv, message) => {
    const result = await cli('run', ...argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

describe('backtester run data quality', () => {
  const badFile = () => {
    const file = join(workDir, 'inconsistent.csv');
    // 2020-01-03: high (1.0) below the close (1.5): an error; 2020-01-06 is missing (a Monday).
    writeFileSync(
      file,
      'Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n2020-01-03,1,1.0,0.5,1.5,100\n2020-01-07,1,2,0.5,1.5,100\n2020-01-08,1,2,0.5,1.5,100\n',
    );
    return file;
  };

  it('warns by default: runs, and reports findings by check and severity with symbol, time and field', async () => {
    const report = await runJson('--data', badFile(), '--params', 'fast=1,slow=2') as unknown as {
      dataQuality: { mode: string; calendar: string; report: { summary: { bySeverity: Record<string, number> }; findings: { check: string; symbol: string; time: number; field: string }[] } };
    };
    expect(report.dataQuality.mode).toBe('warn');
    expect(report.dataQuality.calendar).toBe('NYSE');
    expect(report.dataQuality.report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: 'high-below-open-close', symbol: 'INCONSISTENT', field: 'high', time: Date.UTC(2020, 0, 3) }),
        expect.objectContaining({ check: 'missing-session', time: Date.UTC(2020, 0, 6) }),
      ]),
    );
    expect(report.dataQuality.report.summary.bySeverity['error']).toBe(1);
  });

  it('refuses to run in strict mode and says exactly why', async () => {
    const result = await cli('run', '--data', badFile(), '--data-quality', 'strict');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/data quality is strict and the data has 1 error\(s\):\n {2}\S*inconsistent\.csv:3 2020-01-03 high: INCONSISTENT /);
  });

  it('checks nothing when off, and says so', async () => {
    const report = await runJson('--data', badFile(), '--data-quality', 'off') as unknown as { dataQuality: { mode: string; report: null } };
    expect(report.dataQuality).toEqual(expect.objectContaining({ mode: 'off', report: null }));
  });

  it('repairs only when asked, and lists every repaired value', async () => {
    const report = await runJson('--data', badFile(), '--repair', 'forward-fill') as unknown as {
      dataQuality: { repairs: { symbol: string; time: number; action: string }[]; report: { findings: { check: string }[] } };
    };
    expect(report.dataQuality.repairs).toEqual([expect.objectContaining({ symbol: 'INCONSISTENT', time: Date.UTC(2020, 0, 6), action: 'forward-fill-session' })]);
    expect(report.dataQuality.report.findings.some((f) => f.check === 'missing-session')).toBe(false);
  });

  itWithData('finds no data errors in the real ORCL, YHOO and NVDA files', async () => {
    for (const file of ['orcl-1995-2014.txt', 'yhoo-1996-2014.txt', 'nvda-1999-2014.txt']) {
      const result = await cli('run', '--data', sharedDataFile(file), '--data-quality', 'strict');
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
    }
  });
});

describe('backtester run --check-lookahead', () => {
  itWithData.each(['sma-crossover', 'bracket-momentum', 'earnings-momentum'])('passes the shipped %s', async (strategy) => {
    const result = await cli('run', '--data', sharedDataFile('orcl-2003-2005.txt'), '--strategy', strategy, '--check-lookahead');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/lookahead check\s+passed \(\d+ decisions compared, 20 cut-offs/);
  });

  itWithData('puts the report in the JSON', async () => {
    const result = await cli('run', '--data', sharedDataFile('orcl-2003-2005.txt'), '--strategy', 'earnings-momentum', '--check-lookahead', '--json');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as { lookahead: { passed: boolean; strategy: string; comparedDecisions: number; cutoffs: string[]; divergences: unknown[] } };
    expect(report.lookahead).toEqual(expect.objectContaining({ passed: true, strategy: 'earnings-momentum', divergences: [] }));
    expect(report.lookahead.comparedDecisions).toBeGreaterThan(0);
    expect(report.lookahead.cutoffs).toHaveLength(20);
  });

  it.each([
    ['biased-full-series', 'FullSeriesZScore'],
    ['biased-pit-early', 'PeriodEndEarningsMomentum'],
  ])('refuses the removed, deliberately biased %s, naming --strategy and where it lives now', async (strategy, exported) => {
    for (const extra of [[], ['--check-lookahead']]) {
      const result = await cli('run', '--bars', '60', '--strategy', strategy, ...extra);
      expect(result.code).toBe(2);
      expect(result.out).toBe('');
      expect(result.err).toBe(
        `error: --strategy: '${strategy}' is a deliberately biased example of lookahead bias and was removed from the shipped strategies; ` +
          `it lives in @quantbot/strategies/testing (${exported}) for tests of the lookahead check, and no session can run it\n`,
      );
    }
  });
});

describe('backtester run --check-lookahead, on a deliberately biased strategy', () => {
  // Sessions cannot build the biased examples any more; the check itself is run here as `run`
  // runs it, on a strategy built from the test support entry point, and `run`'s verdict is checked.
  const orcl = () => alignUniverse([loadBarFile(sharedDataFile('orcl-2003-2005.txt'))]);
  const fundamentalsOf = (symbols: readonly string[]) => new PointInTimeSeries(generateSyntheticFundamentals({ symbols, start: '2002-01-01', quarters: 20, seed: 42 }));
  const noDataQuality = { mode: 'off', calendar: null, report: null, repairs: [] } as const;

  itWithData.each(['biased-full-series', 'biased-pit-early'])('fails %s: the summary says FAILED and run exits with the first divergence', (name) => {
    const universe = orcl();
    const fundamentals = fundamentalsOf(universe.symbols);
    const build = (u: typeof universe, knownAt: EpochMs | null): Strategy =>
      name === 'biased-full-series' ? new FullSeriesZScore(u) : new PeriodEndEarningsMomentum(knownAt === null ? fundamentals : fundamentals.visibleAt(knownAt));
    const sizing = { kind: 'fixed-shares', shares: 100 } as const;
    const lookahead = checkLookahead({ universe, build, startingCash: 100_000, sizing });
    expect(lookahead.strategy).toBe(name);
    const report = toBacktestReport(runBacktest({ universe, strategy: build(universe, null), startingCash: 100_000, sizing }));
    expect(formatSummary(report, noDataQuality, lookahead)).toMatch(/lookahead check\s+FAILED: \d+ decision\(s\) changed with less data/);
    expect(lookaheadFailure(lookahead)).toMatch(/^error: lookahead check failed: \d+ decision\(s\) changed when less data was available \(first: truncation at \d{4}-\d\d-\d\d ORCL/);
  });
});

describe('backtester run guardrails', () => {
  interface GuardrailsJson {
    guardrails: { state: string; accepted: number; rejected: number; rejectedByCode: Record<string, number>; transitions: { from: string; to: string; reason: string }[] };
    rejectedOrders: { reason: string }[];
  }

  itWithData('reports the gateway statistics of every run', async () => {
    const report = await runJson('--data', sharedDataFile('orcl-2014.txt'), '--params', 'fast=5,slow=20') as unknown as GuardrailsJson;
    expect(report.guardrails).toEqual(expect.objectContaining({ state: 'active', rejected: 0 }));
    expect(report.guardrails.accepted).toBeGreaterThan(0);
  });

  itWithData('enforces --risk limits, naming the reason of every refusal', async () => {
    const report = await runJson('--data', sharedDataFile('orcl-2014.txt'), '--params', 'fast=5,slow=20', '--percent-of-cash', '95', '--risk', 'maxOrderNotional=90000') as unknown as GuardrailsJson;
    expect(report.guardrails.rejectedByCode['order-notional']).toBeGreaterThan(0);
    expect(report.guardrails.accepted).toBe(0);
    expect(report.rejectedOrders.every((r) => /^risk order-notional: order notional \d+\.\d\d exceeds the limit 90000\.00/.test(r.reason))).toBe(true);
  });

  itWithData('halts on the --kill-switch daily loss limit and stays halted without a manual re-arm', async () => {
    const report = await runJson('--data', sharedDataFile('nvda-1999-2014.txt'), '--percent-of-cash', '95', '--kill-switch', 'dailyLossLimitPct=8,rearm=manual') as unknown as GuardrailsJson;
    expect(report.guardrails.transitions[0]).toEqual(expect.objectContaining({ from: 'active', to: 'halted', reason: expect.stringMatching(/^daily loss \d+\.\d\d% reached the limit 8\.00%/) }));
    expect(report.guardrails.state).toBe('halted');
    expect(report.guardrails.rejectedByCode['halted']).toBeGreaterThan(0);
  });

  itWithData('writes a hash-chained audit log that verify-audit accepts, and catches an edited record', async () => {
    const log = join(workDir, 'audit.jsonl');
    rmSync(log, { force: true });
    await runJson('--data', sharedDataFile('orcl-2014.txt'), '--params', 'fast=5,slow=20', '--audit-log', log);
    const ok = await cli('verify-audit', log);
    expect(ok.code).toBe(0);
    // Without an anchor it never claims the log is intact: a cut tail would look the same.
    expect(ok.out).toMatch(/^chain consistent: \d+ record\(s\) link correctly/);
    expect(ok.out).toContain('NOT anchored: a cut tail, an emptied file or a chain re-hashed after an edit cannot be detected');
    expect(ok.out).not.toContain('intact');
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines[1]).toContain('"qty":100');
    lines[1] = (lines[1] ?? '').replace('"qty":100', '"qty":101');
    writeFileSync(log, lines.join('\n'));
    const tampered = await cli('verify-audit', log);
    expect(tampered.code).toBe(1);
    expect(tampered.err).toMatch(/audit\.jsonl:2: hash-mismatch/);
  });

  it.each([
    [['--risk', 'maxOrderNotional=-5'], /maxOrderNotional/],
    [['--risk', 'maxOrderNotionl=5'], /unknown/],
    [['--kill-switch', 'haltAtDrawdownPct=lots'], /--kill-switch haltAtDrawdownPct: 'lots' is not a number/],
  ])('refuses %j', async (argv, message) => {
    const result = await cli('run', ...argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

describe('backtester indicators', () => {
  itWithData('prints an SMA series as JSON rows with null during warm-up', async () => {
    const result = await cli('indicators', '--data', sharedDataFile('orcl-2014.txt'), '--indicator', 'sma', '--params', 'period=30', '--json');
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.out) as { time: string; sma: number | null }[];
    const data = readYahooCsv('orcl-2014.txt');
    expect(rows).toHaveLength(data.close.length);
    expect(rows[28]).toEqual({ time: '2014-02-12T00:00:00.000Z', sma: null });
    const expected = data.close.slice(0, 30).reduce((a, b) => a + b, 0) / 30;
    expect(rows[29]?.sma).toBeCloseTo(expected, 10);
  });

  itWithData('prints every line of a multi-line indicator', async () => {
    const result = await cli('indicators', '--data', sharedDataFile('orcl-2014.txt'), '--indicator', 'macd', '--json');
    const rows = JSON.parse(result.out) as Record<string, number | null>[];
    expect(Object.keys(rows[0] ?? {})).toEqual(['time', 'macd', 'signal', 'histogram']);
    expect(rows.at(-1)?.['histogram']).toBeCloseTo((rows.at(-1)?.['macd'] as number) - (rows.at(-1)?.['signal'] as number), 12);
  });

  itWithData('refuses an unknown indicator and lists the ones that exist', async () => {
    const result = await cli('indicators', '--data', sharedDataFile('orcl-2014.txt'), '--indicator', 'vwap');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/sma/);
    expect(result.err).toMatch(/stochastic/);
  });
});
