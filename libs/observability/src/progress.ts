import { performance } from 'node:perf_hooks';
import { ConfigError } from '@quantbot/core';

/** The least time between two redraws, in ms of the injected clock. */
export const PROGRESS_REDRAW_INTERVAL_MS = 100;

/** What a progress bar draws on; `process.stderr` fits. */
export interface ProgressStream {
  /** The bar is drawn only when this is exactly `true` (a terminal, not a pipe or file). */
  readonly isTTY?: boolean;
  /** The terminal width; the line is fitted into it (default 80). */
  readonly columns?: number;
  write(text: string): boolean;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  readonly stream: ProgressStream;
  /** The number of steps to do (a non-negative integer). */
  readonly total: number;
  /** Shown before the bar, such as `backtest ORCL`. */
  readonly label: string;
  /** `false` turns the bar off (for `--quiet`). Default on. */
  readonly enabled?: boolean;
  /** A clock in ms for throttling and the rate. Default `performance.now()` (monotonic). */
  readonly now?: () => number;
}

/** A progress bar; every method is a no-op when the bar is not drawn. */
export interface Progress {
  /** Counts `n` more steps done (default 1) and redraws if the last draw is 100 ms old. */
  tick(n?: number): void;
  /** Draws the final state and ends the line. Later calls do nothing. */
  done(): void;
}

const DEFAULT_COLUMNS = 80;
const MAX_BAR_WIDTH = 30;
const MIN_BAR_WIDTH = 5;

/**
 * A one-line progress bar redrawn in place with `\r`:
 * `backtest ORCL [#########---------]  50% 500/1000 1234/s eta 0s`. It draws at most every
 * {@link PROGRESS_REDRAW_INTERVAL_MS} by the injected clock, and only when `stream.isTTY` is
 * `true` and `enabled` is not `false`; otherwise it writes nothing at all, so piped output and
 * log files stay clean. Throws a `ConfigError` naming `total` for a negative or fractional total.
 *
 * @example
 * const progress = createProgress({ stream: process.stderr, total: bars.length, label: 'backtest ORCL' });
 * for (const bar of bars) { step(bar); progress.tick(); }
 * progress.done();
 */
export function createProgress(options: ProgressOptions): Progress {
  const { stream, total, label } = options;
  if (!Number.isSafeInteger(total) || total < 0) throw new ConfigError('total', `${total} is not a non-negative integer`);
  if (options.enabled === false || stream.isTTY !== true) return { tick: () => undefined, done: () => undefined };
  const now = options.now ?? ((): number => performance.now());
  const startedAt = now();
  let count = 0;
  let lastDrawAt: number | undefined;
  let finished = false;
  let previousLength = 0;

  const draw = (at: number): void => {
    lastDrawAt = at;
    // One column short of the width: a line that wraps would break the `\r` redraw.
    const width = Math.max(1, (stream.columns ?? DEFAULT_COLUMNS) - 1);
    const line = progressLine(label, count, total, (at - startedAt) / 1000, width).slice(0, width);
    // Spaces wipe what is left of a longer previous line.
    stream.write(`\r${line.padEnd(Math.min(width, previousLength))}`);
    previousLength = line.length;
  };

  return {
    tick: (n = 1) => {
      if (!Number.isFinite(n) || n < 0) throw new ConfigError('n', `tick(${n}): the step count must be a finite number ≥ 0`);
      if (finished) return;
      count += n;
      const at = now();
      if (lastDrawAt === undefined || at - lastDrawAt >= PROGRESS_REDRAW_INTERVAL_MS) draw(at);
    },
    done: () => {
      if (finished) return;
      finished = true;
      draw(now());
      stream.write('\n');
    },
  };
}

/** The line without `\r`: label, bar (when it fits), percentage, count/total, rate and ETA. */
function progressLine(label: string, count: number, total: number, elapsedSeconds: number, width: number): string {
  const fraction = total === 0 ? 1 : Math.min(1, count / total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const rate = elapsedSeconds > 0 ? count / elapsedSeconds : undefined;
  const remaining = Math.max(0, total - count);
  const eta = rate !== undefined && rate > 0 && remaining > 0 ? ` eta ${formatDuration(remaining / rate)}` : '';
  const stats = `${percent} ${count}/${total} ${rate === undefined ? '-' : formatRate(rate)}/s${eta}`;
  const barWidth = Math.min(MAX_BAR_WIDTH, width - label.length - stats.length - 4);
  if (barWidth < MIN_BAR_WIDTH) return `${label} ${stats}`;
  const filled = Math.round(fraction * barWidth);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${stats}`;
}

function formatRate(rate: number): string {
  return rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1);
}

function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
