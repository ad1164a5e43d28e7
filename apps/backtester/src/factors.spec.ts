import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSyntheticPanel } from '@quantbot/factor-models';
import { alphalensReference } from '../test/alphalens-reference';
import type { ReferenceResult, ReferenceRow } from '../test/alphalens-reference';
import { backtesterCli } from '../test/cli-harness';

// `backtester factors` against alphalens' definitions computed here, independently of the
// library (../test/alphalens-reference.ts): only the synthetic panel's raw columns come from the
// library's generator, to know what the command evaluated.

interface IcJson {
  readonly mean: number | null;
  readonly std: number | null;
  readonly icir: number | null;
  readonly t: number | null;
  readonly n: number;
}

interface FactorsJson {
  readonly factor: string;
  readonly source: Record<string, unknown>;
  readonly periods: number[];
  readonly quantiles: number;
  readonly ic: Record<string, IcJson>;
  readonly quantileReturns: Record<string, (number | null)[]>;
  readonly topMinusBottom: Record<string, number | null>;
  readonly turnover: Record<string, number | null>;
  readonly rankAutocorrelation: number | null;
  readonly turnoverByPeriod: Record<string, Record<string, number | null>>;
  readonly rankAutocorrelationByPeriod: Record<string, number | null>;
  readonly icSeries: ({ date: string } & Record<string, number | null | string>)[];
  readonly spreadSeries: ({ date: string } & Record<string, number | null | string>)[];
  readonly findings: { date: string | null; kind: string; detail: string }[];
  readonly report?: string;
}

const BACKTESTER = resolve(__dirname, '../../../apps/backtester/dist/main.js');

let workDir: string;
const cli = backtesterCli(() => workDir);
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'quantbot-factors-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** `actual` equals `expected` to 12 significant digits, or is null where `expected` is not finite. */
function expectSame(actual: number | null | string | undefined, expected: number, what: string): void {
  if (!Number.isFinite(expected)) {
    expect({ what, actual }).toEqual({ what, actual: null });
    return;
  }
  if (typeof actual !== 'number') throw new Error(`${what}: expected ${expected}, got ${String(actual)}`);
  const tolerance = 1e-12 * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tolerance)) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

/** Every statistic of the command's document against the reference. */
function expectMatchesReference(doc: FactorsJson, ref: ReferenceResult): void {
  expect(doc.icSeries.map((row) => row.date)).toEqual(ref.dates);
  expect(doc.spreadSeries.map((row) => row.date)).toEqual(ref.dates);
  for (const k of doc.periods.map(String)) {
    const ic = doc.ic[k] as IcJson;
    const expected = ref.ic[k] as ReferenceResult['ic'][string];
    expect(ic.n).toBe(expected.n);
    expectSame(ic.mean, expected.mean, `ic[${k}].mean`);
    expectSame(ic.std, expected.std, `ic[${k}].std`);
    expectSame(ic.icir, expected.icir, `ic[${k}].icir`);
    expectSame(ic.t, expected.t, `ic[${k}].t`);
    doc.icSeries.forEach((row, d) => expectSame(row[k], ref.icSeries[k]?.[d] as number, `icSeries[${d}][${k}]`));
    doc.spreadSeries.forEach((row, d) => expectSame(row[k], ref.spreadSeries[k]?.[d] as number, `spreadSeries[${d}][${k}]`));
    expect(doc.quantileReturns[k]).toHaveLength(doc.quantiles);
    doc.quantileReturns[k]?.forEach((value, q) => expectSame(value, ref.quantileReturns[k]?.[q] as number, `quantileReturns[${k}][${q}]`));
    expectSame(doc.topMinusBottom[k], ref.topMinusBottom[k] as number, `topMinusBottom[${k}]`);
  }
  expect(Object.keys(doc.turnover)).toEqual(Array.from({ length: doc.quantiles }, (_, q) => String(q + 1)));
  for (const [q, value] of Object.entries(doc.turnover)) expectSame(value, ref.turnover[q] as number, `turnover[${q}]`);
  expectSame(doc.rankAutocorrelation, ref.rankAutocorrelation, 'rankAutocorrelation');
  for (const k of doc.periods.map(String)) {
    expect(Object.keys(doc.turnoverByPeriod[k] ?? {})).toEqual(Array.from({ length: doc.quantiles }, (_, q) => String(q + 1)));
    for (const [q, value] of Object.entries(doc.turnoverByPeriod[k] ?? {})) expectSame(value, ref.turnoverByPeriod[k]?.[q] as number, `turnoverByPeriod[${k}][${q}]`);
    expectSame(doc.rankAutocorrelationByPeriod[k] ?? null, ref.rankAutocorrelationByPeriod[k] as number, `rankAutocorrelationByPeriod[${k}]`);
  }
}

