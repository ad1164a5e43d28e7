import { join } from 'node:path';
import type { CliIo } from '@quantbot/core';
import { QuantbotError } from '@quantbot/core';
import { createLogger } from '@quantbot/observability';
import { killSwitchCommand } from './kill-switch-command';

const USAGE = `usage: live-trader <command> [flags]

commands:
  kill-switch   reduce, halt or flatten every trading process through the kill file; clear; status

Run 'live-trader <command> --help' for the flags of a command.`;

/**
 * The live trader's entry point, callable in-process. Returns the exit code: 0 on success,
 * 2 for a usage or configuration error, 1 for any other failure.
 */
export async function main(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>> = {}, now: Date = new Date()): Promise<number> {
  // Every operator action is logged as JSON lines (who ran what, and the outcome).
  const logger = createLogger({ logFile: join(io.cwd, 'results', 'logs', 'live-trader.log'), console: false, context: { app: 'live-trader', command: argv[0] ?? '' }, now: () => now });
  logger.info('start', { argv, user: env['USER'] ?? null });
  const code = dispatch(argv, io, env, now);
  logger.info('exit', { code });
  await logger.close();
  return code;
}

function dispatch(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>>, now: Date): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'kill-switch':
        return killSwitchCommand(rest, io, env, now);
      case undefined:
      case '--help':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`error: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof QuantbotError) {
      io.err(`error: ${error.message}`);
      return error.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    io.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  const io: CliIo = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    cwd: process.cwd(),
  };
  void main(process.argv.slice(2), io, process.env).then((code) => {
    process.exitCode = code;
  });
}
