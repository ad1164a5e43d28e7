import { performance } from 'node:perf_hooks';
import { ConfigError } from '@quantbot/core';

/** The least time between two redraws on a terminal, in ms of the injected clock. */
export const PROGRESS_REDRAW_INTERVAL_MS = 100;

/** The time between two plain progress lines on a stream that is not a terminal, in ms of the injected clock (default of `logIntervalMs`). */
export const PROGRESS_LOG_INTERVAL_MS = 10_000;

/** The width a line is fitted into when the terminal reports none, or 0. */
export const PROGRESS_DEFAULT_COLUMNS = 80;

/** What a progress bar draws on; `process.stderr` fits. */
export interface ProgressStream {
  /** `true` for a terminal (a bar redrawn in place); anything else gets plain lines. */
  readonly isTTY?: boolean;
  /** The terminal width; the line is fitted into it ({@link PROGRESS_DEFAULT_COLUMNS} when absent, 0 or not a positive number). */
  readonly columns?: number;
  write(text: string): boolean;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  readonly stream: ProgressStream;
  /** The number of steps to do (a non-negative integer); {@link Progress.update} may change it. */
  readonly total: number;
  /** Shown before the bar, such as `backtest ORCL`. */
  readonly label: string;
  /** `false` turns progress off entirely (for `--quiet` and `--json`). Default on. */
  readonly enabled?: boolean;
  /** A clock in ms for throttling, the rate and the ETA. Default `performance.now()` (monotonic). */
  readonly now?: () => number;
  /** Not a terminal: ms of `now` between two plain lines (a positive number). Default {@link PROGRESS_LOG_INTERVAL_MS}. */
  readonly logIntervalMs?: number;
}

/** A progress bar; every method is a no-op when progress is off. */
export interface Progress {
  /** Counts `n` more steps done (default 1) and redraws when it is time to. */
  tick(n?: number): void;
  /** Sets the steps done so far (absolute), and the total when given, then redraws when it is time to. */
  update(completed: number, total?: number): void;
  /** Draws the final state and ends the line. Later calls do nothing. */
  done(): void;
}

const MAX_BAR_WIDTH = 30;
const MIN_BAR_WIDTH = 5;
const OFF: Progress = Object.freeze({ tick: () => undefined, update: () => undefined, done: () => undefined });

/**
 * Progress of a long job on `stream` (stderr), in one of two forms:
 *
 * - a terminal (`stream.isTTY === true`): one line redrawn in place with `\r`,
 *   `backtest ORCL [#########---------]  50% 500/1000 1234/s eta 0s`, at most every
 *   {@link PROGRESS_REDRAW_INTERVAL_MS} by the injected clock, fitted into `stream.columns`
 *   ({@link PROGRESS_DEFAULT_COLUMNS} when the terminal reports 0 or nothing);
 * - anything else (a pipe, a file, a CI log): plain lines without a bar or control characters,
 *   `backtest ORCL  50% 500/1000 1234/s eta 0s`, one each `logIntervalMs` (10 s) of the injected
 *   clock, so only long work prints them, and always one final line at {@link Progress.done}.
 *
 * The final line carries the elapsed time (`in 2.4s`) instead of the ETA. With `enabled: false`
 * nothing is written at all. Throws a `ConfigError` naming `total` for a negative or fractional
 * total, and naming `logIntervalMs` for one that is not a positive number.
 *
 * @example
 * const progress = createProgress({ stream: process.stderr, total: bars.length, label: 'backtest ORCL' });
 * for (const bar of bars) { step(bar); progress.tick(); }
 * progress.done();
 */
export function createProgress(options: ProgressOptions): Progress {
  const { stream, label } = options;
  let total = checkedTotal(options.total);
  const logInterval = options.logIntervalMs ?? PROGRESS_LOG_INTERVAL_MS;
  if (!Number.isFinite(logInterval) || logInterval <= 0) throw new ConfigError('logIntervalMs', `${logInterval} is not a positive number`);
  if (options.enabled === false) return OFF;
  const terminal = stream.isTTY === true;
  const now = options.now ?? ((): number => performance.now());
  const startedAt = now();
  let count = 0;
  // A terminal draws on the first step; plain lines wait one interval, so short work prints only its final line.
  let lastDrawAt: number | undefined = terminal ? undefined : startedAt;
  let finished = false;
  let previousLength = 0;

  const draw = (at: number, final: boolean): void => {
    lastDrawAt = at;
    const stats = progressStats(count, total, (at - startedAt) / 1000, final);
    if (!terminal) {
      stream.write(`${label} ${stats}\n`);
      return;
    }
    // One column short of the width: a line that wraps would break the `\r` redraw.
    const width = Math.max(1, terminalColumns(stream.columns) - 1);
    const line = withBar(label, stats, count, total, width).slice(0, width);
    // Spaces wipe what is left of a longer previous line.
    stream.write(`\r${line.padEnd(Math.min(width, previousLength))}`);
    previousLength = line.length;
  };
  const maybeDraw = (): void => {
    const at = now();
    if (lastDrawAt === undefined || at - lastDrawAt >= (terminal ? PROGRESS_REDRAW_INTERVAL_MS : logInterval)) draw(at, false);
  };

  return {
    tick: (n = 1) => {
      if (!Number.isFinite(n) || n < 0) throw new ConfigError('n', `tick(${n}): the step count must be a finite number ≥ 0`);
      if (finished) return;
      count += n;
      maybeDraw();
    },
    update: (completed, newTotal) => {
      if (!Number.isFinite(completed) || completed < 0) throw new ConfigError('completed', `update(${completed}): the steps done must be a finite number ≥ 0`);
      if (newTotal !== undefined) total = checkedTotal(newTotal);
      if (finished) return;
      count = completed;
      maybeDraw();
    },
    done: () => {
      if (finished) return;
      finished = true;
      draw(now(), true);
      if (terminal) stream.write('\n');
    },
  };
}

