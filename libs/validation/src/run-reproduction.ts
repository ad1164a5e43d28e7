import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JsonValue } from '@quantbot/core';
import { canonicalJson } from '@quantbot/core';
import type { RunArtifactEntry, RunManifest, RunVerification } from '@quantbot/observability';
import { LEGACY_RUN_MANIFEST_SCHEMA_VERSION, artifactContentName, artifactContentSha256, loadRunManifest, verifyRunFiles } from '@quantbot/observability';
import { AUDIT_GENESIS_HASH } from '@quantbot/risk-guardrails';
import type { BacktestRunConfig, RecordedRunFile } from './backtest-run';
import { runRecordedBacktest } from './backtest-run';

/** Options of {@link reproduceRun}. */
export interface ReproduceRunOptions {
  /** The start time given to the re-run (it only names the scratch run). */
  readonly now: Date;
  readonly clock?: () => Date;
  /** The folder the scratch folder is made in; default the system's temporary folder. */
  readonly tempDir?: string;
  /**
   * Reads a recorded command line back into the run's configuration (the command line belongs to
   * the app that recorded it: `backtester run` gives `readBacktestCommandLine` of `@quantbot/cli`).
   * Returns null for a command line it does not re-run; throws `ConfigError` for a bad one.
   */
  readonly readCommandLine: (commandLine: readonly string[]) => BacktestRunConfig | null;
  /**
   * Turns the error of a failed re-run into the one its problem line quotes; an app names its
   * flags there (`withFlagNames` of `@quantbot/cli`). Default: the error as it is.
   */
  readonly nameError?: (error: unknown) => unknown;
}

/** The verdict of {@link reproduceRun}. */
export interface RunReproduction {
  readonly runId: string;
  readonly schemaVersion: number;
  /** True when the files match the manifest, the data did not change and the re-run gives the same digest. */
  readonly ok: boolean;
  /** The run folder's self-consistency (files against the manifest, manifest against its digest). */
  readonly files: RunVerification;
  readonly recordedDigest: string;
  /** The re-run's digest; null when there was no re-run (old schema, unusable command line, failed re-run). */
  readonly rerunDigest: string | null;
  readonly reproduced: boolean;
  /** Every problem found, one readable line each (files, data, re-run); empty when `ok`. */
  readonly problems: readonly string[];
}

/**
 * Verifies a recorded backtester run by running it again: the one check behind both
 * `backtester replay --verify` and `promotion-gate record-backtest`.
 *
 * 1. The folder's files are checked against the manifest and the manifest against its digest
 *    (`verifyRunFiles`); this alone proves nothing against someone who recomputes the hashes.
 * 2. A schema-1 run is refused as such: its digest does not cover the parameters, command line
 *    or data, so reproducing it would not prove what it claims.
 * 3. The recorded command line, read back by `options.readCommandLine`, is run again with
 *    {@link runRecordedBacktest} from the recorded working folder, into a scratch folder that is
 *    removed afterwards: the run folder goes there, `report` is ignored and `auditLog` is redirected to a scratch file that
 *    continues the recorded chain head, so nothing outside the scratch folder is written (not
 *    the audit log, not the results folder).
 *    A run made from a run file (`--config`) recorded its resolved flags as its command line, so
 *    it re-runs without the file; the file's recorded path and hash (`parameters.runFile`) are
 *    carried into the re-run's manifest as they are.
 * 4. The input data files the re-run read are compared with the recorded hashes, by file.
 * 5. The re-run's digest must equal the recorded one; when it does not, the parts that differ
 *    (parameters, command line, audit head, artifacts) are named.
 *
 * Throws like `readRun` when the run does not exist or its manifest is unreadable; a re-run
 * that fails (missing data, bad flags) is a problem in the verdict, not a throw.
 *
 * @example
 * const check = await reproduceRun('results/runs', runId, { now: new Date(), readCommandLine: readBacktestCommandLine });
 * if (!check.ok) for (const problem of check.problems) console.error(problem);
 */
