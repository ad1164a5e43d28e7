import { join } from 'node:path';
import { QuantbotError } from '@quantbot/core';
import { createLogger } from '@quantbot/observability';
import type { Logger } from '@quantbot/observability';
import { drillCommand } from './drill-command';
import { fakeAlpacaCommand } from './fake-alpaca-command';
import { incidentCommand } from './incident-command';
import { daysCommand } from './days-command';
import { killSwitchCommand } from './kill-switch-command';
import { sleeveCommand } from './sleeve-command';
import { runCommand } from './run-command';
import { stateCommand } from './state-command';
import { statusCommand } from './status-command';
import { runOutput } from './trader-output';
import { processStopSignal } from './stop-signal';
import type { StopSignal } from './stop-signal';
import type { CliIo, FieldFlags } from '@quantbot/cli';
import { processIo, withFlagNames } from '@quantbot/cli';

const USAGE = `usage: live-trader <command> [flags]

commands:
  run           trade a strategy bar by bar: --broker sim (no account) or alpaca (paper; live only on purpose)
  kill-switch   reduce, halt or flatten every trading process through the kill file; clear; rearm one session; status
  sleeve        halt, flatten or resume one sleeve of a session that trades a strategy manager (run --manager)
  state         a session's saved state: inspect; accept a checkpoint or reset after a refusal (audited); verify-audit
  status        a session at a glance from its saved state: last bar, equity, positions, working orders, kill switch, audit
  fake-alpaca   a local fake of Alpaca (trading, market data, streams) replaying bars, for paper trading without an account
  incident      incidents opened by critical and page alerts: list, show, ack, resolve (writes the post-incident report)
  days          the days a session traded with their journal digests, re-checked against the research registry
  drill         chaos drills: broker faults played against a live session on the fake Alpaca, invariants checked (docs/chaos.md)

Run 'live-trader <command> --help' for the flags of a command.`;

/** What long-running commands need from the process; injected in tests. */
export interface MainRuntime {
  /** Asks a long-running command to stop. Default: SIGINT/SIGTERM of this process. */
  readonly stop?: StopSignal;
  /** Timestamps of the log. Default: the `now` given to `main` (fixed). */
  readonly clock?: () => Date;
  /** Wall clock in epoch ms for `run` (save stamps, rate limits). Default: the `now` given to `main`. */
  readonly wallClock?: () => number;
  /** Monotonic ms for latency. Default `performance.now`. */
  readonly monotonic?: () => number;
}

/**
 * The live trader's entry point, callable in-process. Returns the exit code: 0 on success,
 * 2 for a usage or configuration error, 1 for any other failure.
 */
export async function main(
  argv: readonly string[],
  io: CliIo,
  env: Readonly<Record<string, string | undefined>> = {},
  now: Date = new Date(),
  runtime: MainRuntime = {},
): Promise<number> {
  // Every operator action is logged as JSON lines (who ran what, and the outcome).
  const logger = createLogger({ logFile: join(io.cwd, 'results', 'logs', 'live-trader.log'), console: false, context: { app: 'live-trader', command: argv[0] ?? '' }, now: runtime.clock ?? (() => now) });
  logger.info('start', { argv, user: env['USER'] ?? null });
  const code = await dispatch(argv, io, env, now, logger, runtime);
  logger.info('exit', { code });
  await logger.close();
  return code;
}

async function dispatch(
  argv: readonly string[],
  io: CliIo,
  env: Readonly<Record<string, string | undefined>>,
  now: Date,
  logger: Logger,
  runtime: MainRuntime,
): Promise<number> {
  const [command, ...rest] = argv;
  // `run --json`: its errors are JSON lines too.
  const errors = command === 'run' && rest.includes('--json') ? runOutput(io, 'json') : io;
  try {
    switch (command) {
      case 'kill-switch':
        return killSwitchCommand(rest, io, env, now);
      case 'sleeve':
        return sleeveCommand(rest, io, env, now);
      case 'run':
        return await runCommand(rest, io, {
          env,
          now: runtime.wallClock ?? (() => now.getTime()),
          monotonic: runtime.monotonic ?? (() => performance.now()),
          stop: runtime.stop ?? processStopSignal(),
          logger,
        });
      case 'state':
        return await stateCommand(rest, io, { env, now: runtime.wallClock ?? (() => now.getTime()), logger });
      case 'status':
        return await statusCommand(rest, io, { env, now: runtime.wallClock ?? (() => now.getTime()) });
      case 'fake-alpaca':
        return await fakeAlpacaCommand(rest, io, { env, logger, stop: runtime.stop ?? processStopSignal() });
      case 'incident':
        return await incidentCommand(rest, io, { env, now: runtime.wallClock ?? (() => now.getTime()), logger });
      case 'days':
        return await daysCommand(rest, io, { env, now: runtime.wallClock ?? (() => now.getTime()) });
      case 'drill':
        return await drillCommand(rest, io, { env, now: runtime.wallClock ?? (() => now.getTime()), monotonic: runtime.monotonic ?? (() => performance.now()), logger });
      case undefined:
      case '--help':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`error: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (caught) {
    // Libraries name option fields; the user typed flags.
    const error = withFlagNames(caught, LIVE_TRADER_FIELD_FLAGS);
    if (error instanceof QuantbotError) {
      errors.err(`error: ${error.message}`);
      return error.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    errors.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

/** The live trader's table from the option fields its libraries name in errors to its flags. */
const LIVE_TRADER_FIELD_FLAGS: FieldFlags = Object.freeze({
  strategy: '--strategy',
  params: '--params',
  startingCash: '--cash',
  'sizing.percent-of-cash': '--sizing-pct',
  'sizing.percent-of-equity': '--sizing-pct',
  sessionId: '--session',
  symbols: '--symbols',
  data: '--data',
  dataQuality: '--data-quality',
  maxBarMovePct: '--max-bar-move-pct',
  calendar: '--calendar',
  repair: '--repair',
});

if (require.main === module) {
  // A stdout closed by its reader (`| head`) is noted on stderr, not a crash (see processIo).
  const { io, exitCode } = processIo('live-trader', { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
  void main(process.argv.slice(2), io, process.env, new Date(), { clock: () => new Date(), wallClock: () => new Date().getTime() }).then((code) => {
    process.exitCode = exitCode(code);
  });
}