/** The raw rows of the synthetic panel the command generates with these options. */
function syntheticRows(options: { seed: number; symbols: number; dates: number; ic: number }, factor: string): ReferenceRow[] {
  const panel = generateSyntheticPanel(options);
  const close = panel.close as Float64Array;
  const values = panel.factors[factor] as Float64Array;
  return Array.from({ length: panel.rows }, (_, row) => ({
    date: panel.dates[panel.dateIndex[row] as number] as string,
    symbol: panel.symbols[panel.symbolIndex[row] as number] as string,
    close: close[row] as number,
    factor: values[row] as number,
  }));
}

/** Writes `lines` as `name` in the work folder and returns the name (the CLI runs there). */
function csvFile(name: string, lines: readonly string[]): string {
  writeFileSync(join(workDir, name), `${lines.join('\n')}\n`);
  return name;
}

/** A small close panel: 5 symbols × 8 dates, distinct factor values, one missing `value` cell (line 12). */
function closePanel(): { file: string; rows: ReferenceRow[] } {
  const symbols = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'];
  const dates = ['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-08', '2024-01-09', '2024-01-10', '2024-01-11'];
  const lines = ['date,symbol,close,group,value,momentum'];
  const rows: ReferenceRow[] = [];
  dates.forEach((date, t) => {
    symbols.forEach((symbol, s) => {
      const close = 20 + s * 3 + ((t * 7 + s * 5) % 9) * 0.75;
      const value = ((s * 37 + t * 11) % 23) / 10 + s / 100;
      const missing = lines.length + 1 === 12;
      lines.push(`${date},${symbol},${close},${s % 2 === 0 ? 'TECH' : 'ENERGY'},${missing ? '' : value},${(s - 2) * 0.1 + t / 50}`);
      rows.push({ date, symbol, close, factor: missing ? NaN : value });
    });
  });
  return { file: csvFile('close-panel.csv', lines), rows };
}

