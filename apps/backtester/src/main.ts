import { QuantbotError } from '@quantbot/core';
import type { CliIo } from '@quantbot/core';
import { indicatorsCommand } from './indicators-command';
import { verifyAuditCommand } from './verify-audit-command';
import { runCommand } from './run-command';

const USAGE = `usage: backtester <command> [flags]

commands:
  run          run a backtest (default: SMA crossover on synthetic data)
  indicators   compute an indicator over a data file
  verify-audit check a hash-chained audit log for edited, removed or reordered records

Run 'backtester <command> --help' for the flags of a command.`;

/**
 * The backtester's entry point, callable in-process. Returns the exit code: 0 on success,
 * 2 for a usage or configuration error, 1 for bad data or any other failure.
 */
export function main(argv: readonly string[], io: CliIo, now: Date = new Date()): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'run':
        return runCommand(rest, io, now);
      case 'indicators':
        return indicatorsCommand(rest, io);
      case 'verify-audit':
        return verifyAuditCommand(rest, io);
      case '--help':
      case 'help':
        io.out(USAGE);
        return 0;
      default:
        // Flags straight after the program name belong to `run`.
        if (command.startsWith('--')) return runCommand(argv, io, now);
        io.err(`error: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (error) {
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
  const io: CliIo = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    cwd: process.cwd(),
  };
  process.exitCode = main(process.argv.slice(2), io);
}
