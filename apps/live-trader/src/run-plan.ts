import type { Ticker } from '@quantbot/core';
import { ConfigError, parseTicker } from '@quantbot/core';
import type { OrphanPolicy } from '@quantbot/live';
import type { KillSwitchConfig, RiskLimits, SizingRule } from '@quantbot/risk-guardrails';
import { parseParamList } from '@quantbot/strategies';
import { planGuardrails } from './live-guardrails';
import { sizingOf } from './sizing-flags';

/** What `live-trader run`'s flags ask for, checked. */
export interface Plan {
  readonly strategyName: string;
  readonly rawParams: Readonly<Record<string, string>>;
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

/** Checks the flags of `live-trader run` into a plan; a bad value is a `ConfigError` naming its flag. */
export function makePlan(flags: Readonly<Record<string, string | number | boolean>>): Plan {
  const strategyName = typeof flags['strategy'] === 'string' ? flags['strategy'] : 'sma-crossover';
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
