import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { JsonValue } from '@quantbot/core';
import type { CliIo, FlagValues, RunFileSource } from '@quantbot/cli';
import { equityCsv, gitCommit, toJsonLines, writeRunArtifacts } from '@quantbot/observability';
import type { SweepArtifact, WalkForwardArtifact } from '@quantbot/validation';
import { dataHash, uniqueRunId } from '@quantbot/validation';

/**
 * A walk-forward run folder's stitched out-of-sample equity curve: `time,equity` like a backtest's
 * `equity.csv`, one line per test bar, folds in order. Runs written before it existed lack it.
 */
export const OOS_EQUITY_FILE = 'oos_equity.csv';

/**
 * Writes `results/runs/<id>/` with the artifact (`sweep.json` or `walk_forward.json`), its trials
 * (`trials.jsonl` or `folds.jsonl`), for a walk-forward the stitched out-of-sample curve
 * (`oos_equity.csv`), and a manifest: `argv` as the command line (the resolved flags when a run
 * file was read) and the run file's path and hash in `parameters.runFile`.
 */
export function writeValidationRun(
  io: CliIo,
  flags: FlagValues,
  argv: readonly string[],
  now: Date,
  clock: () => Date,
  kind: 'sweep' | 'walk-forward',
  artifact: SweepArtifact | WalkForwardArtifact,
  seed: number,
  extra: { readonly dataLabel: string; readonly runFile?: RunFileSource | null; readonly oosEquity?: { readonly time: ArrayLike<number>; readonly equity: ArrayLike<number> } },
): string {
  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const text = `${JSON.stringify(artifact, null, 2)}\n`;
  const base = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${kind}-${createHash('sha256').update(JSON.stringify(argv)).digest('hex').slice(0, 8)}`;
  const runId = uniqueRunId(root, base);
  const name = kind === 'sweep' ? 'sweep.json' : 'walk_forward.json';
  const trials = kind === 'sweep' ? (artifact as SweepArtifact).results : (artifact as WalkForwardArtifact).folds;
  writeRunArtifacts({
    root,
    runId,
    artifacts: [
      { name, content: text, deterministic: true },
      { name: kind === 'sweep' ? 'trials.jsonl' : 'folds.jsonl', content: toJsonLines(trials), deterministic: true, compressible: true },
      ...(extra.oosEquity !== undefined ? [{ name: OOS_EQUITY_FILE, content: equityCsv(extra.oosEquity), deterministic: true, compressible: true }] : []),
    ],
    manifest: {
      startedAt: now.toISOString(),
      finishedAt: clock().toISOString(),
      codeVersion: gitCommit(io.cwd) ?? gitCommit(resolve(__dirname, '..', '..', '..')),
      commandLine: ['backtester', kind, ...argv],
      parameters: { kind, data: extra.dataLabel, cwd: io.cwd, flags: flags as unknown as JsonValue, ...(extra.runFile ? { runFile: { path: extra.runFile.path, sha256: extra.runFile.sha256 } } : {}) },
      seed,
      dataHash: dataHash(typeof flags['data'] === 'string' ? resolve(io.cwd, flags['data']) : undefined),
    },
  });
  return runId;
}