/** The width of a terminal: its `columns` when a positive number, else {@link PROGRESS_DEFAULT_COLUMNS}. */
export function terminalColumns(columns: number | undefined): number {
  return columns !== undefined && Number.isFinite(columns) && columns > 0 ? Math.floor(columns) : PROGRESS_DEFAULT_COLUMNS;
}

function checkedTotal(total: number): number {
  if (!Number.isSafeInteger(total) || total < 0) throw new ConfigError('total', `${total} is not a non-negative integer`);
  return total;
}

/** Percentage, count/total, rate, and the ETA (or, on the final line, the elapsed time). */
function progressStats(count: number, total: number, elapsedSeconds: number, final: boolean): string {
  const fraction = total === 0 ? 1 : Math.min(1, count / total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const rate = elapsedSeconds > 0 ? count / elapsedSeconds : undefined;
  const remaining = Math.max(0, total - count);
  const tail = final ? ` in ${formatElapsed(elapsedSeconds)}` : rate !== undefined && rate > 0 && remaining > 0 ? ` eta ${formatDuration(remaining / rate)}` : '';
  return `${percent} ${count}/${total} ${rate === undefined ? '-' : formatRate(rate)}/s${tail}`;
}

/** The terminal line without `\r`: label, bar (when it fits) and the stats. */
function withBar(label: string, stats: string, count: number, total: number, width: number): string {
  const fraction = total === 0 ? 1 : Math.min(1, count / total);
  const barWidth = Math.min(MAX_BAR_WIDTH, width - label.length - stats.length - 4);
  if (barWidth < MIN_BAR_WIDTH) return `${label} ${stats}`;
  const filled = Math.round(fraction * barWidth);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${stats}`;
}

function formatRate(rate: number): string {
  return rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1);
}

/** Elapsed time: tenths of a second under a minute (`0.4s`), else as {@link formatDuration}. */
function formatElapsed(seconds: number): string {
  return seconds < 59.95 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
}

function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** On a terminal or not, a phase that took at least this long (ms of the injected clock) keeps a line (default of `minPhaseMs`). */
export const PROGRESS_MIN_PHASE_MS = 1_000;

/** Options of {@link createPhaseProgress}. */
export interface PhaseProgressOptions {
  readonly stream: ProgressStream;
  /** Shown before the phase, such as `backtest`. */
  readonly label: string;
  /** `false` turns it off entirely (for `--quiet` and `--json`). Default on. */
  readonly enabled?: boolean;
  /** A clock in ms. Default `performance.now()` (monotonic). */
  readonly now?: () => number;
  /** A phase shorter than this (ms of `now`, ≥ 0) leaves no line. Default {@link PROGRESS_MIN_PHASE_MS}. */
  readonly minPhaseMs?: number;
}

/** Steps of a job whose own size is not counted (reading data, checking it, writing results). */
export interface PhaseProgress {
  /** Ends the phase under way, if any, and starts `name` (such as `reading data`). */
  phase(name: string): void;
  /** Ends the phase under way. Later calls of `phase` start new ones. */
  done(): void;
}

/**
 * Shows which step of a job is under way, for steps that are not counted in units (reading a
 * large file, the data checks, writing the results). On a terminal the phase under way is shown
 * in place (`backtest: reading data…`); a phase that took at least `minPhaseMs` (1 s) of the
 * injected clock then keeps a line with its time (`backtest: reading data in 2.4s`), a shorter
 * one is wiped. Elsewhere (a pipe, a CI log) only those lines of long phases are written. With
 * `enabled: false` nothing is written. Throws a `ConfigError` naming `minPhaseMs` for a negative
 * or non-finite value.
 */
export function createPhaseProgress(options: PhaseProgressOptions): PhaseProgress {
  const { stream, label } = options;
  const minPhase = options.minPhaseMs ?? PROGRESS_MIN_PHASE_MS;
  if (!Number.isFinite(minPhase) || minPhase < 0) throw new ConfigError('minPhaseMs', `${minPhase} is not a number ≥ 0`);
  if (options.enabled === false) return Object.freeze({ phase: () => undefined, done: () => undefined });
  const terminal = stream.isTTY === true;
  const now = options.now ?? ((): number => performance.now());
  let current: { readonly name: string; readonly startedAt: number } | undefined;
  let shownLength = 0;
  const width = (): number => Math.max(1, terminalColumns(stream.columns) - 1);

  const end = (): void => {
    if (current === undefined) return;
    const elapsed = now() - current.startedAt;
    const line = `${label}: ${current.name} in ${formatElapsed(elapsed / 1000)}`;
    if (terminal) {
      const kept = elapsed >= minPhase ? line.slice(0, width()) : '';
      stream.write(`\r${kept.padEnd(shownLength)}${kept === '' ? '\r' : '\n'}`);
      shownLength = 0;
    } else if (elapsed >= minPhase) {
      stream.write(`${line}\n`);
    }
    current = undefined;
  };

  return {
    phase: (name) => {
      end();
      current = { name, startedAt: now() };
      if (terminal) {
        const line = `${label}: ${name}…`.slice(0, width());
        stream.write(`\r${line.padEnd(shownLength)}`);
        shownLength = line.length;
      }
    },
    done: end,
  };
}
