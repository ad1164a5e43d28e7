import { readFileSync } from 'node:fs';
import { ConfigError, canonicalJson } from '@quantbot/core';
import { configErrorsAt, sha256Text } from './canonical-json';
import type { Fail, InputObject } from './input-reader';
import { describeValue, fieldPath, readArray, readNullableNumber, readNumber, readObject, rejectUnknownKeys } from './input-reader';


/** The thresholds of the promotion gates: `config/promotion-gates.json`. */
export interface PromotionGateConfig {
  /**
   * The version of these thresholds: a whole number ≥ 1, raised whenever a threshold changes.
   * Every checklist and promotion records it, so evidence can be traced to the rules it passed.
   */
  readonly version: number;
  readonly gates: PromotionGates;
  /** How a live snapshot's capital climbs to its target, and what a breach does. */
  readonly ramp: CapitalRampConfig;
}

/** What a breach of a live ramp does: go one stage down (`rollback`; at stage 0 it halts) or stop (`halt`). */
export type RampBreachAction = 'rollback' | 'halt';

/** The breach actions, for parsing. */
export const RAMP_BREACH_ACTIONS: readonly RampBreachAction[] = Object.freeze(['rollback', 'halt']);

/**
 * The staged capital ramp of a live promotion: the live snapshot trades `stagesPct[i]` % of its
 * target capital at stage `i`, starting at stage 0, and advances one stage at a time on evidence.
 */
export interface CapitalRampConfig {
  /** Percent of the target capital at each stage: strictly increasing, each in (0, 100], the last 100. */
  readonly stagesPct: readonly number[];
  /** Fewest complete live trading days at a stage, recorded by the trader after the stage began, before it may advance. */
  readonly minDaysPerStage: number;
  /** What a breach does: `rollback` one stage (halt at stage 0) or `halt`. */
  readonly onBreach: RampBreachAction;
  /** The live drawdown (percent) the trader treats as a breach of the ramp. */
  readonly maxDrawdownPct: number;
}

/** The gate thresholds, by group. Comparisons are as the field names say (min: ≥, max: ≤) unless noted. */
export interface PromotionGates {
  readonly walkForward: {
    /** Mean out-of-sample Sharpe (annualized) must be strictly above this. */
    readonly minOosSharpe: number;
    /** Overfit ratio (mean IS / mean OOS Sharpe) must be strictly below this (> 0); infinite or undefined ratios fail. */
    readonly maxOverfitRatio: number;
  };
  readonly dataQuality: {
    /** Most data-quality errors allowed in the backtest's report (usually 0). */
    readonly maxErrors: number;
  };
  readonly paper: {
    /**
     * Fewest consecutive paper-trading days (the latest run) required for live. Consecutive means
     * consecutive sessions of the exchange calendar (NYSE by default): a missed session breaks
     * the run, weekends and holidays do not.
     */
    readonly minDays: number;
    /** Largest drawdown from peak over the run's days, in percent. */
    readonly maxDrawdownPct: number;
    /** Largest sample standard deviation of daily P&L (account currency); null: it only has to be finite. */
    readonly maxDailyPnlStdDev: number | null;
  };
  readonly execution: {
    /** Lowest mean execution quality score (0–100) over the run's days. */
    readonly minQualityScore: number;
    /** Highest mean average slippage over the run's days, in basis points. */
    readonly maxAverageSlippageBps: number;
    /** Lowest mean fill rate (0–1) over the run's days. */
    readonly minFillRate: number;
  };
  /** How far trader-recorded executions may drift from the simulator's shadow fills (see {@link DriftGates}). */
  readonly drift: DriftGates;
}

/**
 * Drift thresholds (version 3): how far the trader's real executions may stray from the
 * simulator's shadow fills of the same decisions before the backtest no longer describes them.
 * Every gap is actual minus shadow and is judged by its magnitude (drift either way is a
 * simulator that does not describe the venue).
 */
export interface DriftGates {
  /** Largest |return gap| of any one day, percent of the day's start equity. */
  readonly maxDailyReturnGapPct: number;
  /** Largest |sum of the daily return gaps| over the run, percent. */
  readonly maxCumulativeReturnGapPct: number;
  /** Largest |order-weighted mean slippage gap| over the run, bps. */
  readonly maxSlippageGapBps: number;
  /** Largest |order-weighted mean fill-rate gap| over the run, an absolute difference of fill rates (0.1 = 10 points). */
  readonly maxFillRateGap: number;
  /** Largest |order-weighted mean timing gap| (actual first fill − shadow fill) over the run, ms. */
  readonly maxTimingGapMs: number;
}

/** A loaded configuration, with where it came from and its content hash. */
export interface LoadedPromotionGateConfig extends PromotionGateConfig {
  /** The file it was read from, or null when built in code. */
  readonly file: string | null;
  /** Hex SHA-256 of the configuration's canonical JSON: changes with any threshold. */
  readonly sha256: string;
}

