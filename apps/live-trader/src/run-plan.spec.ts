import { ConfigError } from '@quantbot/core';
import { makePlan } from './run-plan';

describe('live-trader run --step-timeout-ms', () => {
  const plan = (flags: Record<string, string | number | boolean>) => makePlan({ broker: 'alpaca', symbols: 'AAA,BBB', ...flags });

  it("leaves the session's default (10 s) unless given, and takes a positive number of ms", () => {
    expect(plan({}).stepTimeoutMs).toBeUndefined();
    expect(plan({ 'step-timeout-ms': 300 }).stepTimeoutMs).toBe(300);
  });

  it.each([[0], [-5]])('refuses %j, naming the flag', (value) => {
    expect(() => plan({ 'step-timeout-ms': value })).toThrow(ConfigError);
    expect(() => plan({ 'step-timeout-ms': value })).toThrow(`--step-timeout-ms: must be a positive number, got ${value}`);
  });
});
