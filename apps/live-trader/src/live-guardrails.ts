import { ALPACA_DATA_STREAM_URL, ALPACA_DATA_URL, ALPACA_LIVE_URL, ALPACA_PAPER_URL, classifyDataEndpoint, classifyTradingEndpoint, sessionEndpointMode } from '@quantbot/alpaca';
import type { AlpacaEndpointMode } from '@quantbot/alpaca';
import { ConfigError } from '@quantbot/core';
import { parseKillSwitchSettings, resolveRiskLimits } from '@quantbot/risk-guardrails';
import type { KillSwitchConfig, RiskLimits } from '@quantbot/risk-guardrails';
import { parseParamList } from '@quantbot/strategies';
import { LIVE_MAX_HALT_LEVEL_PCT } from '@quantbot/live';
import type { FlagValues } from '@quantbot/cli';

/**
 * The kill switch a live run gets when it names no halt level (`haltAtDrawdownPct`,
 * `flattenAtDrawdownPct` or `dailyLossLimitPct`): halt at a 5% intraday drawdown or a 2% loss on
 * the day, and stay halted until an operator re-arms.
 */
export const LIVE_DEFAULT_KILL_SWITCH: KillSwitchConfig = Object.freeze({ haltAtDrawdownPct: 5, dailyLossLimitPct: 2, rearm: 'manual' });

/** Every endpoint a `--broker alpaca` session talks to, and what they make of it. */
export interface SessionEndpoints {
  readonly tradingUrl: string;
  readonly dataUrl: string;
  readonly dataStreamUrl: string;
  readonly mode: AlpacaEndpointMode;
}

/**
 * Resolves and classifies the endpoints from the flags, before any DNS lookup or connection:
 * `--alpaca-url` (trading, market data and both streams), else Alpaca paper (or Alpaca live with
 * `--live`) with Alpaca's data hosts. An endpoint that is neither Alpaca paper nor loopback makes
 * the session live, which `--live` must say; `--live` against Alpaca paper is a contradiction.
 */
export function resolveEndpoints(flags: FlagValues, live: boolean): SessionEndpoints {
  const custom = typeof flags['alpaca-url'] === 'string' ? flags['alpaca-url'].replace(/\/+$/, '') : undefined;
  const tradingUrl = custom ?? (live ? ALPACA_LIVE_URL : ALPACA_PAPER_URL);
  const dataUrl = custom ?? ALPACA_DATA_URL;
  const dataStreamUrl = custom ?? ALPACA_DATA_STREAM_URL;
  const trading = classifyTradingEndpoint(tradingUrl, '--alpaca-url');
  const mode = sessionEndpointMode([trading, classifyDataEndpoint(dataUrl, '--alpaca-url'), classifyDataEndpoint(dataStreamUrl, '--alpaca-url')]);
  if (mode === 'live' && !live) {
    throw new ConfigError(
      '--alpaca-url',
      `${tradingUrl} is a live-money endpoint (neither Alpaca paper nor loopback); trading there needs --live with --confirm-live, --max-notional, --max-position and --experiment`,
    );
  }
  if (live && trading === 'paper') throw new ConfigError('--live', `${tradingUrl} is Alpaca paper; --live trades only at a live endpoint (or a loopback rehearsal)`);
  return { tradingUrl, dataUrl, dataStreamUrl, mode };
}

/** The gateway's settings from `--risk`, `--allow-symbols`, `--deny-symbols`, `--max-notional`, `--max-position` and `--kill-switch`. */
export function planGuardrails(flags: FlagValues, live: boolean): { readonly limits: RiskLimits; readonly killSwitch: KillSwitchConfig; readonly killSwitchIsDefault: boolean } {
  const raw: Record<string, string | number> = typeof flags['risk'] === 'string' ? { ...parseParamList(flags['risk'], '--risk') } : {};
  if (typeof flags['allow-symbols'] === 'string') raw['allowSymbols'] = flags['allow-symbols'];
  if (typeof flags['deny-symbols'] === 'string') raw['denySymbols'] = flags['deny-symbols'];
  for (const [flag, key] of [
    ['max-notional', 'maxOrderNotional'],
    ['max-position', 'maxPositionQty'],
  ] as const) {
    const value = flags[flag];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) throw new ConfigError(`--${flag}`, `must be a positive number, got ${String(value)}`);
    if (raw[key] !== undefined && Number(raw[key]) !== value) throw new ConfigError(`--${flag}`, `${value} contradicts --risk ${key}=${String(raw[key])}; give one`);
    raw[key] = value;
  }
  const limits = renamed('--risk', () => resolveRiskLimits(raw));
  const given = typeof flags['kill-switch'] === 'string' ? renamed('--kill-switch', () => parseKillSwitchSettings(parseParamList(flags['kill-switch'] as string, '--kill-switch'))) : {};
  if (live && given.rearm === 'auto') {
    throw new ConfigError('--kill-switch rearm', "a live session trades again after a halt only when an operator re-arms it ('live-trader kill-switch rearm'); rearm=auto is for paper and backtests");
  }
  const hasHaltLevel = given.haltAtDrawdownPct !== undefined || given.flattenAtDrawdownPct !== undefined || given.dailyLossLimitPct !== undefined;
  if (live && hasHaltLevel) {
    const lowest = Math.min(...[given.haltAtDrawdownPct, given.flattenAtDrawdownPct, given.dailyLossLimitPct].filter((v): v is number => v !== undefined));
    if (lowest > LIVE_MAX_HALT_LEVEL_PCT) throw new ConfigError('--kill-switch', `the lowest halt level is ${lowest}%: a live session must halt at ${LIVE_MAX_HALT_LEVEL_PCT}% or less`);
  }
  if (!live || hasHaltLevel) return { limits, killSwitch: given, killSwitchIsDefault: false };
  const killSwitch = renamed('--kill-switch', () => parseKillSwitchSettings(stringValues({ ...LIVE_DEFAULT_KILL_SWITCH, ...given })));
  return { limits, killSwitch, killSwitchIsDefault: true };
}

/** `haltAtDrawdownPct=5,dailyLossLimitPct=2,rearm=manual`, or `no levels (it only follows the kill file)`. */
export function describeKillSwitch(config: KillSwitchConfig): string {
  const entries = Object.entries(config).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? 'no levels (it only follows the kill file and operator triggers)' : entries.map(([k, v]) => `${k}=${String(v)}`).join(',');
}

function stringValues(config: KillSwitchConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
}

/** Runs `parse`, naming the flag in a library's `ConfigError` (which names only the setting). */
function renamed<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw error.withKey(`${flag} ${error.key}`);
    throw error;
  }
}
