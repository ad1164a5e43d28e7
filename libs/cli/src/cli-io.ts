/** Where a command writes: injected so tests can capture output without spawning a process. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Working directory for relative paths and the results folder. */
  readonly cwd: string;
  /** Where progress bars go (a terminal's stderr); none when absent or not a TTY. */
  readonly progress?: { readonly isTTY?: boolean; readonly columns?: number; write(text: string): boolean };
}