/** The default location of the gate file, relative to the workspace root (the working directory of `nx run`). */
export const DEFAULT_PROMOTION_GATES_FILE = 'config/promotion-gates.json';

/** The thresholds shipped in `config/promotion-gates.json` (version 3). */
export const DEFAULT_PROMOTION_GATE_CONFIG: PromotionGateConfig = deepFreeze({
  version: 3,
  gates: {
    walkForward: { minOosSharpe: 0.5, maxOverfitRatio: 2 },
    dataQuality: { maxErrors: 0 },
    paper: { minDays: 30, maxDrawdownPct: 10, maxDailyPnlStdDev: null },
    execution: { minQualityScore: 70, maxAverageSlippageBps: 15, minFillRate: 0.9 },
    drift: { maxDailyReturnGapPct: 0.5, maxCumulativeReturnGapPct: 2, maxSlippageGapBps: 10, maxFillRateGap: 0.1, maxTimingGapMs: 120_000 },
  },
  ramp: { stagesPct: [1, 5, 25, 100], minDaysPerStage: 5, onBreach: 'rollback', maxDrawdownPct: 5 },
});

const DRIFT_FIELDS = ['maxDailyReturnGapPct', 'maxCumulativeReturnGapPct', 'maxSlippageGapBps', 'maxFillRateGap', 'maxTimingGapMs'] as const;

/**
 * Checks a gate configuration object `{ version, gates: { walkForward, dataQuality, paper,
 * execution, drift }, ramp: { stagesPct, minDaysPerStage, onBreach, maxDrawdownPct }, description? }`.
 * Every threshold is required (the file is the one place they
 * live) and unknown keys are refused, so a misspelt gate cannot silently fall back to nothing.
 * `gates.paper.maxGapCalendarDays` (version 1 files) is refused with a message saying why: paper
 * days are now consecutive sessions of the exchange calendar, with no gap to configure. A file
 * without `gates.drift` (version 2 and before) is refused naming it: drift is judged since version 3.
 * Throws a `ConfigError` whose key is the field (`gates.paper.minDays`) and whose message names
 * `file` when given.
 */
export function parsePromotionGateConfig(value: unknown, file: string | null = null): LoadedPromotionGateConfig {
  const where = file === null ? '' : ` (in ${file})`;
  const fail: Fail = (field, message) => {
    throw new ConfigError(field === '' ? 'promotion gates' : field, `${message}${where}`);
  };
  const root = readObject(value, '', fail);
  rejectUnknownKeys(root, ['version', 'description', 'gates', 'ramp'], '', fail);
  const version = readNumber(root, 'version', '', fail, { integer: true, min: 1 });
  if (root['description'] !== undefined && typeof root['description'] !== 'string') fail('description', `must be a string, got ${describeValue(root['description'])}`);
  const gates = readObject(root['gates'], 'gates', fail);
  rejectUnknownKeys(gates, ['walkForward', 'dataQuality', 'paper', 'execution', 'drift'], 'gates', fail);
  const group = (key: string, fields: readonly string[]): InputObject => {
    const path = fieldPath('gates', key);
    const object = readObject(gates[key], path, fail);
    rejectUnknownKeys(object, fields, path, fail);
    return object;
  };
  const walkForward = group('walkForward', ['minOosSharpe', 'maxOverfitRatio']);
  const dataQuality = group('dataQuality', ['maxErrors']);
  const paperGroup = readObject(gates['paper'], 'gates.paper', fail);
  if (paperGroup['maxGapCalendarDays'] !== undefined) {
    fail(
      'gates.paper.maxGapCalendarDays',
      'is no longer supported (gate configuration version 2): consecutive paper days are consecutive trading days of the exchange calendar, ' +
        'so no gap is configured; delete the field and raise version',
    );
  }
  const paper = group('paper', ['minDays', 'maxDrawdownPct', 'maxDailyPnlStdDev']);
  const execution = group('execution', ['minQualityScore', 'maxAverageSlippageBps', 'minFillRate']);
  if (gates['drift'] === undefined) {
    fail('gates.drift', `is required (gate configuration version 3): the drift thresholds ${DRIFT_FIELDS.join(', ')}; add the group and raise version`);
  }
  const drift = group('drift', DRIFT_FIELDS);
  const driftNumber = (key: (typeof DRIFT_FIELDS)[number], rule: { readonly max?: number } = {}): number => readNumber(drift, key, 'gates.drift', fail, { min: 0, ...rule });
  const maxOverfitRatio = readNumber(walkForward, 'maxOverfitRatio', 'gates.walkForward', fail);
  if (!(maxOverfitRatio > 0)) fail('gates.walkForward.maxOverfitRatio', `must be greater than 0, got ${maxOverfitRatio}`);
  if (paper['maxDailyPnlStdDev'] === undefined) fail('gates.paper.maxDailyPnlStdDev', 'is required: a number ≥ 0, or null to require only a finite value');
  const config: PromotionGateConfig = {
    version,
    gates: {
      walkForward: { minOosSharpe: readNumber(walkForward, 'minOosSharpe', 'gates.walkForward', fail), maxOverfitRatio },
      dataQuality: { maxErrors: readNumber(dataQuality, 'maxErrors', 'gates.dataQuality', fail, { integer: true, min: 0 }) },
      paper: {
        minDays: readNumber(paper, 'minDays', 'gates.paper', fail, { integer: true, min: 1 }),
        maxDrawdownPct: readNumber(paper, 'maxDrawdownPct', 'gates.paper', fail, { min: 0, max: 100 }),
        maxDailyPnlStdDev: readNullableNumber(paper, 'maxDailyPnlStdDev', 'gates.paper', fail, { min: 0 }),
      },
      execution: {
        minQualityScore: readNumber(execution, 'minQualityScore', 'gates.execution', fail, { min: 0, max: 100 }),
        maxAverageSlippageBps: readNumber(execution, 'maxAverageSlippageBps', 'gates.execution', fail),
        minFillRate: readNumber(execution, 'minFillRate', 'gates.execution', fail, { min: 0, max: 1 }),
      },
      drift: {
        maxDailyReturnGapPct: driftNumber('maxDailyReturnGapPct'),
        maxCumulativeReturnGapPct: driftNumber('maxCumulativeReturnGapPct'),
        maxSlippageGapBps: driftNumber('maxSlippageGapBps'),
        maxFillRateGap: driftNumber('maxFillRateGap', { max: 1 }),
        maxTimingGapMs: driftNumber('maxTimingGapMs'),
      },
    },
    ramp: parseCapitalRamp(root['ramp'], fail),
  };
  return deepFreeze({ ...config, file, sha256: promotionGateConfigSha256(config) });
}

