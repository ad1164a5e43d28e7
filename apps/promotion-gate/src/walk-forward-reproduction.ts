import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withoutDistributedFlags } from '@quantbot/cli';
import { ConfigError, DataError } from '@quantbot/core';
import type { ValidationInput } from '@quantbot/research-registry';
import { parseWalkForwardArtifact } from '@quantbot/research-registry';

/** The walk-forward artifact of a backtester walk-forward run folder. */
export const WALK_FORWARD_FILE = 'walk_forward.json';

/** Where the built backtester is, beside this program in the workspace (`apps/backtester/dist/main.js`). */
export const DEFAULT_BACKTESTER = resolve(__dirname, '..', '..', 'backtester', 'dist', 'main.js');

/** Why a walk-forward run could not be verified: the gate refuses it and records nothing. */
export class WalkForwardNotReproducedError extends DataError {
  constructor(message: string, file: string) {
    super(message, { file });
  }
}

/**
 * Reproduces a backtester walk-forward run before it may count as verified evidence:
 *
 * 1. the run folder's files must match its manifest and digest (observability's verifyRunFiles);
 * 2. the run must be a walk-forward (manifest `parameters.kind`), and its command line is re-run
 *    by the built backtester on this machine's threads (a `--distributed` run's queue flags
 *    dropped), in the recorded working directory, into a temporary folder: the
 *    same data loading, data-quality rules, strategy, parameter space, search, layout
 *    (train/test/step/purge/embargo) and seed, re-reading the data files;
 * 3. the re-read data must hash to the manifest's `dataHash`, and the recomputed artifact must
 *    equal the stored one (canonical JSON, every figure of every fold).
 *
 * Any difference throws a {@link WalkForwardNotReproducedError} naming it (a forged out-of-sample
 * Sharpe, edited data, a folder that fails its own manifest). On success the stored artifact is
 * returned as validation input marked `verified`. The temporary folder is always removed.
 */
export async function reproduceWalkForwardRun(root: string, runId: string, options: { readonly backtester?: string } = {}): Promise<ValidationInput> {
  const { readRun, verifyRunFiles } = await import('@quantbot/observability');
  const { manifest, dir } = readRun(root, runId);
  const artifactFile = join(dir, WALK_FORWARD_FILE);
  const verification = verifyRunFiles(root, runId);
  if (!verification.ok) {
    throw new WalkForwardNotReproducedError(`the run folder does not match its manifest: ${verification.problems.map((p) => p.message).join('; ')}`, dir);
  }
  const parameters = manifest.parameters as { readonly kind?: unknown; readonly cwd?: unknown } | null;
  if (parameters === null || typeof parameters !== 'object' || parameters.kind !== 'walk-forward' || manifest.artifacts[WALK_FORWARD_FILE] === undefined) {
    throw new WalkForwardNotReproducedError(`run ${runId} is not a backtester walk-forward run (manifest parameters.kind must be "walk-forward" with ${WALK_FORWARD_FILE})`, dir);
  }
  const [program, command, ...argv] = manifest.commandLine;
  if (program !== 'backtester' || command !== 'walk-forward') {
    throw new WalkForwardNotReproducedError(`run ${runId}: the manifest's commandLine is not a backtester walk-forward (${manifest.commandLine.slice(0, 2).join(' ')})`, dir);
  }
  const cwd = typeof parameters.cwd === 'string' ? parameters.cwd : '';
  if (cwd === '' || !existsSync(cwd)) {
    throw new WalkForwardNotReproducedError(
      `run ${runId} cannot be re-run: its working directory '${cwd}' does not exist here (store the artifact with --file to keep it as unverified evidence)`,
      dir,
    );
  }
  const stored = JSON.parse(readFileSync(artifactFile, 'utf8')) as unknown;
  const backtester = options.backtester ?? DEFAULT_BACKTESTER;
  if (!existsSync(backtester)) throw new ConfigError('store-walk-forward', `the backtester is not built (${backtester}): npx nx run backtester:build`);

  const scratch = mkdtempSync(join(tmpdir(), 'qb-walk-forward-verify-'));
  try {
    const rerun = await runBacktester(backtester, [command, ...withoutDistributedFlags(withoutResultsDir(argv)), '--results-dir', scratch], cwd);
    const runs = readdirSync(scratch).filter((name) => !name.startsWith('.'));
    if (runs.length !== 1) {
      throw new WalkForwardNotReproducedError(`re-running run ${runId} produced no run folder: ${rerun.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${rerun.code}`}`, dir);
    }
    const again = readRun(scratch, runs[0] as string).manifest;
    if (again.dataHash !== manifest.dataHash) {
      throw new WalkForwardNotReproducedError(
        `run ${runId}: the data re-read now hashes to ${String(again.dataHash).slice(0, 12)}…, the manifest recorded ${String(manifest.dataHash).slice(0, 12)}…: the input data changed`,
        dir,
      );
    }
    const recomputed = JSON.parse(readFileSync(join(scratch, runs[0] as string, WALK_FORWARD_FILE), 'utf8')) as unknown;
    const difference = firstDifference(stored, recomputed, '');
    if (difference !== null) {
      throw new WalkForwardNotReproducedError(`run ${runId}: the stored walk-forward differs from its re-run at ${difference}: the artifact was edited or cannot be reproduced`, artifactFile);
    }
    return Object.freeze({ ...parseWalkForwardArtifact(stored, { file: artifactFile }), source: `run ${runId}`, verified: true });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs the built backtester with `argv` in `cwd` to its end: its exit code and stderr. */
export function runBacktester(program: string, argv: readonly string[], cwd: string): Promise<{ readonly code: number; readonly stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [program, ...argv], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      // A walk-forward whose verdict fails exits 1 and still writes its run: the folder decides.
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr: String(stderr) });
    });
  });
}

/** The recorded arguments without `--results-dir` (the re-run writes to a temporary folder) or `--json`. */
export function withoutResultsDir(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--results-dir') {
      i++;
      continue;
    }
    if (arg.startsWith('--results-dir=') || arg === '--json' || arg.startsWith('--json=')) continue;
    out.push(arg);
  }
  return out;
}

/** The path of the first value that differs (`overall.meanOosSharpe`), or null when the documents are equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? null : path === '' ? '(the document)' : path;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return path === '' ? '(the document)' : path;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const key of keys) {
    const inner = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], Array.isArray(a) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`);
    if (inner !== null) return inner;
  }
  return null;
}
