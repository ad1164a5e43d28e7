import type { CliIo } from './cli-io';

/** What a stream's `error` event carries (a Node system error: `code` such as `EPIPE`). */
export interface OutputError {
  readonly message: string;
  readonly code?: string | undefined;
}

/** A stream a command prints to: the process's stdout or stderr, or a stand-in in tests. */
export interface OutputStream {
  write(text: string): boolean;
  on(event: 'error', listener: (error: OutputError) => void): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProcessIoOptions {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly cwd: string;
  /** Progress bars go to stderr (drawn only where it is a terminal). Default false. */
  readonly progress?: boolean;
}

/** The process's `CliIo`, and what became of its standard output. */
export interface ProcessIo {
  readonly io: CliIo;
  /**
   * The exit code to end with after a command returned `code`: `code`, or 1 when it was 0 but
   * stdout failed with an error other than a closed reader (its output was lost).
   */
  exitCode(code: number): number;
}

/**
 * The `CliIo` of a process writing to `stdout` and `stderr`. A standard output whose reader went
 * away (`| head`, a pager quit: EPIPE) is no longer written to, and one line on stderr says so,
 * instead of the process dying on an unhandled `error` event with a stack trace in the middle of
 * its work: the command runs on (a backtest still completes its run folder) and keeps its exit
 * code. Any other error writing stdout (a full disk behind a redirect) is said
 * on stderr too, and turns a success into exit code 1 (see `exitCode`). A stderr whose reader went
 * away is not written to again.
 *
 * @example
 * const { io, exitCode } = processIo('backtester', { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
 * void main(argv, io).then((code) => { process.exitCode = exitCode(code); });
 */
export function processIo(app: string, options: ProcessIoOptions): ProcessIo {
  const { stdout, stderr } = options;
  let stdoutClosed = false;
  let stdoutFailed = false;
  let stderrClosed = false;
  const err = (text: string): void => {
    if (!stderrClosed) stderr.write(`${text}\n`);
  };
  stderr.on('error', () => {
    // Nowhere left to say anything: stop writing to it.
    stderrClosed = true;
  });
  stdout.on('error', (error) => {
    if (stdoutClosed) return;
    stdoutClosed = true;
    if (error.code === 'EPIPE') {
      err(`${app}: standard output was closed by its reader (EPIPE); the rest of what was to be printed there is not printed`);
    } else {
      stdoutFailed = true;
      err(`error: ${app}: cannot write to standard output (${error.code ?? error.message}); what was to be printed there is lost`);
    }
  });
  const io: CliIo = {
    out: (text) => {
      if (!stdoutClosed) stdout.write(`${text}\n`);
    },
    err,
    cwd: options.cwd,
    // Written after a closed stderr, progress does nothing: its error is handled above.
    ...(options.progress === true ? { progress: stderr } : {}),
  };
  return { io, exitCode: (code) => (code === 0 && stdoutFailed ? 1 : code) };
}
