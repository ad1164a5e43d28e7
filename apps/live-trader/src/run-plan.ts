import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Ticker } from '@quantbot/core';
import { ConfigError, parseTicker } from '@quantbot/core';
import { STRATEGY_MANAGER_NAME, parseStrategyManagerSpec } from '@quantbot/engine';
import type { StrategyManagerSpec } from '@quantbot/engine';
import type { OrphanPolicy } from '@quantbot/live';
import type { KillSwitchConfig, RiskLimits, SizingRule } from '@quantbot/risk-guardrails';
import { parseParamList } from '@quantbot/strategies';
import type { LoadedStrategyFile } from '@quantbot/validation';
import { isStrategyFileRef, loadStrategyFile } from '@quantbot/validation';
import { planGuardrails } from './live-guardrails';
import { sizingOf } from './sizing-flags';

/** What `live-trader run`'s flags ask for, checked. */
export interface Plan {
  readonly strategyName: string;
  /** `--strategy ./file.ts`: the strategy file read and checked (its definition and identity). */
  readonly strategyFile?: LoadedStrategyFile;
  readonly rawParams: Readonly<Record<string, string>>;
  /** `--manager`: the manager file as given and its sleeves (the session trades a `StrategyManager`). */
  readonly manager?: { readonly source: string; readonly spec: StrategyManagerSpec };
  readonly broker: 'sim' | 'alpaca';
  /** `--live`: every live safeguard is required (and the endpoints must not be Alpaca paper). */
  readonly live: boolean;
  readonly sessionId: string;
  readonly symbols: readonly Ticker[] | undefined;
  readonly limits: RiskLimits;
  readonly killSwitch: KillSwitchConfig;
  /** Whether the kill switch is the live default (no halt level was given for a live run). */
  readonly killSwitchIsDefault: boolean;
  readonly killFilePollMs: number;
  readonly maxOutageMs: number;
  /** `--step-timeout-ms`: undefined leaves the session's default (10 s). */
  readonly stepTimeoutMs: number | undefined;
  readonly sizing: SizingRule;
  readonly orphans: OrphanPolicy;
  readonly stopAfter: number | undefined;
}

/**
 * Checks the flags of `live-trader run` into a plan; a bad value is a `ConfigError` naming its flag
 * (a bad manager file: the file and field). `--manager` is read from `cwd`.
 */
export function makePlan(flags: Readonly<Record<string, string | number | boolean>>, cwd = '.'): Plan {
  const manager = typeof flags['manager'] === 'string' ? readManagerPlan(flags, flags['manager'], cwd) : undefined;
  const strategyFile = typeof flags['strategy'] === 'string' && isStrategyFileRef(flags['strategy']) ? readStrategyFilePlan(flags['strategy'], cwd) : undefined;
  const strategyName =
    manager !== undefined ? STRATEGY_MANAGER_NAME : strategyFile !== undefined ? strategyFile.definition.name : typeof flags['strategy'] === 'string' ? flags['strategy'] : 'sma-crossover';
  const broker = flags['broker'] ?? 'sim';
  if (broker !== 'sim' && broker !== 'alpaca') throw new ConfigError('--broker', `unknown broker '${String(broker)}'; available: sim, alpaca`);
  const live = flags['live'] === true;
  if (live && broker !== 'alpaca') throw new ConfigError('--live', 'live trading goes through --broker alpaca');
  const symbols =
    typeof flags['symbols'] === 'string'
      ? flags['symbols'].split(',').map((s) => {
          const t = parseTicker(s.trim().toUpperCase());
          if (t === undefined) throw new ConfigError('--symbols', `'${s}' is not a ticker`);
          return t;
        })
      : undefined;
  if (broker === 'alpaca' && symbols === undefined) throw new ConfigError('--symbols', 'required with --broker alpaca');
  const sessionId = typeof flags['session'] === 'string' ? flags['session'] : `${strategyName}-${broker}`;
  const positive = (name: string): number | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(`--${name}`, `must be a positive number, got ${String(v)}`);
    return v;
  };
  const guardrails = planGuardrails(flags, live);
  const orphans = flags['orphans'] ?? 'cancel';
  if (orphans !== 'cancel' && orphans !== 'adopt') throw new ConfigError('--orphans', `expected cancel or adopt, got '${String(orphans)}'`);
  const stopAfter = positive('stop-after');
  return {
    strategyName,
    ...(strategyFile !== undefined ? { strategyFile } : {}),
    ...(manager !== undefined ? { manager } : {}),
    rawParams: typeof flags['params'] === 'string' ? parseParamList(flags['params']) : {},
    broker,
    live,
    sessionId,
    symbols,
    limits: guardrails.limits,
    killSwitch: guardrails.killSwitch,
    killSwitchIsDefault: guardrails.killSwitchIsDefault,
    killFilePollMs: positive('kill-file-poll-ms') ?? 1_000,
    maxOutageMs: positive('max-outage-ms') ?? 60_000,
    stepTimeoutMs: positive('step-timeout-ms'),
    sizing: sizingOf(flags),
    orphans,
    stopAfter,
  };
}

/**
 * `--strategy ./file.ts`: the strategy file, read and checked before anything opens. With
 * `--experiment`, the session trades (and records its days) only for an experiment and snapshot
 * that recorded this file's sha256: `findPromotedSnapshot` checks it when the recording starts, and
 * with `--live` `authorizeLiveTrading` refuses a live promotion of any other file (or none) before
 * the trader connects.
 */
function readStrategyFilePlan(source: string, cwd: string): LoadedStrategyFile {
  return loadStrategyFile(source, cwd, { key: '--strategy' });
}

/**
 * `--manager`: the manager file, read and checked before anything opens. Refused beside
 * `--strategy` or `--params`, and with `--live` or `--experiment`: promotions, evidence days and
 * capital stages are recorded and checked for one strategy and its parameters, so a manager could
 * trade sleeves no promotion covers; a manager trades on paper only.
 */
function readManagerPlan(flags: Readonly<Record<string, string | number | boolean>>, source: string, cwd: string): NonNullable<Plan['manager']> {
  for (const flag of ['strategy', 'params']) {
    if (flags[flag] !== undefined) throw new ConfigError('--manager', `the manager file ${source} names the strategies and their parameters: give it without --${flag}`);
  }
  for (const flag of ['live', 'experiment']) {
    if (flags[flag] !== undefined) {
      throw new ConfigError(
        '--manager',
        `cannot be combined with --${flag}: promotions, evidence days and capital stages cover one strategy and its parameters, not a manager's sleeves; a manager trades on paper only (docs/live-trading.md, "Strategy manager")`,
      );
    }
  }
  let text: string;
  try {
    text = readFileSync(resolve(cwd, source), 'utf8');
  } catch (error) {
    throw new ConfigError('--manager', `cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return { source, spec: parseStrategyManagerSpec(text, source) };
}
