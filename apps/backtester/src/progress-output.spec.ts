import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';
import { formatTimings } from './run-command';

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-progress-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Captured {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** Everything written to the progress stream. */
  readonly progress: string;
}

let second = 0;
/** Runs the backtester with a progress stream that is a pipe (not a terminal), or a terminal of `columns`. */
async function cli(stream: { isTTY: boolean; columns?: number }, ...argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  let progress = '';
  const io: CliIo = {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    cwd: workDir,
    progress: { ...stream, write: (t) => ((progress += t), true) },
  };
  const at = new Date(Date.UTC(2026, 4, 1, 0, 0, ++second));
  return { code: await main(argv, io, at, () => at), out, err, progress };
}

const PIPE = { isTTY: false };
/** fast=50 is not below either slow: 2 of the 6 points are skipped, 4 run. */
const SPACE = ['--space', 'fast=5|10|50,slow=20|40', '--workers', '1'];

function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line !== '');
  return lines[lines.length - 1] ?? '';
}

describe('progress of backtester commands', () => {
  it('sweep: the total counts the trials that run, not the skipped points, and ends at 100% on a pipe', async () => {
    const result = await cli(PIPE, 'sweep', '--bars', '400', ...SPACE);
    expect(result.code).toBe(0);
    expect(result.out).toContain('4 trial(s), 2 invalid point(s) skipped');
    // A pipe gets plain lines: no bar, no carriage return, the final line at 100% with the right total.
    expect(result.progress.includes('\r')).toBe(false);
    expect(lastLine(result.progress)).toMatch(/^sweep sma-crossover 100% 4\/4 \S+\/s in [\d.]+s$/);
  });

  it('walk-forward: one bar over folds × trials, ending at 100% of that total', async () => {
    const result = await cli(PIPE, 'walk-forward', '--bars', '1000', ...SPACE, '--train', '300', '--test', '100');
    expect(result.code === 0 || result.code === 1).toBe(true);
    const folds = Number(/: (\d+) fold\(s\)/.exec(result.out)?.[1]);
    expect(folds).toBe(7);
    expect(lastLine(result.progress)).toMatch(new RegExp(`^walk-forward sma-crossover 100% ${folds * 4}/${folds * 4} \\S+/s in [\\d.]+s$`));
  });

  it('walk-forward on a terminal: a width of 0 gets 80 columns, and the bar never passes folds × trials', async () => {
    const result = await cli({ isTTY: true, columns: 0 }, 'walk-forward', '--bars', '1000', ...SPACE, '--train', '300', '--test', '100');
    const all = result.progress.split('\r').filter((frame) => frame.trim() !== '');
    // First the phases of loading the data, shown in place (wiped: they are short) ...
    expect(all.slice(0, 2)).toEqual(['walk-forward: reading data…', 'walk-forward: checking data…']);
    // ... then the bar.
    const frames = all.filter((frame) => frame.startsWith('walk-forward sma-crossover '));
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      // A width of 0 falls back to 80 columns: every frame fits into 79.
      expect(frame.replace('\n', '').length).toBeLessThanOrEqual(79);
      const [, done, total] = /(\d+)\/(\d+)/.exec(frame) ?? [];
      expect(Number(done)).toBeLessThanOrEqual(Number(total));
      expect(Number(total)).toBe(28);
    }
    expect(frames[frames.length - 1]).toMatch(/100% 28\/28 .* in [\d.]+s\s*\n$/);
  });

  it('run: a pipe gets the final line at 100% of the bars', async () => {
    const result = await cli(PIPE, 'run', '--bars', '500');
    expect(result.code).toBe(0);
    expect(result.progress.includes('\r')).toBe(false);
    expect(lastLine(result.progress)).toMatch(/^backtest 5 symbol\(s\) 100% 500\/500 \S+\/s in [\d.]+s$/);
  });

  it('run on a terminal: reading, checking and writing shown as phases around the bar', async () => {
    const result = await cli({ isTTY: true, columns: 120 }, 'run', '--bars', '500', '--check-lookahead');
    expect(result.code).toBe(0);
    const shown = result.progress.split('\r').filter((frame) => frame.trim() !== '').map((frame) => frame.replace(/ *\n$/, ''));
    // (A phase that took a second or more on a slow machine also keeps a line with its time: not counted here.)
    const phases = shown.filter((frame) => frame.startsWith('backtest: ') && frame.endsWith('…'));
    expect(phases).toEqual(['backtest: reading data…', 'backtest: checking data…', 'backtest: checking lookahead…', 'backtest: writing the run folder…']);
    // The bar comes after the data is loaded and before the lookahead check.
    const barAt = shown.findIndex((frame) => frame.startsWith('backtest 5 symbol(s) ['));
    expect(barAt).toBeGreaterThan(shown.indexOf('backtest: checking data…'));
    expect(barAt).toBeLessThan(shown.indexOf('backtest: checking lookahead…'));
  });

  it('--quiet writes no progress at all, on a pipe or a terminal, and --json none either', async () => {
    for (const stream of [PIPE, { isTTY: true, columns: 100 }]) {
      const runs = [
        await cli(stream, 'run', '--bars', '500', '--quiet'),
        await cli(stream, 'sweep', '--bars', '400', ...SPACE, '--quiet'),
        await cli(stream, 'walk-forward', '--bars', '1000', ...SPACE, '--train', '300', '--test', '100', '--quiet'),
        await cli(stream, 'sweep', '--bars', '400', ...SPACE, '--json'),
      ];
      for (const result of runs) {
        expect(result.progress).toBe('');
        expect(result.err).toBe('');
        expect(result.out).not.toBe('');
      }
    }
  });

  it('--timings prints one line on stderr with every step, the total, the peak memory, the CPU time and the page faults; the steps add up to the total', async () => {
    const result = await cli(PIPE, 'run', '--bars', '300', '--quiet', '--timings', '--json');
    expect(result.code).toBe(0);
    expect(result.progress).toBe('');
    const line = result.err.trim();
    const match = /^timings: read (\S+) s, check (\S+) s, backtest (\S+) s, summary (\S+) s, lookahead (\S+) s, write (\S+) s, total (\S+) s; peak memory (\d+) MB; cpu (\d+\.\d\d) s; page faults (\d+)$/.exec(line);
    expect(match).not.toBeNull();
    const [read, check, backtest, summary, lookahead, write, total] = (match as RegExpExecArray).slice(1, 8).map(Number) as number[];
    expect(lookahead).toBe(0);
    expect(backtest).toBeGreaterThan(0);
    expect(write).toBeGreaterThan(0);
    // Each step is printed rounded to the millisecond.
    expect(Math.abs((read as number) + (check as number) + (backtest as number) + (summary as number) + (lookahead as number) + (write as number) - (total as number))).toBeLessThanOrEqual(0.004);
    expect(Number(match?.[8])).toBeGreaterThan(10);
    // The process's CPU time so far (here the test process's, which ran this run among others):
    // taken as the line was printed, so no more than the process has used by now.
    const now = process.cpuUsage();
    expect(Number(match?.[9])).toBeGreaterThan(0);
    expect(Number(match?.[9])).toBeLessThanOrEqual((now.user + now.system) / 1e6 + 0.005);
    // The process's page faults so far, likewise: some (a process touches new memory), and no more than by now.
    const usage = process.resourceUsage();
    expect(Number(match?.[10])).toBeGreaterThan(0);
    expect(Number(match?.[10])).toBeLessThanOrEqual(usage.minorPageFault + usage.majorPageFault);
    // stdout stays one JSON document.
    expect(() => JSON.parse(result.out) as unknown).not.toThrow();
    const without = await cli(PIPE, 'run', '--bars', '300', '--quiet');
    expect(without.err).not.toContain('timings');
  });
});

describe('formatTimings', () => {
  it('prints each step to the millisecond, the peak memory in MB, the CPU time to the hundredth and the page faults', () => {
    const timings = { readMs: 212.4, checkMs: 81, backtestMs: 190, summaryMs: 40, lookaheadMs: 0, writeMs: 301.2, totalMs: 824.6 };
    expect(formatTimings(timings, 231.4 * 1_048_576, 1.524, 77_675)).toBe(
      'timings: read 0.212 s, check 0.081 s, backtest 0.190 s, summary 0.040 s, lookahead 0.000 s, write 0.301 s, total 0.825 s; peak memory 231 MB; cpu 1.52 s; page faults 77675',
    );
  });
});
