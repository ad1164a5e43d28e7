import { readFileSync } from 'node:fs';
import { ALERT_SEVERITIES, ConfigError } from '@quantbot/core';
import type { AlertSeverity } from '@quantbot/core';

export { ALERT_SEVERITIES };
export type { AlertSeverity };

/** The service level objectives of a live trading session, by name. */
export const SLO_NAMES = [
  'orderAckLatency',
  'marketDataStaleness',
  'brokerConnection',
  'rejectRate',
  'fillRate',
  'reconciliationDrift',
  'checkpointAge',
  'killSwitch',
] as const;

/** One of {@link SLO_NAMES}. */
export type SloName = (typeof SLO_NAMES)[number];

/**
 * A multi-window burn-rate alert rule (the "multiwindow, multi-burn-rate" alerts of Google's SRE
 * workbook, chapter "Alerting on SLOs"): it fires when the burn rate over the long window AND over
 * the short window are both above `burnRate`, and resolves when either falls back to it or below.
 * The long window makes the alert significant; the short one makes it resolve soon after the
 * problem stops.
 */
export interface BurnRateRule {
  /** A short stable name, unique within its SLO (`fast-burn`): part of the alert key. */
  readonly name: string;
  readonly severity: AlertSeverity;
  /** The long window, in minutes (> `shortWindowMinutes`). */
  readonly longWindowMinutes: number;
  /** The short window, in minutes (> 0). */
  readonly shortWindowMinutes: number;
  /**
   * The burn-rate factor: how many times faster than "exactly the whole budget over the period"
   * the budget is being spent. 1 spends the session's budget in exactly one session.
   */
  readonly burnRate: number;
}

/** Settings shared by every SLO. */
export interface SloSettings {
  /** False to neither evaluate nor alert on this SLO. */
  readonly enabled: boolean;
  /** The target fraction of good events or good time, strictly between 0 and 1 (0.99 is "99 %"). */
  readonly objective: number;
  /** The burn-rate alert rules. */
  readonly alerts: readonly BurnRateRule[];
}

/** An SLO over events (orders, reconciliations): `minEvents` guards against alerting on one event in a quiet window. */
export interface EventSloSettings extends SloSettings {
  /** Fewest events in a rule's long window for that rule to fire (a whole number ≥ 1). */
  readonly minEvents: number;
}

/** The whole SLO configuration: `config/slo.json`. */
export interface SloConfig {
  /** A whole number ≥ 1, raised when an objective or threshold changes. */
  readonly version: number;
  /**
   * The error-budget period in minutes: a US equity regular session is 390 (6 h 30 min). The
   * budget left is measured over the latest period (or since the monitor started, if sooner).
   */
  readonly periodMinutes: number;
  readonly slos: {
    /** Good: the broker acknowledged an order within `thresholdMs` (an order with no answer is bad). */
    readonly orderAckLatency: EventSloSettings & { readonly thresholdMs: number };
    /** Good time: the newest market data is at most `maxAgeSeconds` old. */
    readonly marketDataStaleness: SloSettings & { readonly maxAgeSeconds: number };
    /** Good time: every broker channel that reported a state is connected. */
    readonly brokerConnection: SloSettings;
    /** Good: an order the broker answered was not rejected. */
    readonly rejectRate: EventSloSettings;
    /** Good: an order that reached a final state filled. */
    readonly fillRate: EventSloSettings;
    /** Good: a reconciliation found no drift between the books and the broker (any drift is bad). */
    readonly reconciliationDrift: EventSloSettings;
    /** Good time: the latest checkpoint was saved at most `maxAgeSeconds` ago. */
    readonly checkpointAge: SloSettings & { readonly maxAgeSeconds: number };
    /** Good time: trading is not halted by the kill switch. */
    readonly killSwitch: SloSettings;
  };
}

/** The default location of the SLO file, relative to the workspace root. */
export const DEFAULT_SLO_CONFIG_FILE = 'config/slo.json';

/**
 * The default burn-rate rules, adapted from the SRE workbook's 30-day ones (page at 14.4× over
 * 1 h and 5 min, page at 6× over 6 h and 30 min, ticket at 1× over 3 days and 6 h) to a session
 * of 390 minutes: page at 14.4× over 60 and 5 minutes, critical at 6× over 360 and 30 minutes,
 * warning at 3× over 120 and 10 minutes.
 */