export async function reproduceRun(root: string, runId: string, options: ReproduceRunOptions): Promise<RunReproduction> {
  const files = verifyRunFiles(root, runId);
  const manifest = loadRunManifest(root, runId);
  const problems = files.problems.map((problem) => problem.message);
  const verdict = (rerunDigest: string | null, extra: readonly string[]): RunReproduction => {
    const all = [...problems, ...extra];
    const reproduced = rerunDigest !== null && rerunDigest === manifest.digest;
    return Object.freeze({
      runId,
      schemaVersion: manifest.schemaVersion,
      ok: reproduced && all.length === 0,
      files,
      recordedDigest: manifest.digest,
      rerunDigest,
      reproduced,
      problems: Object.freeze(all),
    });
  };
  if (manifest.schemaVersion === LEGACY_RUN_MANIFEST_SCHEMA_VERSION) {
    return verdict(null, [
      `run ${runId} has manifest schema ${LEGACY_RUN_MANIFEST_SCHEMA_VERSION}: its digest covers only the artifacts, not the parameters, command line or data, so it cannot be verified; run the backtest again to record a verifiable run`,
    ]);
  }
  let config: BacktestRunConfig | null;
  try {
    config = options.readCommandLine(manifest.commandLine);
  } catch (error) {
    return verdict(null, [`run ${runId}: its recorded command line cannot be read (${error instanceof Error ? error.message : String(error)})`]);
  }
  if (config === null) {
    return verdict(null, [`run ${runId} was not recorded by a backtest (command line: ${manifest.commandLine.join(' ')}); only backtests can be re-run`]);
  }
  const parameters = manifest.parameters as { readonly cwd?: unknown; readonly runFile?: unknown } | null;
  if (typeof parameters?.cwd !== 'string') return verdict(null, [`run ${runId}: the manifest's parameters.cwd is missing, so the recorded command line cannot be resolved`]);
  const cwd = parameters.cwd;

  const scratch = mkdtempSync(join(options.tempDir ?? tmpdir(), 'quantbot-verify-'));
  try {
    let rerun: RunManifest;
    try {
      const auditFile = config.auditLog;
      const audit = manifest.audit ?? null;
      const outcome = await runRecordedBacktest(config, {
        cwd,
        commandLine: manifest.commandLine,
        ...(isRecordedRunFile(parameters.runFile) ? { runFile: parameters.runFile } : {}),
        now: options.now,
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
        resultsRoot: join(scratch, 'runs'),
        showProgress: false,
        allowReport: false,
        ...(auditFile !== undefined
          ? {
              auditLog: {
                path: join(scratch, 'audit.jsonl'),
                startAfter: audit?.from ?? { records: 0, hash: AUDIT_GENESIS_HASH },
                recordAs: audit?.file ?? resolve(cwd, auditFile),
              },
            }
          : {}),
      });
      rerun = outcome.manifest;
    } catch (caught) {
      const error = options.nameError?.(caught) ?? caught;
      return verdict(null, [`the re-run of run ${runId} failed: ${error instanceof Error ? error.message : String(error)}`]);
    }
    const extra = [...dataProblems(manifest, rerun)];
    if (rerun.digest !== manifest.digest) extra.push(...digestProblems(runId, manifest, rerun));
    return verdict(rerun.digest, extra);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The input data files whose recorded hashes differ from what the re-run read. */
function dataProblems(recorded: RunManifest, rerun: RunManifest): string[] {
  if (recorded.dataHash === rerun.dataHash) return [];
  const before = new Map((recorded.dataFiles ?? []).map((file) => [file.name, file.sha256]));
  const after = new Map((rerun.dataFiles ?? []).map((file) => [file.name, file.sha256]));
  const out: string[] = [];
  for (const [name, sha256] of before) {
    const now = after.get(name);
    if (now === undefined) out.push(`input data: ${name} was read by the run but is missing now`);
    else if (now !== sha256) out.push(`input data: ${name} hashes to ${now.slice(0, 12)}… now, the manifest recorded ${sha256.slice(0, 12)}…`);
  }
  for (const name of after.keys()) if (!before.has(name)) out.push(`input data: ${name} is read now but was not recorded`);
  if (out.length === 0) out.push(`input data: the files hash to ${String(rerun.dataHash).slice(0, 12)}… now, the manifest recorded ${String(recorded.dataHash).slice(0, 12)}…`);
  return out;
}

/** Names what differs between a recorded manifest and its re-run when the digests differ. */
function digestProblems(runId: string, recorded: RunManifest, rerun: RunManifest): string[] {
  const out = [`the re-run does not reproduce run ${runId}: recorded digest ${recorded.digest.slice(0, 16)}, the re-run gives ${rerun.digest.slice(0, 16)}`];
  const same = (a: unknown, b: unknown): boolean => canonicalJson((a ?? null) as JsonValue) === canonicalJson((b ?? null) as JsonValue);
  if (!same(recorded.parameters, rerun.parameters)) {
    out.push(`  parameters: the manifest says ${canonicalJson(recorded.parameters)}, the recorded command line gives ${canonicalJson(rerun.parameters)}`);
  }
  if (recorded.seed !== rerun.seed) out.push(`  seed: the manifest says ${String(recorded.seed)}, the re-run used ${String(rerun.seed)}`);
  if (!same(recorded.audit, rerun.audit)) {
    out.push(`  audit: the manifest's audit anchor ${canonicalJson((recorded.audit ?? null) as unknown as JsonValue)} is not what the re-run ends at ${canonicalJson((rerun.audit ?? null) as unknown as JsonValue)}`);
  }
  // By content: an artifact stored compressed in one run and plain in the other is the same artifact.
  const byContent = (artifacts: RunManifest['artifacts']): Map<string, RunArtifactEntry> =>
    new Map(Object.entries(artifacts).map(([name, entry]) => [artifactContentName(name, entry), entry]));
  const before = byContent(recorded.artifacts);
  const after = byContent(rerun.artifacts);
  const names = new Set([...before.keys(), ...after.keys()]);
  for (const name of [...names].sort()) {
    const a = before.get(name);
    const b = after.get(name);
    if (a?.deterministic === false || b?.deterministic === false) continue;
    if (a === undefined) out.push(`  ${name}: written by the re-run but not listed in the manifest`);
    else if (b === undefined) out.push(`  ${name}: listed in the manifest but not written by the re-run`);
    else {
      const [was, now] = [artifactContentSha256(a), artifactContentSha256(b)];
      if (was !== now) out.push(`  ${name}: the re-run's content differs (${now.slice(0, 12)}…, the manifest says ${was.slice(0, 12)}…)`);
    }
  }
  return out;
}

function isRecordedRunFile(value: unknown): value is RecordedRunFile {
  const file = value as { readonly path?: unknown; readonly sha256?: unknown } | null | undefined;
  return typeof file?.path === 'string' && typeof file.sha256 === 'string';
}
