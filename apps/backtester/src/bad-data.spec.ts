import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { sharedDataFile } from '../test/shared-data';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

// Bad bar files through the built backtester, as a user runs it (`npx nx run backtester:build`).
const BACKTESTER = resolve(__dirname, '../../../apps/backtester/dist/main.js');
const HEADER = 'Date,Open,High,Low,Close,Volume';

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'quantbot-bad-data-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function backtest(...argv: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BACKTESTER, 'run', '--results-dir', join(workDir, 'runs'), ...argv], { cwd: workDir }, (error, out, err) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out, err });
    });
  });
}

/**
 * Writes `rows` under the header into `name` in the work folder (the backtester's working
 * directory) and returns the name: runs name their files relative to where they run.
 */
function barFile(name: string, rows: readonly string[], header = HEADER): string {
  writeFileSync(join(workDir, name), `${header}\n${rows.join('\n')}\n`);
  return name;
}

const CLEAN_ROWS = ['2014-01-02,10,11,9,10,100', '2014-01-03,10,11,9,10.2,100', '2014-01-06,10,11,9,10.1,100', '2014-01-07,10,11,9,10.3,100'];

describe('backtester run: bad data is refused with its file, line and date (item 16)', () => {
  it.each(['off', 'warn', 'strict'])('refuses a zero close naming file, line and date in mode %s', async (mode) => {
    const file = barFile(`zero-${mode}.csv`, ['2014-01-02,10,11,9,10,100', '2014-01-03,10,11,9,0,100', '2014-01-06,10,11,9,10,100']);
    const run = await backtest('--data', file, '--data-quality', mode);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${file}:3 2014-01-03 Close: ZERO-${mode.toUpperCase()} Close 0 is not a positive price`);
    expect(run.err).not.toMatch(/mark of/);
  });

  it('refuses a negative close the same way', async () => {
    const file = barFile('negative.csv', ['2014-01-02,10,11,9,10,100', '2014-01-03,10,11,9,-2.5,100']);
    const run = await backtest('--data', file);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${file}:3 2014-01-03 Close: NEGATIVE Close -2.5 is not a positive price`);
  });

  it.each([
    ['0999-12-31', 'year-low.csv'],
    ['10000-01-01', 'year-high.csv'],
  ])('refuses the date %s as a data error naming file and line, not --start', async (date, name) => {
    const file = barFile(name, ['2014-01-02,10,11,9,10,100', `${date},10,11,9,10,100`]);
    const run = await backtest('--data', file, '--start', '2014-01-01');
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${file}:3 Date: `);
    expect(run.err).toContain(`'${date}' has a year outside 1000..9999`);
    expect(run.err).not.toContain('--start');
  });
});

describe('backtester run: mixed intervals and one-bar moves (item 17)', () => {
  it('refuses a file with a minute row among daily rows, naming the first such line', async () => {
    const file = barFile('mixed.csv', ['2014-01-02,10,11,9,10,100', '2014-01-03,10,11,9,10,100', '2014-01-03 09:31:00,10,11,9,10,100', '2014-01-06,10,11,9,10,100']);
    const run = await backtest('--data', file);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${file}:4 `);
    expect(run.err).toMatch(/'2014-01-03 09:31:00' is an intraday time but line 2 \('2014-01-02'\) is a daily date without a time: the file mixes bar intervals/);
  });

  it.each([
    ['minute', ['2014-01-02 09:30:00,10,11,9,10,100', '2014-01-02 09:31:00,10,11,9,10,100', '2014-01-02 09:32:00,10,11,9,10,100'], 'intraday'],
    ['weekly', ['2014-01-03,10,11,9,10,100', '2014-01-10,10,11,9,10,100', '2014-01-17,10,11,9,10,100'], 'weekly'],
  ])('refuses a folder of daily and %s files, naming both files', async (kind, rows, interval) => {
    const folder = join(workDir, `folder-${kind}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'aaa.csv'), `${HEADER}\n${CLEAN_ROWS.join('\n')}\n`);
    writeFileSync(join(folder, 'bbb.csv'), `${HEADER}\n${rows.join('\n')}\n`);
    const run = await backtest('--data', folder);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${folder}: the folder mixes bar intervals: '${join(folder, 'aaa.csv')}' holds daily bars, '${join(folder, 'bbb.csv')}' holds ${interval} bars`);
  });

  itWithData('still loads a folder of real daily files with holidays, gaps and sparse days', async () => {
    const folder = join(workDir, 'real-daily');
    mkdirSync(folder);
    for (const name of ['orcl-2014.txt', 'nvda-2014.txt', '2006-day-002.txt']) copyFileSync(sharedDataFile(name), join(folder, name));
    const run = await backtest('--data', folder, '--data-quality', 'strict', '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  });

  const spikeRows = ['2014-01-02,10,11,9,10,100', '2014-01-03,10,11,9,10,100', '2014-01-06,10,16.5,9,16,100', '2014-01-07,15,17,14,16,100'];

  it('refuses in strict mode a 60% one-bar move with no split, naming file, line and date', async () => {
    const file = barFile('spike.csv', spikeRows);
    const run = await backtest('--data', file, '--data-quality', 'strict');
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${file}:4 2014-01-06 close: SPIKE bar 2 (2014-01-06): close 16 after 10 is a 60.00% move in one bar, beyond 50.00%, and no split explains it`);
  });

  it('runs in warn mode and reports the move as an error finding with its place', async () => {
    const file = barFile('spike-warn.csv', spikeRows);
    const run = await backtest('--data', file, '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as { dataQuality: { report: { findings: { check: string; severity: string; file?: string; line?: number }[] } } };
    expect(report.dataQuality.report.findings).toContainEqual(expect.objectContaining({ check: 'large-move', severity: 'error', file, line: 4 }));
  });

  it('takes the threshold from --max-bar-move-pct and refuses a bad one', async () => {
    const file = barFile('spike-70.csv', spikeRows);
    const run = await backtest('--data', file, '--data-quality', 'strict', '--max-bar-move-pct', '70', '--quiet');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const tight = await backtest('--data', barFile('calm.csv', CLEAN_ROWS), '--data-quality', 'strict', '--max-bar-move-pct', '1');
    expect(tight.code).toBe(1);
    expect(tight.err).toMatch(/CALM bar 1 \(2014-01-03\): close 10.2 after 10 is a 2.00% move in one bar, beyond 1.00%/);
    const bad = await backtest('--data', file, '--max-bar-move-pct', '0');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('--max-bar-move-pct');
  });

  it('accepts a move the adjusted close explains as a split', async () => {
    const file = barFile(
      'split.csv',
      ['2014-01-02,20,21,19,20,20,100', '2014-01-03,20,21,19,20,20,100', '2014-01-06,6.6,7,6.5,6.7,20.1,100', '2014-01-07,6.7,7,6.5,6.8,20.4,100'],
      'Date,Open,High,Low,Close,Adj Close,Volume',
    );
    const run = await backtest('--data', file, '--data-quality', 'strict', '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('backtester run: duplicate and unsorted dates by mode (item 18)', () => {
  const rows = [
    '2014-01-02,10,11,9,10,100',
    '2014-01-06,10,11,9,10.1,100',
    '2014-01-03,10,11,9,10.2,100',
    '2014-01-03,10,11,9,10.3,100',
    '2014-01-07,10,11,9,10.4,100',
  ];

  it('runs in warn mode: keeps the last row of a date, sorts, and reports both with file, line and date', async () => {
    const file = barFile('dup-warn.csv', rows);
    const text = await backtest('--data', file);
    expect(text.code).toBe(0);
    expect(text.out).toContain('1 duplicate row(s) dropped and 1 unsorted row(s) sorted (listed below)');
    expect(text.out).toContain(`data resolved ${file}:5: DUP-WARN duplicate date '2014-01-03' (line 4 has '2014-01-03'); resolved: line 4 dropped: the last row written for a date is kept`);
    expect(text.out).toContain(`data resolved ${file}:4: DUP-WARN date '2014-01-03' is before '2014-01-06' on line 3; resolved: moved into date order`);
    const json = await backtest('--data', file, '--json', '--data-quality', 'warn');
    const report = JSON.parse(json.out) as {
      dataQuality: { report: { summary: { bars: number }; findings: { check: string; severity: string; line?: number; time: number | null }[] } };
      summary: Record<string, unknown>;
    };
    expect(report.dataQuality.report.summary.bars).toBe(4);
    // Findings name the file as the run was given it: no path of this machine in what it records.
    expect(json.out).not.toContain(workDir);
    expect(report.dataQuality.report.findings.filter((f) => f.check.endsWith('-timestamp'))).toEqual([
      expect.objectContaining({ check: 'duplicate-timestamp', severity: 'warning', line: 5, time: Date.UTC(2014, 0, 3) }),
      expect.objectContaining({ check: 'unsorted-timestamp', severity: 'warning', line: 4, time: Date.UTC(2014, 0, 3) }),
    ]);
  });

  it('refuses in strict mode listing every parse and validator error of the file at once', async () => {
    const file = barFile('dup-strict.csv', [...rows, '2014-01-08,10,9,9,10,100', '2014-01-09,10,11,9,abc,100', '2014-01-10,10,11,9,0,100']);
    const run = await backtest('--data', file, '--data-quality', 'strict');
    expect(run.code).toBe(1);
    const listed = run.err.split('\n').filter((line) => line.startsWith('  '));
    expect(listed).toEqual([
      `  ${file}:4 2014-01-03 Date: DUP-STRICT date '2014-01-03' is before '2014-01-06' on line 3; dates must strictly increase`,
      `  ${file}:5 2014-01-03 Date: DUP-STRICT duplicate date '2014-01-03' (line 4 has '2014-01-03'); dates must strictly increase`,
      `  ${file}:7 2014-01-08 high: DUP-STRICT bar 4 (2014-01-08): high 9 is below max(open 10, close 10)`,
      `  ${file}:8 2014-01-09 Close: DUP-STRICT 'abc' is not a number`,
      `  ${file}:9 2014-01-10 Close: DUP-STRICT Close 0 is not a positive price`,
    ]);
    expect(run.err).toContain('data quality is strict and the data has 5 error(s)');
  });

  it('refuses in off mode, which resolves nothing without a report', async () => {
    const file = barFile('dup-off.csv', rows);
    const run = await backtest('--data', file, '--data-quality', 'off');
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${file}:5 2014-01-03 Date: DUP-OFF duplicate date '2014-01-03'`);
    expect(run.err).toContain(`${file}:4 2014-01-03 Date: DUP-OFF date '2014-01-03' is before '2014-01-06'`);
  });
});
