import { ConfigError } from '@quantbot/core';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { validateSizingRule } from '@quantbot/risk-guardrails';

/** `--sizing` and `--sizing-pct` as a sizing rule, checked where it enters (the flag named in an error). */
export function sizingOf(flags: Readonly<Record<string, string | number | boolean>>): SizingRule {
  const kind = flags['sizing'] ?? 'percent-of-cash';
  if (kind !== 'percent-of-cash' && kind !== 'percent-of-equity') throw new ConfigError('--sizing', `unknown rule '${String(kind)}'; available: percent-of-cash, percent-of-equity`);
  const percent = flags['sizing-pct'] ?? 10;
  try {
    return validateSizingRule({ kind, percent: typeof percent === 'number' ? percent : Number.NaN });
  } catch (error) {
    throw error instanceof ConfigError ? error.withKey('--sizing-pct') : error;
  }
}
