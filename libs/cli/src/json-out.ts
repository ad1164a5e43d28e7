import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliIo } from './cli-io';

/**
 * `--json-out <file>`: the `--json` document of a command written to a file instead of stdout.
 * `nx run <app>:<target>` adds its own lines to stdout and reports its own exit code, so a
 * script that needs the JSON through nx names a file; one that needs stdout and the exact exit
 * code runs the built app (`node apps/<app>/dist/main.js`) instead (docs/development.md).
 */
export const JSON_OUT_FLAG = '--json-out';

/** The arguments without `--json-out` (and with `--json` when it was given), and its file. */
export interface JsonOutArgs {
  readonly argv: readonly string[];
  readonly file: string | undefined;
}

/**
 * Takes `--json-out <file>` or `--json-out=<file>` out of `argv`, adding `--json` when the file
 * is given and `--json` is not. Returns a usage error message for a missing or repeated value.
 */
export function takeJsonOut(argv: readonly string[]): JsonOutArgs | { readonly error: string } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let value: string | undefined;
    if (arg === JSON_OUT_FLAG) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) return { error: `${JSON_OUT_FLAG} needs a file` };
      i++;
    } else if (arg.startsWith(`${JSON_OUT_FLAG}=`)) {
      value = arg.slice(JSON_OUT_FLAG.length + 1);
      if (value === '') return { error: `${JSON_OUT_FLAG} needs a file` };
    } else {
      rest.push(arg);
      continue;
    }
    if (file !== undefined) return { error: `${JSON_OUT_FLAG} is given twice` };
    file = value;
  }
  if (file !== undefined && !rest.includes('--json')) rest.push('--json');
  return { argv: rest, file };
}

/**
 * Runs `command` with `--json-out` handled: without it, exactly `command(argv, io)`. With it,
 * the command runs with `--json`, what it prints on stdout goes to the file (written whatever
 * the exit code, so a blocking gate's or an overfit walk-forward's document is kept), stdout
 * stays empty, and the exit code is the command's. A command that does not print JSON refuses
 * the flag (exit 2), as does a missing file name; a file that cannot be written exits 1.
 */
export async function runWithJsonOut(
  argv: readonly string[],
  io: CliIo,
  command: (argv: readonly string[], io: CliIo) => Promise<number>,
  printsJson: (argv: readonly string[]) => boolean = () => true,
): Promise<number> {
  const taken = takeJsonOut(argv);
  if ('error' in taken) {
    io.err(`error: ${taken.error}`);
    return 2;
  }
  if (taken.file === undefined) return command(argv, io);
  if (!printsJson(taken.argv)) {
    io.err(`error: ${JSON_OUT_FLAG} works only with a command that has --json`);
    return 2;
  }
  const printed: string[] = [];
  const capturing: CliIo = { out: (text) => printed.push(`${text}\n`), err: (text) => io.err(text), cwd: io.cwd, progress: io.progress };
  const code = await command(taken.argv, capturing);
  const path = resolve(io.cwd, taken.file);
  try {
    writeFileSync(path, printed.join(''));
  } catch (error) {
    io.err(`error: cannot write ${JSON_OUT_FLAG} ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return code;
}
