import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The built live trader. */
export const TRADER_MAIN = resolve(__dirname, '..', 'dist', 'main.js');

/** A running `live-trader` process, with what it has printed so far. */
export interface TraderProcess {
  readonly process: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

/** Starts the built trader with `command` (e.g. `['run', …]`) in `cwd`. */
export function startTrader(command: readonly string[], env: NodeJS.ProcessEnv, cwd: string): TraderProcess {
  const child = spawn(process.execPath, [TRADER_MAIN, ...command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { process: child, stdout, stderr, exited };
}

/** The exit code, or 'still running' (then the process is killed) when it has not exited within `ms`. */
export async function exitWithin(child: TraderProcess, ms: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([child.exited, new Promise<'still running'>((done) => (timer = setTimeout(() => done('still running'), ms)))]);
  clearTimeout(timer);
  if (result === 'still running') {
    child.process.kill('SIGKILL');
    await child.exited;
  }
  return result;
}