describe('backtester factors on the synthetic panel', () => {
  it.each([
    { name: 'the defaults (signal, seed 1, 50 symbols × 252 dates, periods 1,5,10, 5 quantiles)', argv: [], options: { seed: 1, symbols: 50, dates: 252, ic: 0.05 }, factor: 'signal', periods: [1, 5, 10], quantiles: 5 },
    {
      name: 'noise with its own seed, size, periods and quantiles',
      argv: ['--factor', 'noise', '--seed', '7', '--symbols', '23', '--dates', '40', '--ic', '0.2', '--periods', '1,3', '--quantiles', '4'],
      options: { seed: 7, symbols: 23, dates: 40, ic: 0.2 },
      factor: 'noise',
      periods: [1, 3],
      quantiles: 4,
    },
  ])('--json equals alphalens computed independently: $name', async ({ argv, options, factor, periods, quantiles }) => {
    const result = await cli('factors', ...argv, '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    const doc = JSON.parse(result.out) as FactorsJson;
    expect(Object.keys(doc)).toEqual(['factor', 'source', 'periods', 'quantiles', 'ic', 'quantileReturns', 'topMinusBottom', 'turnover', 'rankAutocorrelation', 'turnoverByPeriod', 'rankAutocorrelationByPeriod', 'icSeries', 'spreadSeries', 'findings']);
    expect(doc).toMatchObject({ factor, periods, quantiles, source: { kind: 'synthetic', ...options, rows: options.symbols * options.dates } });
    expectMatchesReference(doc, alphalensReference(syntheticRows(options, factor), periods, quantiles));
    // The last k dates have no k-period forward return: counted, not dropped.
    for (const k of periods) expect(doc.findings).toContainEqual({ date: null, kind: 'undefined-ic', detail: expect.stringContaining(`period ${k}: the IC is undefined on ${k} of ${options.dates} date(s)`) as unknown });
  });

  it('finds the planted signal and no signal in the noise', async () => {
    const signal = JSON.parse((await cli('factors', '--json', '--periods', '1')).out) as FactorsJson;
    const noise = JSON.parse((await cli('factors', '--json', '--periods', '1', '--factor', 'noise')).out) as FactorsJson;
    expect(signal.ic['1']?.t).toBeGreaterThan(3);
    expect(Math.abs(noise.ic['1']?.t ?? Infinity)).toBeLessThan(3);
  });

  it('prints the tables and findings, and says it used the synthetic panel', async () => {
    const result = await cli('factors');
    expect(result).toMatchObject({ code: 0, err: '' });
    const ref = alphalensReference(syntheticRows({ seed: 1, symbols: 50, dates: 252, ic: 0.05 }, 'signal'), [1, 5, 10], 5);
    const lines = result.out.split('\n');
    expect(lines[0]).toBe("factor signal on synthetic panel (no --panel given): seed 1, 50 symbols × 252 dates, planted 1-period IC of 'signal' 0.05");
    expect(lines[1]).toBe('dates 2020-01-01 .. 2020-12-17; periods 1, 5, 10; 5 quantiles');
    const row = (head: string, first: string): string[] => {
      const at = lines.findIndex((l) => l.startsWith(head));
      const found = lines.slice(at + 2).find((l) => l.trim().split(/\s+/)[0] === first);
      if (at < 0 || found === undefined) throw new Error(`no row ${first} under '${head}' in:\n${result.out}`);
      return found.trim().split(/\s+/);
    };
    const ic1 = ref.ic['1'] as ReferenceResult['ic'][string];
    expect(row('information coefficient', '1')).toEqual(['1', ic1.mean.toFixed(4), ic1.std.toFixed(4), ic1.icir.toFixed(4), ic1.t.toFixed(2), String(ic1.n)]);
    const bps = (x: number): string => (x * 10_000).toFixed(2);
    expect(row('mean forward return by quantile', '10')).toEqual(['10', ...(ref.quantileReturns['10'] as number[]).map(bps), bps(ref.topMinusBottom['10'] as number)]);
    const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
    expect(row('turnover by quantile', '1')).toEqual(['1', ...['1', '2', '3', '4', '5'].map((q) => percent(ref.turnover[q] as number)), ref.rankAutocorrelation.toFixed(4)]);
    expect(row('turnover by quantile', '10')).toEqual(['10', ...['1', '2', '3', '4', '5'].map((q) => percent(ref.turnoverByPeriod['10']?.[q] as number)), (ref.rankAutocorrelationByPeriod['10'] as number).toFixed(4)]);
    expect(result.out).toContain(`rank autocorrelation (lag 1): ${ref.rankAutocorrelation.toFixed(4)}`);
    expect(result.out).toContain('findings: 3 (undefined-ic 3)\n  undefined-ic: period 1: the IC is undefined on 1 of 252 date(s)');
  });

  it('counts every finding and lists all of them in --json when there are too many to print', async () => {
    // 3 names for 5 quantiles: no date gets a quantile (a finding per date).
    const argv = ['factors', '--symbols', '3', '--dates', '30', '--periods', '1'];
    const text = await cli(...argv);
    const doc = JSON.parse((await cli(...argv, '--json')).out) as FactorsJson;
    expect(text.code).toBe(0);
    expect(doc.findings.filter((f) => f.kind === 'too-few-names-for-quantiles')).toHaveLength(30);
    expect(doc.findings).toHaveLength(31);
    expect(text.out).toContain('findings: 31 (too-few-names-for-quantiles 30, undefined-ic 1)');
    expect(text.out).toContain('2020-01-01 too-few-names-for-quantiles: 3 finite value(s) for 5 quantiles: no quantile assigned');
    expect(text.out).toContain('  ... and 11 more (--json lists every finding)');
    expect(doc.quantileReturns['1']).toEqual([null, null, null, null, null]);
    expect(doc.turnover).toEqual({ '1': null, '2': null, '3': null, '4': null, '5': null });
  });
});

describe('backtester factors --panel', () => {
  it('evaluates a close panel from CSV as alphalens does, and reports its missing value', async () => {
    const { file, rows } = closePanel();
    const result = await cli('factors', '--panel', file, '--factor', 'value', '--periods', '1,2', '--quantiles', '2', '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    const doc = JSON.parse(result.out) as FactorsJson;
    expect(doc.source).toEqual({ kind: 'csv', file, symbols: 5, dates: 8, rows: 40, missing: { close: 0, value: 1, momentum: 0 } });
    expectMatchesReference(doc, alphalensReference(rows, [1, 2], 2));
    expect(doc.findings).toContainEqual({ date: null, kind: 'missing-values', detail: "1 missing value(s) of 'value' left out of every statistic" });

    const text = await cli('factors', '--panel', file, '--factor', 'value', '--periods', '1,2', '--quantiles', '2');
    expect(text.out.split('\n')[0]).toBe(`factor value on ${file}: 40 rows, 5 symbols, 8 dates`);
    expect(text.out).toContain('missing values (left out): value 1');
    expect(text.out).toContain("missing-values: 1 missing value(s) of 'value' left out of every statistic");
  });

  it('evaluates a forward_return panel (compounded over k rows) as alphalens does', async () => {
    const lines = ['date,symbol,forward_return,score'];
    const rows: ReferenceRow[] = [];
    const dates = ['2023-03-01', '2023-03-02', '2023-03-03', '2023-03-06', '2023-03-07', '2023-03-08'];
    dates.forEach((date, t) => {
      ['X1', 'X2', 'X3', 'X4'].forEach((symbol, s) => {
        const forwardReturn = ((t * 5 + s * 3) % 7) / 100 - 0.03;
        const factor = ((t * 3 + s * 7) % 11) - 5 + s / 10;
        lines.push(`${date},${symbol},${forwardReturn},${factor}`);
        rows.push({ date, symbol, forwardReturn, factor });
      });
    });
    const file = csvFile('returns-panel.csv', lines);
    const result = await cli('factors', '--panel', file, '--factor', 'score', '--periods', '1,3', '--quantiles', '2', '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    expectMatchesReference(JSON.parse(result.out) as FactorsJson, alphalensReference(rows, [1, 3], 2));
  });

  it('prints null, never NaN, for statistics that are not defined', async () => {
    const file = csvFile('short.csv', ['date,symbol,close,f', '2024-01-02,A,10,1', '2024-01-02,B,11,2', '2024-01-03,A,10.5,2', '2024-01-03,B,10.9,1', '2024-01-04,A,10.4,1', '2024-01-04,B,11.2,2']);
    const result = await cli('factors', '--panel', file, '--factor', 'f', '--periods', '1,5', '--quantiles', '2', '--json');
    expect(result.code).toBe(0);
    expect(result.out).not.toMatch(/NaN|Infinity/);
    const doc = JSON.parse(result.out) as FactorsJson;
    expect(doc.ic['5']).toEqual({ mean: null, std: null, icir: null, t: null, n: 0 });
    expect(doc.quantileReturns['5']).toEqual([null, null]);
    expect(doc.topMinusBottom['5']).toBeNull();
    expect(doc.icSeries.map((row) => row['5'])).toEqual([null, null, null]);
  });

  it('prints exactly one JSON document on stdout from the built command line', async () => {
    const { file } = closePanel();
    const run = await new Promise<{ code: number; out: string; err: string }>((done) => {
      execFile(process.execPath, [BACKTESTER, 'factors', '--panel', file, '--factor', 'momentum', '--json'], { cwd: workDir }, (error, out, err) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out, err });
      });
    });
    expect(run).toMatchObject({ code: 0, err: '' });
    expect((JSON.parse(run.out) as FactorsJson).factor).toBe('momentum');
  });

  it('writes the --json document to a file with --json-out (for nx run)', async () => {
    const { file } = closePanel();
    const result = await cli('factors', '--panel', file, '--factor', 'value', '--json-out', 'factors.json');
    expect(result).toMatchObject({ code: 0, out: '' });
    const printed = await cli('factors', '--panel', file, '--factor', 'value', '--json');
    expect(readFileSync(join(workDir, 'factors.json'), 'utf8')).toBe(printed.out);
  });
});

