import { canonicalJson } from '@quantbot/core';
import type { JsonObject } from './canonical-json';
import { configErrorsAt, sha256Text } from './canonical-json';
import type { Fail, InputObject, InputSource } from './input-reader';
import {
  describeValue,
  failureFor,
  fieldPath,
  isInputObject,
  readArray,
  readBoolean,
  readNullableBoolean,
  readNullableNumber,
  readObject,
  rejectUnknownKeys,
} from './input-reader';
import type { FoldMetrics, OverfitRatioStatus, ValidationFigures, ValidationFold } from './registry-records';

/** The walk-forward artifact schema version this reader knows (`schemaVersion` of the JSON). */
export const WALK_FORWARD_SCHEMA_VERSION = 1;

/** Validation evidence to record (see `ResearchRegistry.recordValidation`). */
export interface ValidationInput extends ValidationFigures {
  readonly kind: 'walk-forward';
  /** Where it came from (a file path), or null. */
  readonly source: string | null;
  /** The whole artifact document when one was ingested, kept with the record. */
  readonly artifact: JsonObject | null;
  readonly strategy: string | null;
  /**
   * Whether the caller reproduced the walk-forward (re-ran it on the re-read data and got this
   * artifact). Default false: the parsers here never set it, so typed-in figures and artifacts
   * read from a file are recorded as unverified. Only a program that re-ran it may say true.
   */
  readonly verified?: boolean;
}

/**
 * The overfit ratio of mean in-sample over mean out-of-sample Sharpe, with the walk-forward's
 * rules: no in-sample edge (mean IS Sharpe null or ≤ 0) gives null; an in-sample edge without an
 * out-of-sample one (mean OOS Sharpe null or ≤ 0) gives `Infinity`; otherwise the ratio.
 *
 * @example overfitRatioOf(1.5, 0.5) // { ratio: 3, status: 'finite' }
 */
export function overfitRatioOf(meanIsSharpe: number | null, meanOosSharpe: number | null): { readonly ratio: number | null; readonly status: OverfitRatioStatus } {
  if (meanIsSharpe === null || !(meanIsSharpe > 0)) return { ratio: null, status: 'no-in-sample-edge' };
  if (meanOosSharpe === null || !(meanOosSharpe > 0)) return { ratio: Number.POSITIVE_INFINITY, status: 'infinite' };
  return { ratio: meanIsSharpe / meanOosSharpe, status: 'finite' };
}

/**
 * Reads a walk-forward artifact (the JSON document `kind: "walk-forward"`, `schemaVersion: 1`,
 * that the validation library writes): per fold the in-sample and out-of-sample metrics, the
 * fold's trials and its selection statistics (`statistics.deflatedSharpe.value`,
 * `statistics.pbo.value`, either may be null); overall the mean IS and OOS Sharpe, the overfit
 * ratio (`overfitRatio: null` with `overfitRatioStatus: "infinite"` is an infinite ratio), the
 * verdict and its reasons. Other fields are kept in the stored artifact but not read. The
 * validation-level DSR is the lowest fold DSR and the PBO the highest fold PBO (the weakest fold).
 *
 * Throws a `DataError` naming `source.file` and the field (or a `ConfigError` naming the field
 * when there is no file).
 */
export function parseWalkForwardArtifact(value: unknown, source: InputSource = {}): ValidationInput {
  const fail = failureFor(source);
  const root = readObject(value, '', fail);
  if (root['schemaVersion'] !== WALK_FORWARD_SCHEMA_VERSION) {
    fail('schemaVersion', `must be ${WALK_FORWARD_SCHEMA_VERSION} (the walk-forward artifact version this reader knows), got ${describeValue(root['schemaVersion'])}`);
  }
  if (root['kind'] !== 'walk-forward') fail('kind', `must be 'walk-forward', got ${describeValue(root['kind'])}`);
  const strategy = root['strategy'];
  if (strategy !== undefined && typeof strategy !== 'string') fail('strategy', `must be a string, got ${describeValue(strategy)}`);
  const folds = readFolds(root['folds'], fail, false);
  const overall = readObject(root['overall'], 'overall', fail);
  const meanIsSharpe = readNullableNumber(overall, 'meanIsSharpe', 'overall', fail, { required: true });
  const meanOosSharpe = readNullableNumber(overall, 'meanOosSharpe', 'overall', fail, { required: true });
  const ratio = readOverfitRatio(overall, 'overall', meanIsSharpe, meanOosSharpe, fail);
  const passed = overall['pass'] === undefined ? null : readBoolean(overall, 'pass', 'overall', fail);
  const reasons = overall['reasons'] === undefined ? [] : readStrings(overall['reasons'], 'overall.reasons', fail);
  const trials = readNullableNumber(root, 'trials', '', fail, { integer: true, min: 0 });
  return Object.freeze({
    kind: 'walk-forward',
    source: source.file ?? null,
    artifact: asArtifact(root),
    strategy: typeof strategy === 'string' ? strategy : null,
    meanIsSharpe,
    meanOosSharpe,
    overfitRatio: ratio.ratio,
    overfitRatioStatus: ratio.status,
    deflatedSharpe: weakest(folds.map((f) => f.deflatedSharpe), Math.min),
    pbo: weakest(folds.map((f) => f.pbo), Math.max),
    trials: trials ?? sumOrNull(folds.map((f) => f.trials)),
    passed,
    reasons,
    folds,
  });
}

