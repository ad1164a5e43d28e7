import { ConfigError } from '@quantbot/core';
import { planFakeAlpaca } from './fake-alpaca-plan';

describe('live-trader fake-alpaca --order-latency', () => {
  const plan = (flags: Record<string, string | number | boolean>) => planFakeAlpaca({ days: 1, ...flags }, process.cwd());

  it('is immediate (all 0) by default, as before', () => {
    expect(plan({}).orderLatency).toEqual({ acceptMs: 0, cancelMs: 0, replaceMs: 0 });
  });

  it('takes accept, cancel and replace in ms of the replay clock; a part left out is 0', () => {
    expect(plan({ 'order-latency': 'accept=200,cancel=500,replace=500' }).orderLatency).toEqual({ acceptMs: 200, cancelMs: 500, replaceMs: 500 });
    expect(plan({ 'order-latency': 'cancel=1500' }).orderLatency).toEqual({ acceptMs: 0, cancelMs: 1_500, replaceMs: 0 });
  });

  it.each([
    ['accept=200,fill=5', /^--order-latency: 'fill=5' is not one of accept=ms, cancel=ms, replace=ms$/],
    ['accept', /^--order-latency: 'accept' is not one of accept=ms, cancel=ms, replace=ms$/],
    ['cancel=-1', /^--order-latency: cancel: must be a number of ms ≥ 0, got '-1'$/],
    ['replace=soon', /^--order-latency: replace: must be a number of ms ≥ 0, got 'soon'$/],
    ['accept=', /^--order-latency: accept: must be a number of ms ≥ 0, got ''$/],
    ['accept=1,accept=2', /^--order-latency: accept is given twice$/],
  ])('refuses %j, naming the flag', (value, message) => {
    expect(() => plan({ 'order-latency': value })).toThrow(ConfigError);
    expect(() => plan({ 'order-latency': value })).toThrow(message);
  });
});

describe('live-trader fake-alpaca --stream-connections and --stream-auth-timeout-ms', () => {
  const plan = (flags: Record<string, string | number | boolean>) => planFakeAlpaca({ days: 1, ...flags }, process.cwd());

  it("leave the fake's defaults (Alpaca's: 1 connection, 10 s) unless given", () => {
    expect(plan({})).toMatchObject({ streamConnectionsPerKey: undefined, streamAuthTimeoutMs: undefined });
    expect(plan({ 'stream-connections': 2, 'stream-auth-timeout-ms': 250 })).toMatchObject({ streamConnectionsPerKey: 2, streamAuthTimeoutMs: 250 });
  });

  it.each([
    [{ 'stream-connections': 0 }, /^--stream-connections: must be a whole number ≥ 1, got 0$/],
    [{ 'stream-connections': 1.5 }, /^--stream-connections: must be a whole number ≥ 1, got 1.5$/],
    [{ 'stream-auth-timeout-ms': 0 }, /^--stream-auth-timeout-ms: must be a positive number of ms, got 0$/],
  ])('refuses %j, naming the flag', (flags, message) => {
    expect(() => plan(flags)).toThrow(ConfigError);
    expect(() => plan(flags)).toThrow(message);
  });
});