describe('backtester factors --report', () => {
  it('writes the tear sheet into --out, prints its path, and names it in --json', async () => {
    const text = await cli('factors', '--report', '--out', 'sheets', '--dates', '60');
    const expected = join(workDir, 'sheets', 'synthetic-seed1-50x60-signal-tear-sheet.html');
    expect(text.code).toBe(0);
    expect(text.out).toContain(`\n\ntear sheet written: ${expected}\n`);
    const html = readFileSync(expected, 'utf8');
    expect([...html.matchAll(/data-chart="([a-z-]+)"(?: data-period="(\d+)")?/g)].map((m) => `${m[1]}${m[2] === undefined ? '' : `:${m[2]}`}`)).toEqual([
      'ic-series:1',
      'ic-series:5',
      'ic-series:10',
      'quantile-returns',
      'cumulative-spread',
    ]);

    const { file } = closePanel();
    const json = await cli('factors', '--panel', file, '--factor', 'value', '--quantiles', '2', '--report', '--json');
    const doc = JSON.parse(json.out) as FactorsJson;
    expect(doc.report).toBe(join(workDir, 'results', 'factors', 'close-panel-value-tear-sheet.html'));
    expect(existsSync(doc.report as string)).toBe(true);
  });
});

describe('backtester factors: bad input names the flag, file or line and exits non-zero', () => {
  beforeAll(() => {
    csvFile('good.csv', ['date,symbol,close,value,quality', '2024-01-02,A,10,1,3', '2024-01-02,B,11,2,1', '2024-01-03,A,10.5,2,2', '2024-01-03,B,10.9,1,1']);
    csvFile('bad-cell.csv', ['date,symbol,close,value', '2024-01-02,A,10,1', '2024-01-02,B,11,2', '2024-01-03,A,10.5,abc']);
    csvFile('bad-cells.csv', ['date,symbol,close,value', '2024-01-02,A,10,1', '2024-01-02,B,11']);
    csvFile('duplicate.csv', ['date,symbol,close,value', '2024-01-02,A,10,1', '2024-01-02,B,11,2', '2024-01-02,A,10.5,3']);
    csvFile('no-close.csv', ['date,symbol,value', '2024-01-02,A,1']);
    csvFile('bad-date.csv', ['date,symbol,close,value', '2024-01-02,A,10,1', '2024-02-30,A,10,1']);
  });

  it.each<[string, string[], number, string]>([
    ['a missing panel file', ['--panel', 'missing.csv', '--factor', 'value'], 1, 'error: missing.csv: no such file (the --panel file)'],
    ['a folder as the panel', ['--panel', '.', '--factor', 'value'], 1, 'error: .: is a folder; --panel takes one CSV file'],
    ['an unknown factor column, with the columns', ['--panel', 'good.csv', '--factor', 'size'], 2, "error: --factor: unknown factor 'size' (the panel has value, quality)"],
    ['an unknown factor of the synthetic panel', ['--factor', 'size'], 2, "error: --factor: unknown factor 'size' (the panel has signal, noise)"],
    ['a panel without --factor, with the columns', ['--panel', 'good.csv'], 2, "error: --factor: is required with --panel: one of the panel's factor columns value, quality"],
    ['a period that is not a number', ['--periods', '1,x'], 2, "error: --periods: 'x' is not a number (give whole numbers separated by commas, e.g. 1,5,10)"],
    ['an empty period', ['--periods', '1,,5'], 2, "error: --periods: '' is not a number"],
    ['a period of 0', ['--periods', '0,5'], 2, 'error: --periods: a period is a positive whole number of rows, got 0'],
    ['a fractional period', ['--periods', '1.5'], 2, 'error: --periods: a period is a positive whole number of rows, got 1.5'],
    ['a repeated period', ['--periods', '1,5,1'], 2, 'error: --periods: a period appears twice in [1, 5, 1]'],
    ['one quantile', ['--quantiles', '1'], 2, 'error: --quantiles: must be a whole number of at least 2, got 1'],
    ['quantiles that are not a number', ['--quantiles', 'five'], 2, "error: --quantiles: 'five' is not a number"],
    ['a synthetic flag with --panel', ['--panel', 'good.csv', '--factor', 'value', '--seed', '3'], 2, 'error: --seed: shapes the synthetic panel: it does not apply with --panel'],
    ['too few synthetic symbols', ['--symbols', '2'], 2, 'error: --symbols: must be a whole number of at least 3, got 2'],
    ['an impossible planted IC', ['--ic', '1'], 2, 'error: --ic: must be in (-1, 1), got 1'],
    ['--out without --report', ['--out', 'sheets'], 2, 'error: --out: names the tear sheet folder: give it with --report'],
    ['an unknown flag', ['--factors', 'x'], 2, 'error: --factors: unknown flag'],
    ['a cell that is not a number', ['--panel', 'bad-cell.csv', '--factor', 'value'], 1, "error: bad-cell.csv:4, field value: column 4: 'abc' is not a number"],
    ['a line with too few cells', ['--panel', 'bad-cells.csv', '--factor', 'value'], 1, 'error: bad-cells.csv:3: expected 4 cells, got 3'],
    ['a duplicate (date, symbol)', ['--panel', 'duplicate.csv', '--factor', 'value'], 1, 'error: duplicate.csv:4, symbol A, field symbol: duplicate row for 2024-01-02 A (first at line 2)'],
    ['a panel without close or forward_return', ['--panel', 'no-close.csv', '--factor', 'value'], 1, "error: no-close.csv:1: missing column 'close' (or 'forward_return')"],
    ['a date that does not exist', ['--panel', 'bad-date.csv', '--factor', 'value'], 1, "error: bad-date.csv:3, field date: '2024-02-30' is not a date written YYYY-MM-DD"],
  ])('%s', async (_case, argv, code, message) => {
    const result = await cli('factors', ...argv);
    expect(result.code).toBe(code);
    expect(result.out).toBe('');
    expect(result.err.slice(0, message.length)).toBe(message);
  });

  it('prints its flags with --help', async () => {
    const result = await cli('factors', '--help');
    expect(result.code).toBe(0);
    for (const flag of ['--panel', '--factor', '--periods', '--quantiles', '--seed', '--symbols', '--dates', '--ic', '--json', '--report', '--out']) expect(result.out).toContain(flag);
    expect((await cli('--help')).out).toContain('factors      evaluate a cross-sectional factor');
  });
});
