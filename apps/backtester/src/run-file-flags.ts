import type { CliIo, FlagSpec, FlagValues, ParsedRunFlags } from '@quantbot/cli';
import { BACKTEST_RUN_FLAGS, parseRunFlags, withoutFlags } from '@quantbot/cli';
import { isStrategyFileRef } from '@quantbot/validation';
import { SWEEP_FLAGS, WALK_FORWARD_FLAGS } from './validation-flags';

/** The backtester commands that read run files (`--config`), with their flags. */
const RUN_FILE_COMMANDS = {
  run: { name: 'backtester run', flags: BACKTEST_RUN_FLAGS },
  sweep: { name: 'backtester sweep', flags: SWEEP_FLAGS },
  'walk-forward': { name: 'backtester walk-forward', flags: WALK_FORWARD_FLAGS },
} as const;

/** A backtester command that reads run files. */
export type RunFileCommandName = keyof typeof RUN_FILE_COMMANDS;

/** The flags whose values are paths: relative ones in a run file are resolved from its folder. */
const PATH_FLAGS: readonly string[] = ['data', 'manager', 'audit-log', 'results-dir'];

const SIZING_FLAGS: readonly string[] = ['size', 'percent-of-cash', 'percent-of-equity', 'vol-target', 'atr-risk'];

/**
 * The flags that change only how a run's results are shown or where its report goes, never the
 * results: they are left out of the command line and flags a run records, so they do not change its
 * digest (`report.html` is derived and outside the digest).
 */
const OUTPUT_ONLY_FLAGS: readonly string[] = ['json', 'quiet', 'timings', 'report'];

/** What {@link parseBacktesterFlags} resolved. */
export interface ParsedBacktesterFlags extends ParsedRunFlags {
  /**
   * The flags to record in the run's manifest: {@link ParsedRunFlags.flags} without the
   * output-only ones (`--json`, `--quiet`, `--timings`, `--report`); `argv` leaves them out too.
   */
  readonly recordedFlags: FlagValues;
}

/**
 * Parses a backtester command's flags with its run file (`--config`) under them; another
 * backtester command's key in the file is refused as that command's. The command line to record
 * (`argv`) leaves out the output-only flags, which change no result.
 */
export function parseBacktesterFlags(command: RunFileCommandName, argv: readonly string[], io: CliIo): ParsedBacktesterFlags {
  const own = RUN_FILE_COMMANDS[command];
  const parsed = parseRunFlags(argv, own.flags, {
    command: own.name,
    cwd: io.cwd,
    pathFlags: PATH_FLAGS,
    pathWhen: { strategy: isStrategyFileRef },
    otherCommands: Object.values(RUN_FILE_COMMANDS).filter((c) => c.name !== own.name),
  });
  const outputOnly = OUTPUT_ONLY_FLAGS.filter((name) => own.flags.some((f) => f.name === name));
  const recorded = withoutFlags(parsed.argv, parsed.flags, outputOnly, own.flags);
  return { ...parsed, argv: recorded.argv, recordedFlags: recorded.flags };
}

/**
 * The defaults `--print-config` fills in for flags not set, as the commands apply them (those
 * that depend on the strategy, such as its parameters, are left out).
 */
export function backtesterDefaults(flags: FlagValues, specs: readonly FlagSpec[]): FlagValues {
  const synthetic = flags['data'] === undefined;
  const all: Record<string, string | number | boolean> = {
    strategy: 'sma-crossover',
    cash: 100000,
    'execution-profile': 'idealistic',
    'fill-model': 'simulator',
    seed: 42,
    'data-quality': 'warn',
    'max-bar-move-pct': 50,
    calendar: synthetic ? 'weekdays' : 'nyse',
    'results-dir': 'results/runs',
    objective: 'sharpe',
    search: 'grid',
    purge: 0,
    embargo: 0,
    'max-overfit-ratio': 2,
    'min-oos-sharpe': 0,
  };
  if (synthetic) all['bars'] = 2520;
  if (SIZING_FLAGS.every((name) => flags[name] === undefined)) all['size'] = 100;
  if (flags['manager'] !== undefined) delete all['strategy'];
  if (flags['search'] === 'random') {
    all['samples'] = 50;
    all['search-seed'] = 1;
  }
  if (typeof flags['test'] === 'number') all['step'] = flags['test'];
  const names = new Set(specs.map((s) => s.name));
  return Object.fromEntries(Object.entries(all).filter(([name]) => names.has(name)));
}
