import { main } from '../src/main';
import type { CliIo } from '@quantbot/cli';

/** What one in-process `backtester` invocation printed, and its exit code. */
export interface Captured {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * An in-process `backtester` for specs, run in the folder `workDir()` gives. Each call starts a
 * second later than the one before (as a real clock would), so run ids never collide.
 */
export function backtesterCli(workDir: () => string): (...argv: string[]) => Promise<Captured> {
  let second = 0;
  return async (...argv) => {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir() };
    const start = new Date(Date.UTC(2026, 0, 2, 3, 4, 5 + ++second));
    const code = await main(argv, io, start, () => new Date(start.getTime() + 1500));
    return { code, out, err };
  };
}

/** The run id a `run` printed ("run <id> written"). */
export function runIdOf(result: Captured): string {
  const match = /run (\S+) written/.exec(result.out);
  if (match === null) throw new Error(`no run id in: ${result.out}${result.err}`);
  return match[1] as string;
}
