import { canonicalJson } from '@quantbot/core';
import type { JsonObject } from './canonical-json';
import { configErrorsAt } from './canonical-json';
import type { Fail, InputObject, InputSource } from './input-reader';
import {
  describeValue,
  failureFor,
  isInputObject,
  readBoolean,
  readNullableBoolean,
  readNullableNumber,
  readObject,
  rejectUnknownKeys,
} from './input-reader';
import type { BacktestMetrics } from './registry-records';

/** A backtest to record (see `ResearchRegistry.recordBacktest`). */
export interface BacktestInput {
  /** The backtester's run id: 1 to 200 letters, digits, `.`, `_`, `-`, not starting with `.`. */
  readonly runId: string;
  /** The run manifest's digest: 64 lower-case hex digits. */
  readonly digest: string;
  /**
   * True only when the caller has re-run the run and reproduced its digest (the promotion-gate
   * app does, with validation's `reproduceRun`, and refuses a run it cannot reproduce). The
   * registry cannot check files it never sees, so it records what it is told.
   */
  readonly digestVerified: boolean;
  readonly metrics: BacktestMetrics;
  readonly dataQualityErrors: number | null;
  readonly lookaheadPassed: boolean | null;
}

/** The metrics of a run summary kept besides the four headline ones, when present. */
export const EXTRA_BACKTEST_METRICS: readonly string[] = Object.freeze([
  'cagr',
  'annualVolatility',
  'sortino',
  'calmar',
  'winRate',
  'profitFactor',
  'exposure',
  'turnover',
  'bars',
  'startingEquity',
  'finalEquity',
  'executionQualityScore',
]);

const RUN_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Checks a backtest payload:
 * `{ runId, digest, digestVerified?, metrics: { sharpe, totalReturn, maxDrawdownPct, closedTrades, ...other numbers }, dataQualityErrors, lookaheadPassed }`.
 * `digestVerified` defaults to false; `dataQualityErrors` and `lookaheadPassed` may be null (no
 * report, not checked). Unknown top-level fields are refused. Throws a `ConfigError` (or
 * `DataError` with `source.file`) naming the field.
 */
export function parseBacktestInput(value: unknown, source: InputSource = {}): BacktestInput {
  const fail = failureFor(source);
  const object = readObject(value, '', fail);
  rejectUnknownKeys(object, ['runId', 'digest', 'digestVerified', 'metrics', 'dataQualityErrors', 'lookaheadPassed'], '', fail);
  const metrics = readObject(object['metrics'], 'metrics', fail);
  const extra: Record<string, number | null> = {};
  for (const key of Object.keys(metrics)) {
    if (!HEADLINE_METRICS.includes(key)) extra[key] = readNullableNumber(metrics, key, 'metrics', fail);
  }
  return Object.freeze({
    runId: readRunId(object['runId'], 'runId', fail),
    digest: readDigest(object['digest'], 'digest', fail),
    digestVerified: object['digestVerified'] === undefined ? false : readBoolean(object, 'digestVerified', '', fail),
    metrics: Object.freeze({ ...readHeadlineMetrics(metrics, 'metrics', fail, true), extra: Object.freeze(extra) }),
    dataQualityErrors: readNullableNumber(object, 'dataQualityErrors', '', fail, { integer: true, min: 0, required: true }),
    lookaheadPassed: readRequiredNullableBoolean(object, 'lookaheadPassed', fail),
  });
}

/**
 * Checks a typed {@link BacktestInput} (from code rather than JSON) with the payload rules: run id
 * and digest formats, finite or null metrics, counts that are whole numbers ≥ 0. Returns it frozen;
 * throws a `ConfigError` naming the field.
 */
export function checkBacktestInput(input: BacktestInput): BacktestInput {
  const { metrics } = input;
  return parseBacktestInput({
    runId: input.runId,
    digest: input.digest,
    digestVerified: input.digestVerified,
    metrics: { ...metrics.extra, sharpe: metrics.sharpe, totalReturn: metrics.totalReturn, maxDrawdownPct: metrics.maxDrawdownPct, closedTrades: metrics.closedTrades },
    dataQualityErrors: input.dataQualityErrors,
    lookaheadPassed: input.lookaheadPassed,
  });
}

/** What {@link backtestInputFromRunSummary} reads. */
export interface RunSummaryEvidence {
  readonly runId: string;
  /** The digest from the run's manifest. */
  readonly digest: string;
  /** Whether the caller verified the run's files against the manifest (see `BacktestInput.digestVerified`). */
  readonly digestVerified: boolean;
  /** The parsed `summary.json` of the run folder. */
  readonly summary: unknown;
}

/**
 * Builds a backtest record from a backtester run folder's `summary.json`: the metrics under
 * `summary` (sharpe, totalReturn, maxDrawdownPct, closedTrades and the others present), the
 * error count of `dataQuality.report.summary.bySeverity.error` (null without a `dataQuality`
 * section) and `lookahead.passed` (null when the run was not checked). Throws a `DataError`
 * naming `source.file` and the field when a field is malformed.
 */
