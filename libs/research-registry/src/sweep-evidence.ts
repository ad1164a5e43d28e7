import { readDigest, readRunId } from './backtest-evidence';
import type { Fail, InputObject, InputSource } from './input-reader';
import { describeValue, failureFor, fieldPath, isInputObject, readArray, readNullableNumber, readNumber, readObject, readText } from './input-reader';
import type { SweepExecution, SweepFigures } from './registry-records';
import { SWEEP_EXECUTIONS } from './registry-records';

/** The sweep artifact schema version this reader knows (`schemaVersion` of `sweep.json`). */
export const SWEEP_SCHEMA_VERSION = 1;

/** A sweep to record (see `ResearchRegistry.recordSweep`): the run folder it came from and its figures. */
export interface SweepInput extends SweepFigures {
  /** The backtester run id of the sweep's folder. */
  readonly runId: string;
  /** The run manifest's digest (hex SHA-256). */
  readonly digest: string;
  /**
   * Hex SHA-256 of the bytes of `sweep.json`: the sweep's identity. The same sweep (the same
   * points, strategy, settings and data period with the same results) is recorded once, whichever
   * run folder or machines produced it: a distributed sweep writes the local one's bytes.
   */
  readonly artifactSha256: string;
  /** Whether the trials ran on the submitting machine's threads or on distributed workers. */
  readonly execution: SweepExecution;
  /**
   * Whether the caller re-ran the sweep and got the same `sweep.json`. Default false: the reader
   * here never sets it; only a program that re-ran the sweep may say true.
   */
  readonly reproduced?: boolean;
}

/** What {@link sweepInputFromRunFolder} takes: a sweep run folder's identity and its parsed `sweep.json`. */
export interface SweepRunEvidence {
  readonly runId: string;
  readonly digest: string;
  readonly artifactSha256: string;
  readonly execution: SweepExecution;
  /** The parsed `sweep.json`. */
  readonly artifact: unknown;
}

/**
 * Builds a sweep record from a backtester sweep run folder's `sweep.json` (the document
 * `kind: "sweep"`, `schemaVersion: 1`, of docs/validation.md). Read: `strategy`,
 * `settings.strategyFile.sha256` (absent for a shipped strategy), `objective`, `space.text`
 * (`space` is null for explicit points), `period`, `trials` (≥ 1), `invalid` (≥ 0), every trial's
 * `results[i].metrics.sharpe` (there must be exactly `trials` of them),
 * `statistics.deflatedSharpe.value` and `.sharpeVariance`, `statistics.pbo.value` (each may be
 * null, `statistics` too). The trials' annualized Sharpe ratios give `sharpeMean`,
 * `sharpeVariance` (sample variance; a trial without a Sharpe ratio counts as 0, as the sweep's
 * own DSR counts a trial that never traded) and `bestSharpe`. Throws a `DataError` naming
 * `source.file` and the field (or a `ConfigError` naming the field when there is no file).
 */
export function sweepInputFromRunFolder(evidence: SweepRunEvidence, source: InputSource = {}): SweepInput {
  const fail = failureFor(source);
  const root = readObject(evidence.artifact, '', fail);
  if (root['schemaVersion'] !== SWEEP_SCHEMA_VERSION) {
    fail('schemaVersion', `must be ${SWEEP_SCHEMA_VERSION} (the sweep artifact version this reader knows), got ${describeValue(root['schemaVersion'])}`);
  }
  if (root['kind'] !== 'sweep') fail('kind', `must be 'sweep', got ${describeValue(root['kind'])}`);
  if (!(SWEEP_EXECUTIONS as readonly unknown[]).includes(evidence.execution)) fail('execution', `must be one of ${SWEEP_EXECUTIONS.join(', ')}, got ${describeValue(evidence.execution)}`);
  const settings = readObject(root['settings'], 'settings', fail);
  let strategyFileSha256: string | null = null;
  if (settings['strategyFile'] !== undefined) {
    const file = readObject(settings['strategyFile'], 'settings.strategyFile', fail);
    strategyFileSha256 = readDigest(file['sha256'], 'settings.strategyFile.sha256', fail);
  }
  let space: string | null = null;
  if (root['space'] !== null) space = readText(readObject(root['space'], 'space', fail), 'text', 'space', fail, 2000);
  const period = readObject(root['period'], 'period', fail);
  const trials = readNumber(root, 'trials', '', fail, { integer: true, min: 1 });
  const results = readArray(root['results'], 'results', fail);
  if (results.length !== trials) fail('results', `holds ${results.length} trial(s), but trials says ${trials}`);
  const sharpes = results.map((trial, i) => {
    const parent = fieldPath('results', i);
    const metrics = readObject(readObject(trial, parent, fail)['metrics'], `${parent}.metrics`, fail);
    return readNullableNumber(metrics, 'sharpe', `${parent}.metrics`, fail, { required: true }) ?? 0;
  });
  const statistics = root['statistics'] === null || root['statistics'] === undefined ? null : readObject(root['statistics'], 'statistics', fail);
  const dsr = statistic(statistics, 'deflatedSharpe', fail);
  const pbo = statistic(statistics, 'pbo', fail);
  return Object.freeze({
    runId: readRunId(evidence.runId, 'runId', fail),
    digest: readDigest(evidence.digest, 'digest', fail),
    artifactSha256: readDigest(evidence.artifactSha256, 'artifactSha256', fail),
    execution: evidence.execution,
    strategy: readText(root, 'strategy', '', fail),
    strategyFileSha256,
    objective: readText(root, 'objective', '', fail),
    space,
    periodStart: readText(period, 'start', 'period', fail),
    periodEnd: readText(period, 'end', 'period', fail),
    bars: readNumber(period, 'bars', 'period', fail, { integer: true, min: 0 }),
    trials,
    invalid: readNumber(root, 'invalid', '', fail, { integer: true, min: 0 }),
    sharpeMean: mean(sharpes),
    sharpeVariance: sampleVariance(sharpes),
    // Not Math.max(...sharpes): spreading a large sweep's trials overflows the call stack.
    bestSharpe: sharpes.reduce((best, v) => (v > best ? v : best), -Infinity),
    deflatedSharpe: dsr === null ? null : readNullableNumber(dsr, 'value', 'statistics.deflatedSharpe', fail, { min: 0, max: 1 }),
    perBarSharpeVariance: dsr === null ? null : readNullableNumber(dsr, 'sharpeVariance', 'statistics.deflatedSharpe', fail, { min: 0 }),
    pbo: pbo === null ? null : readNullableNumber(pbo, 'value', 'statistics.pbo', fail, { min: 0, max: 1 }),
  });
}

function statistic(statistics: InputObject | null, key: string, fail: Fail): InputObject | null {
  if (statistics === null || statistics[key] === undefined || statistics[key] === null) return null;
  const value = statistics[key];
  if (!isInputObject(value)) fail(fieldPath('statistics', key), `must be a JSON object or null, got ${describeValue(value)}`);
  return value as InputObject;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** The sample variance (n − 1); null for fewer than 2 values. */
function sampleVariance(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  return values.reduce((sum, v) => sum + (v - m) * (v - m), 0) / (values.length - 1);
}