/**
 * Reads validation evidence given as a payload: either a walk-forward artifact (recognized by
 * `kind: "walk-forward"` with an `overall` section, see {@link parseWalkForwardArtifact}) or the
 * short form
 * `{ meanIsSharpe?, meanOosSharpe?, overfitRatio?, overfitRatioStatus?, deflatedSharpe?, pbo?, trials?, passed?, reasons?, folds? }`
 * where folds are `{ inSample: { sharpe, ... }, outOfSample: { sharpe, ... }, trials?, deflatedSharpe?, pbo? }`.
 * In the short form, missing means are the means of the folds' Sharpe ratios (a null Sharpe
 * counts as 0, as the walk-forward does), and a missing overfit ratio is computed from the means
 * ({@link overfitRatioOf}). Unknown fields are refused.
 */
export function parseValidationInput(value: unknown, source: InputSource = {}): ValidationInput {
  const fail = failureFor(source);
  const root = readObject(value, '', fail);
  if (root['kind'] === 'walk-forward' && root['overall'] !== undefined) return parseWalkForwardArtifact(value, source);
  rejectUnknownKeys(
    root,
    ['kind', 'meanIsSharpe', 'meanOosSharpe', 'overfitRatio', 'overfitRatioStatus', 'deflatedSharpe', 'pbo', 'trials', 'passed', 'reasons', 'folds'],
    '',
    fail,
  );
  if (root['kind'] !== undefined && root['kind'] !== 'walk-forward') fail('kind', `must be 'walk-forward', got ${describeValue(root['kind'])}`);
  const folds = root['folds'] === undefined ? [] : readFolds(root['folds'], fail, true);
  const meanOf = (side: 'inSample' | 'outOfSample'): number | null => (folds.length === 0 ? null : folds.reduce((sum, f) => sum + (f[side].sharpe ?? 0), 0) / folds.length);
  const meanIsSharpe = root['meanIsSharpe'] === undefined ? meanOf('inSample') : readNullableNumber(root, 'meanIsSharpe', '', fail);
  const meanOosSharpe = root['meanOosSharpe'] === undefined ? meanOf('outOfSample') : readNullableNumber(root, 'meanOosSharpe', '', fail);
  if (root['meanOosSharpe'] === undefined && folds.length === 0) fail('meanOosSharpe', 'is required (a number or null), or give folds to compute it from');
  if (root['meanIsSharpe'] === undefined && folds.length === 0) fail('meanIsSharpe', 'is required (a number or null), or give folds to compute it from');
  const ratio = readOverfitRatio(root, '', meanIsSharpe, meanOosSharpe, fail);
  return Object.freeze({
    kind: 'walk-forward',
    source: source.file ?? null,
    artifact: null,
    strategy: null,
    meanIsSharpe,
    meanOosSharpe,
    overfitRatio: ratio.ratio,
    overfitRatioStatus: ratio.status,
    deflatedSharpe: readNullableNumber(root, 'deflatedSharpe', '', fail, { min: 0, max: 1 }) ?? weakest(folds.map((f) => f.deflatedSharpe), Math.min),
    pbo: readNullableNumber(root, 'pbo', '', fail, { min: 0, max: 1 }) ?? weakest(folds.map((f) => f.pbo), Math.max),
    trials: readNullableNumber(root, 'trials', '', fail, { integer: true, min: 0 }) ?? sumOrNull(folds.map((f) => f.trials)),
    passed: readNullableBoolean(root, 'passed', '', fail),
    reasons: root['reasons'] === undefined ? [] : readStrings(root['reasons'], 'reasons', fail),
    folds,
  });
}

const OVERFIT_STATUSES: readonly OverfitRatioStatus[] = ['finite', 'infinite', 'no-in-sample-edge'];

