import type { CliIo } from '@quantbot/cli';
import { ConfigError } from '@quantbot/core';
import type { TraderSnapshot } from './trader-view';
import { BROKER_CHANNELS } from './trader-view';

/**
 * How `live-trader run` talks: `text` (news on stdout; warnings, errors and status lines on
 * stderr), `quiet` (warnings, errors and the final summary only) or `json` (the same streams, every
 * line a JSON object: `{"type":"info"|"warning"|"error","message":…}`, status lines
 * `{"type":"status",…}`, and the final summary as in the other modes).
 */
export type OutputMode = 'text' | 'quiet' | 'json';

/** The trader's output: a `CliIo` (news on `out`, warnings and errors on `err`) that knows its mode. */
export interface RunOutput extends CliIo {
  readonly mode: OutputMode;
  /** A status line (stderr). Not in `quiet` mode. */
  status(snapshot: TraderSnapshot): void;
  /** The final summary: one JSON line on stdout, in every mode. */
  summary(line: string): void;
}

/** `error: …` and `refused: …` are errors; every other line on stderr is a warning. */
function levelOf(text: string): { readonly type: 'warning' | 'error'; readonly message: string } {
  if (text.startsWith('error: ')) return { type: 'error', message: text.slice('error: '.length) };
  if (text.startsWith('refused: ')) return { type: 'error', message: text };
  if (text.startsWith('warning: ')) return { type: 'warning', message: text.slice('warning: '.length) };
  return { type: 'warning', message: text };
}

/** Wraps `io` for `mode`. */
export function runOutput(io: CliIo, mode: OutputMode): RunOutput {
  const base = { cwd: io.cwd, mode, ...(io.progress !== undefined && mode === 'text' ? { progress: io.progress } : {}) };
  if (mode === 'json') {
    return {
      ...base,
      out: (text) => io.out(JSON.stringify({ type: 'info', message: text })),
      err: (text) => io.err(JSON.stringify(levelOf(text))),
      status: (snapshot) => io.err(JSON.stringify(statusObject(snapshot))),
      summary: (line) => io.out(line),
    };
  }
  return {
    ...base,
    out: mode === 'quiet' ? () => undefined : (text) => io.out(text),
    err: (text) => io.err(text),
    status: mode === 'quiet' ? () => undefined : (snapshot) => io.err(formatStatusLine(snapshot)),
    summary: (line) => io.out(line),
  };
}

/** The output mode of `--quiet` / `--json` (both: a usage error). */
export function outputModeOf(flags: Readonly<Record<string, string | number | boolean>>): OutputMode {
  if (flags['json'] === true && flags['quiet'] === true) throw new ConfigError('--quiet', 'choose one of --quiet and --json');
  return flags['json'] === true ? 'json' : flags['quiet'] === true ? 'quiet' : 'text';
}

const money = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(2));
const signed = (value: number | undefined): string => (value === undefined ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(2)}`);
const count = (value: number | undefined): string => (value === undefined ? '-' : String(value));

/**
 * The text status line, `key=value` pairs after the word `status` (`-` for what is not known
 * before the first step):
 *
 * `status time=2024-03-05T15:04:00.000Z step=120 equity=100123.45 day_pnl=+123.45 positions=2 working_orders=1 broker=trade-stream:up,bar-stream:up,rest:up kill_switch=active`
 *
 * `broker=sim` with `--broker sim`; a kill switch that is not active adds `reason="…"`.
 */
export function formatStatusLine(snapshot: TraderSnapshot): string {
  const broker = snapshot.broker === undefined ? 'sim' : BROKER_CHANNELS.map((c) => `${c}:${snapshot.broker?.[c] ?? 'unknown'}`).join(',');
  const kill = snapshot.killSwitch;
  return [
    'status',
    `time=${snapshot.barTime === undefined ? '-' : new Date(snapshot.barTime).toISOString()}`,
    `step=${snapshot.steps}`,
    `equity=${money(snapshot.equity)}`,
    `day_pnl=${signed(snapshot.dayPnl)}`,
    `positions=${count(snapshot.positions)}`,
    `working_orders=${count(snapshot.workingOrders)}`,
    `broker=${broker}`,
    `kill_switch=${kill.state}`,
    ...(kill.state !== 'active' && kill.reason !== undefined ? [`reason=${JSON.stringify(kill.reason)}`] : []),
  ].join(' ');
}

/** The JSON status line's object (`--json`): the snapshot's numbers as they are, `null` for what is not known yet. */
export function statusObject(snapshot: TraderSnapshot): Record<string, unknown> {
  const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
  return {
    type: 'status',
    time: snapshot.barTime === undefined ? null : new Date(snapshot.barTime).toISOString(),
    step: snapshot.steps,
    equity: orNull(snapshot.equity),
    cash: orNull(snapshot.cash),
    dayPnl: orNull(snapshot.dayPnl),
    drawdown: orNull(snapshot.drawdown),
    positions: orNull(snapshot.positions),
    workingOrders: orNull(snapshot.workingOrders),
    broker: snapshot.broker === undefined ? 'sim' : { ...snapshot.broker },
    killSwitch: { state: snapshot.killSwitch.state, reason: orNull(snapshot.killSwitch.reason) },
  };
}

/** How often a status line is printed: every `n` steps, every `ms` of the wall clock, or never. */
export type StatusEvery = { readonly kind: 'steps'; readonly n: number } | { readonly kind: 'ms'; readonly ms: number } | { readonly kind: 'off' };

/** The default of `--status-every`: every 30 s. */
export const DEFAULT_STATUS_EVERY = '30s';

/**
 * Reads `--status-every`: a whole number of steps (`10`), a duration (`500ms`, `30s`, `5m`), or
 * `off`. Throws a `ConfigError` naming the flag otherwise.
 */
export function parseStatusEvery(text: string): StatusEvery {
  if (text === 'off') return { kind: 'off' };
  const match = /^(\d+)(ms|s|m)?$/.exec(text.trim());
  const amount = match === null ? NaN : Number(match[1]);
  if (match === null || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new ConfigError('--status-every', `'${text}' is neither a number of steps (10), a duration (500ms, 30s, 5m) nor off`);
  }
  const unit = match[2];
  if (unit === undefined) return { kind: 'steps', n: amount };
  return { kind: 'ms', ms: amount * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000) };
}

/**
 * Decides when a status line is due. By steps: after every `n`-th step of this process. By time:
 * once `ms` of the wall clock (`now`) passed since the start or the last line, checked at every
 * step and by `tick` (a timer calls it, so a session waiting for the open still reports).
 */
export class StatusTicker {
  readonly #every: StatusEvery;
  readonly #now: () => number;
  readonly #print: () => void;
  #steps = 0;
  #last: number;

  constructor(every: StatusEvery, now: () => number, print: () => void) {
    this.#every = every;
    this.#now = now;
    this.#print = print;
    this.#last = now();
  }

  /** After a step. */
  step(): void {
    this.#steps++;
    if (this.#every.kind === 'steps' && this.#steps % this.#every.n === 0) this.#print();
    else this.tick();
  }

  /** A timer's call: prints when the interval has passed (by time only). */
  tick(): void {
    if (this.#every.kind !== 'ms') return;
    const now = this.#now();
    if (now - this.#last < this.#every.ms) return;
    this.#last = now;
    this.#print();
  }

  /** How often a timer should call `tick`, or undefined when none is needed. */
  get timerMs(): number | undefined {
    return this.#every.kind === 'ms' ? Math.max(10, Math.min(this.#every.ms, 1000)) : undefined;
  }
}
