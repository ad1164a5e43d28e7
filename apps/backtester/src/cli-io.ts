/** Where a command writes: injected so tests can capture output without spawning a process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Working directory for relative paths and the results folder. */
  readonly cwd: string;
}