/** The ratio as given (`overfitRatio`, `overfitRatioStatus`), or computed from the means when neither is. */
function readOverfitRatio(
  object: InputObject,
  parent: string,
  meanIsSharpe: number | null,
  meanOosSharpe: number | null,
  fail: Fail,
): { readonly ratio: number | null; readonly status: OverfitRatioStatus } {
  const ratioField = fieldPath(parent, 'overfitRatio');
  const statusField = fieldPath(parent, 'overfitRatioStatus');
  const given = readNullableNumber(object, 'overfitRatio', parent, fail);
  const status = object['overfitRatioStatus'];
  if (status === undefined) {
    if (given !== null) return { ratio: given, status: 'finite' };
    return overfitRatioOf(meanIsSharpe, meanOosSharpe);
  }
  if (typeof status !== 'string' || !(OVERFIT_STATUSES as readonly string[]).includes(status)) {
    return fail(statusField, `must be one of ${OVERFIT_STATUSES.map((s) => `'${s}'`).join(', ')}, got ${describeValue(status)}`);
  }
  if (status === 'finite') {
    if (given === null) return fail(ratioField, `must be a number when ${statusField} is 'finite'`);
    return { ratio: given, status };
  }
  if (given !== null) return fail(ratioField, `must be null when ${statusField} is '${status}'`);
  return { ratio: status === 'infinite' ? Number.POSITIVE_INFINITY : null, status: status as OverfitRatioStatus };
}

function readFolds(value: unknown, fail: Fail, strict: boolean): readonly ValidationFold[] {
  const items = readArray(value, 'folds', fail);
  if (items.length === 0) fail('folds', 'must hold at least one fold');
  return Object.freeze(
    items.map((item, i) => {
      const path = fieldPath('folds', i);
      const fold = readObject(item, path, fail);
      if (strict) rejectUnknownKeys(fold, ['index', 'inSample', 'outOfSample', 'trials', 'deflatedSharpe', 'pbo'], path, fail);
      const index = readNullableNumber(fold, 'index', path, fail, { integer: true, min: 0 }) ?? i;
      const trials = readNullableNumber(fold, 'trials', path, fail, { integer: true, min: 0 });
      let deflatedSharpe: number | null;
      let pbo: number | null;
      if (strict) {
        deflatedSharpe = readNullableNumber(fold, 'deflatedSharpe', path, fail, { min: 0, max: 1 });
        pbo = readNullableNumber(fold, 'pbo', path, fail, { min: 0, max: 1 });
      } else {
        ({ deflatedSharpe, pbo } = readFoldStatistics(fold['statistics'], fieldPath(path, 'statistics'), fail));
      }
      return Object.freeze({
        index,
        inSample: readFoldMetrics(fold['inSample'], fieldPath(path, 'inSample'), fail),
        outOfSample: readFoldMetrics(fold['outOfSample'], fieldPath(path, 'outOfSample'), fail),
        trials,
        deflatedSharpe,
        pbo,
      });
    }),
  );
}

function readFoldMetrics(value: unknown, path: string, fail: Fail): FoldMetrics {
  const metrics = readObject(value, path, fail);
  return Object.freeze({
    sharpe: readNullableNumber(metrics, 'sharpe', path, fail, { required: true }),
    totalReturn: readNullableNumber(metrics, 'totalReturn', path, fail),
    maxDrawdownPct: readNullableNumber(metrics, 'maxDrawdownPct', path, fail, { min: 0 }),
    closedTrades: readNullableNumber(metrics, 'closedTrades', path, fail, { integer: true, min: 0 }),
  });
}

/** `statistics` of an artifact fold: null, or `{ deflatedSharpe: { value }, pbo: { value } }`. */
function readFoldStatistics(value: unknown, path: string, fail: Fail): { deflatedSharpe: number | null; pbo: number | null } {
  if (value === undefined || value === null) return { deflatedSharpe: null, pbo: null };
  const statistics = readObject(value, path, fail);
  const valueOf = (key: string): number | null => {
    const entry = statistics[key];
    if (entry === undefined || entry === null) return null;
    const field = fieldPath(path, key);
    return readNullableNumber(readObject(entry, field, fail), 'value', field, fail, { min: 0, max: 1 });
  };
  return { deflatedSharpe: valueOf('deflatedSharpe'), pbo: valueOf('pbo') };
}

function readStrings(value: unknown, field: string, fail: Fail): readonly string[] {
  const items = readArray(value, field, fail);
  items.forEach((item, i) => {
    if (typeof item !== 'string') fail(fieldPath(field, i), `must be a string, got ${describeValue(item)}`);
  });
  return Object.freeze([...(items as readonly string[])]);
}

function asArtifact(root: InputObject): JsonObject {
  canonicalJson(root, configErrorsAt('artifact'));
  return root as JsonObject;
}

function weakest(values: readonly (number | null)[], pick: (...values: number[]) => number): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : pick(...present);
}

function sumOrNull(values: readonly (number | null)[]): number | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  return values.reduce<number>((sum, v) => sum + (v as number), 0);
}

/** Hex SHA-256 of an artifact's canonical JSON (its identity, independent of formatting). */
export function artifactSha256(artifact: JsonObject): string {
  return sha256Text(canonicalJson(artifact, configErrorsAt('artifact')));
}

/** True when `value` looks like a walk-forward artifact (`kind: "walk-forward"` with `overall`). */
export function isWalkForwardArtifact(value: unknown): boolean {
  return isInputObject(value) && value['kind'] === 'walk-forward' && value['overall'] !== undefined;
}
