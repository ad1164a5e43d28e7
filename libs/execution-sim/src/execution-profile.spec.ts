import { ConfigError } from '@quantbot/core';
import { EXECUTION_PARAMETER_NAMES, EXECUTION_PROFILES, describeExecutionProfile, resolveExecutionProfile } from './execution-profile';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('resolveExecutionProfile', () => {
  it.each(['idealistic', 'realistic', 'stressed'] as const)('returns the shipped %s profile without overrides', (name) => {
    expect(resolveExecutionProfile(name)).toEqual(EXECUTION_PROFILES[name]);
  });

  it('applies overrides given as command-line strings or typed values', () => {
    const profile = resolveExecutionProfile('realistic', { slippageBps: '7', latencyMs: 250, intrabarPath: 'ohlc', limitFill: 'touch', lookbackBars: '5' });
    expect(profile).toEqual({ ...EXECUTION_PROFILES.realistic, slippageBps: 7, latencyMs: 250, intrabarPath: 'ohlc', limitFill: 'touch', lookbackBars: 5 });
  });

  it('returns a frozen profile and leaves the shipped one unchanged', () => {
    const profile = resolveExecutionProfile('realistic', { slippageBps: 9 });
    expect([Object.isFrozen(profile), EXECUTION_PROFILES.realistic.slippageBps]).toEqual([true, 1]);
  });

  it.each(['none', 'Infinity'])("reads maxParticipation '%s' as no cap", (raw) => {
    expect(resolveExecutionProfile('realistic', { maxParticipation: raw }).maxParticipation).toBe(Number.POSITIVE_INFINITY);
  });

  it('names the shipped profiles when the profile is unknown', () => {
    const error = configErrorOf(() => resolveExecutionProfile('optimistic'));
    expect([error.key, error.message]).toEqual(['executionProfile', expect.stringContaining("unknown profile 'optimistic'; available: idealistic, realistic, stressed")]);
  });

  it.each(['toString', 'constructor', '__proto__'])("rejects '%s', a name every object inherits, as an unknown profile", (name) => {
    expect(() => resolveExecutionProfile(name)).toThrow(ConfigError);
  });

  it('lists every known parameter when a parameter is unknown', () => {
    const error = configErrorOf(() => resolveExecutionProfile('realistic', { slipBps: 3 }));
    expect([error.key, error.message]).toEqual(['execution.slipBps', expect.stringContaining(`known: ${EXECUTION_PARAMETER_NAMES.join(', ')}`)]);
  });

  // [parameter, value, what the message says]
  const invalid: readonly [string, string | number, RegExp][] = [
    ['slippageBps', -1, /must not be negative, got -1/],
    ['feeMinimum', '-0.5', /must not be negative/],
    ['halfSpreadBps', NaN, /is not a number/],
    ['latencyMs', 'abc', /is not a number/],
    ['impactK', '', /is not a number/],
    ['impactK', '  ', /is not a number/],
    ['feeBps', Number.POSITIVE_INFINITY, /must be finite/],
    ['maxParticipation', 0, /must be above 0/],
    ['maxParticipation', -0.1, /must not be negative/],
    ['rejectProbability', 1.5, /is a probability, got 1.5/],
    ['lookbackBars', 1, /integer of at least 2/],
    ['lookbackBars', 2.5, /integer of at least 2/],
    ['intrabarPath', 'random', /not stop-first, target-first or ohlc/],
    ['limitFill', 'cross', /not touch or through/],
  ];

  it.each(invalid)('rejects %s = %p with a ConfigError naming it', (key, value, message) => {
    const error = configErrorOf(() => resolveExecutionProfile('idealistic', { [key]: value }));
    expect([error.code, error.key, error.message]).toEqual(['CONFIG_INVALID', `execution.${key}`, expect.stringMatching(message)]);
  });

  it('accepts the edges of the valid ranges', () => {
    const profile = resolveExecutionProfile('idealistic', { rejectProbability: 1, slippageBps: 0, lookbackBars: 2 });
    expect([profile.rejectProbability, profile.slippageBps, profile.lookbackBars]).toEqual([1, 0, 2]);
  });
});

describe('describeExecutionProfile', () => {
  it('writes no participation cap as null', () => {
    expect(describeExecutionProfile(EXECUTION_PROFILES.idealistic)['maxParticipation']).toBeNull();
  });
});