/** Hex SHA-256 of a gate configuration's canonical JSON (version, thresholds and ramp): changes with any of them. */
export function promotionGateConfigSha256(config: PromotionGateConfig): string {
  return sha256Text(canonicalJson({ version: config.version, gates: config.gates, ramp: config.ramp }, configErrorsAt('promotion gates')));
}

/** The `ramp` group: every field required, unknown keys refused, stages strictly increasing in (0, 100] and ending at 100. */
function parseCapitalRamp(value: unknown, fail: Fail): CapitalRampConfig {
  const ramp = readObject(value, 'ramp', fail);
  rejectUnknownKeys(ramp, ['stagesPct', 'minDaysPerStage', 'onBreach', 'maxDrawdownPct'], 'ramp', fail);
  const stages = readArray(ramp['stagesPct'], 'ramp.stagesPct', fail);
  if (stages.length === 0) fail('ramp.stagesPct', 'must list at least one stage (the last one 100)');
  const stagesPct = stages.map((stage, i) => {
    const field = `ramp.stagesPct[${i}]`;
    if (typeof stage !== 'number' || !Number.isFinite(stage)) fail(field, `must be a finite number, got ${describeValue(stage)}`);
    const pct = stage as number;
    if (!(pct > 0 && pct <= 100)) fail(field, `must be in (0, 100] percent of the target capital, got ${pct}`);
    const previous = i === 0 ? undefined : (stages[i - 1] as number);
    if (previous !== undefined && !(pct > previous)) fail(field, `stages must increase strictly: ${pct} does not exceed ${previous}`);
    return pct;
  });
  if (stagesPct[stagesPct.length - 1] !== 100) fail(`ramp.stagesPct[${stagesPct.length - 1}]`, `the last stage must be 100 (the whole target capital), got ${String(stagesPct[stagesPct.length - 1])}`);
  const onBreach = ramp['onBreach'];
  if (typeof onBreach !== 'string' || !(RAMP_BREACH_ACTIONS as readonly string[]).includes(onBreach)) {
    fail('ramp.onBreach', `is required: one of ${RAMP_BREACH_ACTIONS.map((a) => `'${a}'`).join(', ')}, got ${describeValue(onBreach)}`);
  }
  return {
    stagesPct,
    minDaysPerStage: readNumber(ramp, 'minDaysPerStage', 'ramp', fail, { integer: true, min: 1 }),
    onBreach: onBreach as RampBreachAction,
    maxDrawdownPct: readNumber(ramp, 'maxDrawdownPct', 'ramp', fail, { min: 0, max: 100 }),
  };
}

/**
 * Reads and checks a gate configuration file (see {@link parsePromotionGateConfig}). A file that
 * cannot be read or is not JSON is a `ConfigError` naming it.
 */
export function loadPromotionGateConfig(file: string): LoadedPromotionGateConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('promotion gates', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError('promotion gates', `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parsePromotionGateConfig(value, file);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object) as unknown[]) deepFreeze(inner);
  }
  return value;
}
