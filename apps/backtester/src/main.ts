import { join } from 'node:path';
import { QuantbotError } from '@quantbot/core';
import type { Logger } from '@quantbot/observability';
import { createLogger } from '@quantbot/observability';
import { BACKTESTER_FIELD_FLAGS } from './field-flags';
import type { CliIo } from '@quantbot/cli';
import { processIo, runWithJsonOut, withFlagNames } from '@quantbot/cli';

const USAGE = `usage: backtester <command> [flags]

commands:
  run          run a backtest (default: SMA crossover on synthetic data) and record its run folder
  replay       print a recorded run's decisions, orders and fills; --verify re-runs it
  report       write a recorded run's self-contained HTML report
  sweep        run a parameter space over the same data on worker threads, rank it, with DSR and PBO;
               --distributed runs the trials on worker processes through Postgres
  walk-forward optimize in sample, test out of sample, fold by fold; exit 1 when it overfits
  worker       run trials of distributed sweeps and walk-forwards from the Postgres queue until stopped
  indicators   compute an indicator over a data file
  factors      evaluate a cross-sectional factor (IC, quantile returns, turnover; default: the synthetic
               panel); --report writes its HTML tear sheet
  attribution  attribute a recorded run's daily returns to factor returns estimated from a panel
  fetch-data   download historical bars from Alpaca into CSV files that run --data loads; an
               existing file gets the new bars appended
  list-data    list the bar files of a folder: symbol, interval, first and last bar, gaps,
               adjusted closes; bad files with their error
  new-strategy write a strategy file of your own, its test and a README section (--name my-breakout)
  verify-audit check a hash-chained audit log; with --run-id (or --expect-count/--expect-head) also
               against the head anchored in the run manifest: a cut tail, an emptied, deleted
               or re-hashed log

Run 'backtester <command> --help' for the flags of a command. run, replay, sweep, walk-forward,
indicators, factors, attribution and list-data print one JSON document with --json; --json-out <file> writes it to a file
instead (for nx run, which adds its own lines to stdout).`;

/** The commands that print one JSON document with --json (so --json-out works with them). */
const JSON_COMMANDS: ReadonlySet<string> = new Set(['run', 'replay', 'sweep', 'walk-forward', 'indicators', 'factors', 'attribution', 'list-data']);

/**
 * The backtester's entry point, callable in-process. Resolves to the exit code: 0 on success,
 * 2 for a usage or configuration error, 1 for bad data or any other failure.
 */
export async function main(argv: readonly string[], io: CliIo, now: Date = new Date(), clock: () => Date = () => new Date()): Promise<number> {
  // Every invocation is logged as JSON lines (the command, its outcome, any failure); the
  // terminal gets only the command's own output.
  const logger = createLogger({ logFile: join(io.cwd, 'results', 'logs', 'backtester.log'), console: false, context: { app: 'backtester', command: argv[0] ?? 'run' }, now: clock });
  logger.info('start', { argv });
  const code = await runWithJsonOut(argv, io, (args, commandIo) => dispatch(args, commandIo, now, clock, logger), (args) => JSON_COMMANDS.has(commandOf(args)));
  logger.info('exit', { code });
  await logger.close();
  return code;
}

/** The command an argument list runs: flags straight after the program name belong to `run`. */
function commandOf(argv: readonly string[]): string {
  const [command] = argv;
  return command === undefined || command.startsWith('--') ? 'run' : command;
}

/**
 * Runs one command. Each command's module is loaded only when it runs: a backtest does not pay
 * for loading the factor research (arquero) or the report renderer (Vega) at start-up.
 */
async function dispatch(argv: readonly string[], io: CliIo, now: Date, clock: () => Date, logger: Logger): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'run':
        return await (await import('./run-command')).runCommand(rest, io, now, clock, logger);
      case 'replay':
        return await (await import('./replay-command')).replayCommand(rest, io, now);
      case 'report':
        return await (await import('./report-command')).reportCommand(rest, io, now);
      case 'sweep':
        return await (await import('./sweep-command')).sweepCommand(rest, io, now, clock);
      case 'walk-forward':
        return await (await import('./walk-forward-command')).walkForwardCommand(rest, io, now, clock);
      case 'worker':
        return await (await import('./worker-command')).workerCommand(rest, io);
      case 'indicators':
        return (await import('./indicators-command')).indicatorsCommand(rest, io);
      case 'new-strategy':
        return (await import('./new-strategy-command')).newStrategyCommand(rest, io);
      case 'factors':
        return await (await import('./factors-command')).factorsCommand(rest, io, now);
      case 'attribution':
        return (await import('./attribution-command')).attributionCommand(rest, io);
      case 'fetch-data':
        return await (await import('./fetch-data-command')).fetchDataCommand(rest, io, clock);
      case 'list-data':
        return (await import('./list-data-command')).listDataCommand(rest, io);
      case 'verify-audit':
        return (await import('./verify-audit-command')).verifyAuditCommand(rest, io);
      case '--help':
      case 'help':
        io.out(USAGE);
        return 0;
      default:
        // Flags straight after the program name belong to `run`.
        if (command.startsWith('--')) return await (await import('./run-command')).runCommand(argv, io, now, clock, logger);
        io.err(`error: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (caught) {
    // Libraries name option fields; the user typed flags.
    const error = withFlagNames(caught, BACKTESTER_FIELD_FLAGS);
    logger.error('failed', { error });
    if (error instanceof QuantbotError) {
      io.err(`error: ${error.message}`);
      return error.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.err(`error: ${message}`);
    return 1;
  }
}

if (require.main === module) {
  // A stdout closed by its reader (`| head`) is noted on stderr, not a crash (see processIo).
  const { io, exitCode } = processIo('backtester', { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), progress: true });
  // When nothing is left to run (every write flushed, the workers and files closed: the point at
  // which Node would exit by itself), exit at once instead of first tearing the heap down piece by
  // piece, which takes a large run a tenth of a second and more. The exit code is the same.
  process.once('beforeExit', () => process.exit());
  void main(process.argv.slice(2), io).then((code) => {
    process.exitCode = exitCode(code);
  });
}