export const DEFAULT_BURN_RATE_RULES: readonly BurnRateRule[] = deepFreeze([
  { name: 'fast-burn', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
  { name: 'slow-burn', severity: 'critical', longWindowMinutes: 360, shortWindowMinutes: 30, burnRate: 6 },
  { name: 'steady-burn', severity: 'warning', longWindowMinutes: 120, shortWindowMinutes: 10, burnRate: 3 },
]);

const rules = (): readonly BurnRateRule[] => DEFAULT_BURN_RATE_RULES;

/** The configuration used when there is no file; `config/slo.json` holds the same values. */
export const DEFAULT_SLO_CONFIG: SloConfig = deepFreeze({
  version: 1,
  periodMinutes: 390,
  slos: {
    orderAckLatency: { enabled: true, objective: 0.99, thresholdMs: 1000, minEvents: 5, alerts: rules() },
    marketDataStaleness: { enabled: true, objective: 0.99, maxAgeSeconds: 180, alerts: rules() },
    brokerConnection: { enabled: true, objective: 0.995, alerts: rules() },
    rejectRate: { enabled: true, objective: 0.98, minEvents: 5, alerts: rules() },
    fillRate: { enabled: true, objective: 0.9, minEvents: 5, alerts: rules() },
    reconciliationDrift: { enabled: true, objective: 0.999, minEvents: 1, alerts: rules() },
    checkpointAge: { enabled: true, objective: 0.99, maxAgeSeconds: 120, alerts: rules() },
    killSwitch: { enabled: true, objective: 0.99, alerts: rules() },
  },
});

type Fail = (field: string, reason: string) => never;
type InputObject = { readonly [key: string]: unknown };

const RULE_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const COMMON_KEYS = ['enabled', 'objective', 'alerts'];
const SLO_EXTRA_KEYS: { readonly [name in SloName]: readonly string[] } = {
  orderAckLatency: ['thresholdMs', 'minEvents'],
  marketDataStaleness: ['maxAgeSeconds'],
  brokerConnection: [],
  rejectRate: ['minEvents'],
  fillRate: ['minEvents'],
  reconciliationDrift: ['minEvents'],
  checkpointAge: ['maxAgeSeconds'],
  killSwitch: [],
};

/**
 * Parses the text of an SLO file:
 *
 * ```json
 * { "version": 1, "periodMinutes": 390,
 *   "defaultAlerts": [{ "name": "fast-burn", "severity": "page", "longWindowMinutes": 60, "shortWindowMinutes": 5, "burnRate": 14.4 }],
 *   "slos": { "orderAckLatency": { "objective": 0.99, "thresholdMs": 1000, "minEvents": 5 } } }
 * ```
 *
 * Every field but `version` is optional and falls back to {@link DEFAULT_SLO_CONFIG}; an SLO
 * without `alerts` uses `defaultAlerts` (itself defaulting to {@link DEFAULT_BURN_RATE_RULES}).
 * Unknown fields are refused so that a misspelt one cannot silently fall back to a default.
 * Throws a `ConfigError` whose key is the field path (`slos.orderAckLatency.objective`) and whose
 * message starts with `file` when given: `config/slo.json: slos.orderAckLatency.objective: must
 * be between 0 and 1 (exclusive), got 1.5`.
 */
export function parseSloConfig(text: string, file: string | null = null): SloConfig {
  const fail: Fail = (field, reason) => {
    const error = new ConfigError(field === '' ? 'slo config' : field, reason);
    if (file !== null) error.message = `${file}: ${error.message}`;
    throw error;
  };
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    fail('', `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const root = readObject(value, '', fail);
  rejectUnknownKeys(root, ['version', 'description', 'periodMinutes', 'defaultAlerts', 'slos'], '', fail);
  const version = readNumber(root, 'version', '', fail, { integer: true, min: 1, required: true }) ?? 1;
  if (root['description'] !== undefined && typeof root['description'] !== 'string') fail('description', `must be a string, got ${describe(root['description'])}`);
  const periodMinutes = readNumber(root, 'periodMinutes', '', fail, { positive: true }) ?? DEFAULT_SLO_CONFIG.periodMinutes;
  const defaultAlerts = root['defaultAlerts'] === undefined ? DEFAULT_BURN_RATE_RULES : readRules(root['defaultAlerts'], 'defaultAlerts', fail);
  const slosInput = root['slos'] === undefined ? {} : readObject(root['slos'], 'slos', fail);
  rejectUnknownKeys(slosInput, SLO_NAMES, 'slos', fail);

  const read = <N extends SloName>(name: N): SloConfig['slos'][N] => {
    const path = `slos.${name}`;
    const defaults = DEFAULT_SLO_CONFIG.slos[name] as SloSettings & Record<string, unknown>;
    const input = slosInput[name] === undefined ? {} : readObject(slosInput[name], path, fail);
    rejectUnknownKeys(input, [...COMMON_KEYS, ...SLO_EXTRA_KEYS[name]], path, fail);
    const enabled = input['enabled'] === undefined ? defaults.enabled : input['enabled'];
    if (typeof enabled !== 'boolean') fail(`${path}.enabled`, `must be true or false, got ${describe(enabled)}`);
    const objective = readNumber(input, 'objective', path, fail, {}) ?? defaults.objective;
    if (!(objective > 0 && objective < 1)) fail(`${path}.objective`, `must be between 0 and 1 (exclusive), got ${objective}`);
    const settings: Record<string, unknown> = {
      enabled,
      objective,
      alerts: input['alerts'] === undefined ? defaultAlerts : readRules(input['alerts'], `${path}.alerts`, fail),
    };
    for (const key of SLO_EXTRA_KEYS[name]) {
      const integer = key === 'minEvents';
      const parsed = readNumber(input, key, path, fail, integer ? { integer: true, min: 1 } : { positive: true });
      settings[key] = parsed ?? defaults[key];
    }
    return settings as unknown as SloConfig['slos'][N];
  };

  const config: SloConfig = {
    version,
    periodMinutes,
    slos: {
      orderAckLatency: read('orderAckLatency'),
      marketDataStaleness: read('marketDataStaleness'),
      brokerConnection: read('brokerConnection'),
      rejectRate: read('rejectRate'),
      fillRate: read('fillRate'),
      reconciliationDrift: read('reconciliationDrift'),
      checkpointAge: read('checkpointAge'),
      killSwitch: read('killSwitch'),
    },
  };
  return deepFreeze(config);
}

/**
 * Reads and parses an SLO file (see {@link parseSloConfig}). A file that cannot be read is a
 * `ConfigError` naming it. Pass `{ optional: true }` to get {@link DEFAULT_SLO_CONFIG} when the
 * file does not exist.
 */
export function loadSloConfig(path: string = DEFAULT_SLO_CONFIG_FILE, options: { readonly optional?: boolean } = {}): SloConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (options.optional === true && (error as { code?: unknown }).code === 'ENOENT') return DEFAULT_SLO_CONFIG;
    throw new ConfigError('slo config', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseSloConfig(text, path);
}

function readRules(value: unknown, path: string, fail: Fail): readonly BurnRateRule[] {
  if (!Array.isArray(value)) fail(path, `must be an array of alert rules, got ${describe(value)}`);
  const list = value as readonly unknown[];
  const seen = new Set<string>();
  return list.map((item, index) => {
    const at = `${path}[${index}]`;
    const rule = readObject(item, at, fail);
    rejectUnknownKeys(rule, ['name', 'severity', 'longWindowMinutes', 'shortWindowMinutes', 'burnRate'], at, fail);
    const name = rule['name'];
    if (typeof name !== 'string' || !RULE_NAME.test(name)) fail(`${at}.name`, `must be 1–40 characters of a-z, 0-9 and '-', got ${describe(name)}`);
    if (seen.has(name as string)) fail(`${at}.name`, `'${name as string}' is used by another rule of the same SLO`);
    seen.add(name as string);
    const severity = rule['severity'];
    if (!(ALERT_SEVERITIES as readonly unknown[]).includes(severity)) fail(`${at}.severity`, `must be one of ${ALERT_SEVERITIES.join(', ')}, got ${describe(severity)}`);
    const longWindowMinutes = readNumber(rule, 'longWindowMinutes', at, fail, { positive: true, required: true }) ?? 0;
    const shortWindowMinutes = readNumber(rule, 'shortWindowMinutes', at, fail, { positive: true, required: true }) ?? 0;
    if (!(shortWindowMinutes < longWindowMinutes)) fail(`${at}.shortWindowMinutes`, `must be shorter than longWindowMinutes (${longWindowMinutes}), got ${shortWindowMinutes}`);
    const burnRate = readNumber(rule, 'burnRate', at, fail, { positive: true, required: true }) ?? 0;
    return { name: name as string, severity: severity as AlertSeverity, longWindowMinutes, shortWindowMinutes, burnRate };
  });
}

interface NumberRule {
  readonly integer?: boolean;
  readonly min?: number;
  readonly positive?: boolean;
  readonly required?: boolean;
}

function readNumber(object: InputObject, key: string, parent: string, fail: Fail, rule: NumberRule): number | undefined {
  const field = parent === '' ? key : `${parent}.${key}`;
  const value = object[key];
  if (value === undefined) {
    if (rule.required === true) fail(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `must be a finite number, got ${describe(value)}`);
  const n = value as number;
  if (rule.integer === true && !Number.isSafeInteger(n)) fail(field, `must be a whole number, got ${n}`);
  if (rule.min !== undefined && n < rule.min) fail(field, `must be ≥ ${rule.min}, got ${n}`);
  if (rule.positive === true && !(n > 0)) fail(field, `must be greater than 0, got ${n}`);
  return n;
}

function readObject(value: unknown, field: string, fail: Fail): InputObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, `must be a JSON object, got ${describe(value)}`);
  return value as InputObject;
}

function rejectUnknownKeys(object: InputObject, known: readonly string[], parent: string, fail: Fail): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) fail(parent === '' ? key : `${parent}.${key}`, `unknown field; expected one of ${known.join(', ')}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object) as unknown[]) deepFreeze(inner);
  }
  return value;
}