export function backtestInputFromRunSummary(evidence: RunSummaryEvidence, source: InputSource = {}): BacktestInput {
  const fail = failureFor(source);
  const root = readObject(evidence.summary, '', fail);
  const summary = readObject(root['summary'], 'summary', fail);
  const extra: Record<string, number | null> = {};
  for (const key of EXTRA_BACKTEST_METRICS) {
    if (summary[key] !== undefined) extra[key] = readNullableNumber(summary, key, 'summary', fail);
  }
  let dataQualityErrors: number | null = null;
  if (root['dataQuality'] !== undefined && root['dataQuality'] !== null) {
    const report = readObject(readObject(root['dataQuality'], 'dataQuality', fail)['report'], 'dataQuality.report', fail);
    const reportSummary = readObject(report['summary'], 'dataQuality.report.summary', fail);
    const bySeverity = readObject(reportSummary['bySeverity'], 'dataQuality.report.summary.bySeverity', fail);
    dataQualityErrors = readNullableNumber(bySeverity, 'error', 'dataQuality.report.summary.bySeverity', fail, { integer: true, min: 0, required: true });
  }
  let lookaheadPassed: boolean | null = null;
  if (root['lookahead'] !== undefined && root['lookahead'] !== null) {
    lookaheadPassed = readBoolean(readObject(root['lookahead'], 'lookahead', fail), 'passed', 'lookahead', fail);
  }
  return Object.freeze({
    runId: readRunId(evidence.runId, 'runId', fail),
    digest: readDigest(evidence.digest, 'digest', fail),
    digestVerified: evidence.digestVerified,
    metrics: Object.freeze({ ...readHeadlineMetrics(summary, 'summary', fail, false), extra: Object.freeze(extra) }),
    dataQualityErrors,
    lookaheadPassed,
  });
}

/** The strategy and its parameters a run was made with, as far as its manifest says. */
export interface RunParameters {
  readonly strategy: string | null;
  /** The strategy parameters (`parameters.params` of a backtester manifest), or null when absent. */
  readonly params: JsonObject | null;
  /** The sha256 of the strategy file the run was made with (`parameters.strategyFile.sha256`), or null for a shipped strategy. */
  readonly strategyFileSha256: string | null;
}

/**
 * Reads the strategy name and strategy parameters out of a run manifest's `parameters` (the
 * backtester writes `{ strategy: 'sma-crossover', params: { fast: 10, slow: 30, ... }, ... }`).
 * Anything else there (data path, cash, execution profile) is not part of a parameter snapshot.
 * Returns nulls for what is missing or not JSON-safe.
 */
export function runParameters(parameters: unknown): RunParameters {
  if (!isInputObject(parameters)) return { strategy: null, params: null, strategyFileSha256: null };
  const strategy = typeof parameters['strategy'] === 'string' && parameters['strategy'].trim() !== '' ? parameters['strategy'] : null;
  const file = parameters['strategyFile'];
  const strategyFileSha256 = isInputObject(file) && typeof file['sha256'] === 'string' ? file['sha256'] : null;
  const params = parameters['params'];
  if (!isInputObject(params)) return { strategy, params: null, strategyFileSha256 };
  try {
    canonicalJson(params, configErrorsAt('params'));
  } catch {
    return { strategy, params: null, strategyFileSha256 };
  }
  return { strategy, params: params as JsonObject, strategyFileSha256 };
}

const HEADLINE_METRICS: readonly string[] = ['sharpe', 'totalReturn', 'maxDrawdownPct', 'closedTrades'];

function readHeadlineMetrics(object: InputObject, parent: string, fail: Fail, required: boolean): Omit<BacktestMetrics, 'extra'> {
  return {
    sharpe: readNullableNumber(object, 'sharpe', parent, fail, { required }),
    totalReturn: readNullableNumber(object, 'totalReturn', parent, fail, { required }),
    maxDrawdownPct: readNullableNumber(object, 'maxDrawdownPct', parent, fail, { required, min: 0 }),
    closedTrades: readNullableNumber(object, 'closedTrades', parent, fail, { required, integer: true, min: 0 }),
  };
}

function readRequiredNullableBoolean(object: InputObject, key: string, fail: Fail): boolean | null {
  if (object[key] === undefined) fail(key, 'is required: true, false or null (not checked)');
  return readNullableBoolean(object, key, '', fail);
}

/** A backtester run id, or a failure naming `field`. Internal: shared with the sweep reader. */
export function readRunId(value: unknown, field: string, fail: Fail): string {
  if (typeof value !== 'string' || !RUN_ID.test(value)) {
    fail(field, `must be a run id (1 to 200 letters, digits, '.', '_' or '-', not starting with '.'), got ${describeValue(value)}`);
  }
  return value as string;
}

/** A hex SHA-256, or a failure naming `field`. Internal: shared with the sweep reader. */
export function readDigest(value: unknown, field: string, fail: Fail): string {
  if (typeof value !== 'string' || !HEX_SHA256.test(value)) fail(field, `must be 64 lower-case hex digits (a SHA-256), got ${describeValue(value)}`);
  return value as string;
}

