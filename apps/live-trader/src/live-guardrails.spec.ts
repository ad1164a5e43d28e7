import { ConfigError } from '@quantbot/core';
import { LIVE_DEFAULT_KILL_SWITCH, describeKillSwitch, planGuardrails, resolveEndpoints } from './live-guardrails';

describe('resolveEndpoints: the endpoint decides the mode, not the flag', () => {
  it('is Alpaca paper by default and Alpaca live with --live', () => {
    expect(resolveEndpoints({}, false)).toEqual({
      tradingUrl: 'https://paper-api.alpaca.markets',
      dataUrl: 'https://data.alpaca.markets',
      dataStreamUrl: 'wss://stream.data.alpaca.markets',
      mode: 'paper',
    });
    expect(resolveEndpoints({}, true)).toMatchObject({ tradingUrl: 'https://api.alpaca.markets', mode: 'live' });
  });

  it.each(['https://api.alpaca.markets', 'https://api.alpaca.markets/', 'https://proxy.example.com', 'http://10.1.2.3:8787', 'http://localhost.example.com'])(
    'refuses --alpaca-url %s without --live: it may be real money',
    (url) => {
      expect(() => resolveEndpoints({ 'alpaca-url': url }, false)).toThrow(ConfigError);
      expect(() => resolveEndpoints({ 'alpaca-url': url }, false)).toThrow(/--alpaca-url: .* is a live-money endpoint .* needs --live/);
    },
  );

  it('takes a loopback server as local, and Alpaca paper as paper', () => {
    expect(resolveEndpoints({ 'alpaca-url': 'http://127.0.0.1:8787' }, false)).toMatchObject({ dataUrl: 'http://127.0.0.1:8787', dataStreamUrl: 'http://127.0.0.1:8787', mode: 'local' });
    expect(resolveEndpoints({ 'alpaca-url': 'https://paper-api.alpaca.markets' }, false)).toMatchObject({ dataUrl: 'https://paper-api.alpaca.markets', mode: 'paper' });
  });

  it('refuses --live against Alpaca paper, and allows a live rehearsal against loopback', () => {
    expect(() => resolveEndpoints({ 'alpaca-url': 'https://paper-api.alpaca.markets' }, true)).toThrow(/--live: .* is Alpaca paper/);
    expect(resolveEndpoints({ 'alpaca-url': 'http://127.0.0.1:8787' }, true).mode).toBe('local');
    expect(resolveEndpoints({ 'alpaca-url': 'https://api.alpaca.markets' }, true).mode).toBe('live');
  });
});

describe('planGuardrails: --risk, --kill-switch and the live default', () => {
  it('reads the same settings as the backtester', () => {
    const plan = planGuardrails(
      { risk: 'maxPositionPctEquity=20,priceBandPct=10,allowShort=false,maxGapAdjustedExposurePct=50,defaultGapRisk=0.1', 'kill-switch': 'reduceAtDrawdownPct=2,haltAtDrawdownPct=4,cooldownMs=60000,rearm=manual', 'deny-symbols': 'ZZZ' },
      false,
    );
    expect(plan.limits).toMatchObject({ maxPositionPctEquity: 20, priceBandPct: 10, allowShort: false, maxGapAdjustedExposurePct: 50, defaultGapRisk: 0.1, denySymbols: ['ZZZ'] });
    expect(plan.killSwitch).toEqual({ reduceAtDrawdownPct: 2, haltAtDrawdownPct: 4, cooldownMs: 60_000, rearm: 'manual' });
    expect(plan.killSwitchIsDefault).toBe(false);
  });

  it('gives a live run with no halt level the documented default, keeping what was given', () => {
    expect(planGuardrails({}, true)).toMatchObject({ killSwitch: LIVE_DEFAULT_KILL_SWITCH, killSwitchIsDefault: true });
    expect(planGuardrails({ 'kill-switch': 'reduceAtDrawdownPct=3,cooldownMs=1000' }, true).killSwitch).toEqual({ ...LIVE_DEFAULT_KILL_SWITCH, reduceAtDrawdownPct: 3, cooldownMs: 1000 });
    expect(planGuardrails({ 'kill-switch': 'dailyLossLimitPct=1' }, true)).toMatchObject({ killSwitch: { dailyLossLimitPct: 1 }, killSwitchIsDefault: false });
    // Paper keeps exactly what it was given (no levels: it follows the kill file only).
    expect(planGuardrails({}, false)).toMatchObject({ killSwitch: {}, killSwitchIsDefault: false });
    expect(describeKillSwitch(LIVE_DEFAULT_KILL_SWITCH)).toBe('haltAtDrawdownPct=5,dailyLossLimitPct=2,rearm=manual');
  });

  it('refuses automatic re-arm for live money: only an operator re-arms a live session', () => {
    expect(() => planGuardrails({ 'kill-switch': 'haltAtDrawdownPct=4,rearm=auto' }, true)).toThrow(/--kill-switch rearm: a live session trades again after a halt only when an operator re-arms it/);
    expect(planGuardrails({ 'kill-switch': 'haltAtDrawdownPct=4,rearm=auto' }, false).killSwitch.rearm).toBe('auto');
  });

  it('refuses a default that cannot apply: a reduce level above it needs an explicit halt level', () => {
    expect(() => planGuardrails({ 'kill-switch': 'reduceAtDrawdownPct=8' }, true)).toThrow(/--kill-switch haltAtDrawdownPct: 5 is below reduceAtDrawdownPct 8/);
  });

  it('merges --max-notional and --max-position with --risk, refusing a contradiction', () => {
    expect(planGuardrails({ 'max-notional': 5000, 'max-position': 10, risk: 'priceBandPct=5' }, true).limits).toMatchObject({ maxOrderNotional: 5000, maxPositionQty: 10, priceBandPct: 5 });
    expect(planGuardrails({ 'max-notional': 5000, risk: 'maxOrderNotional=5000' }, true).limits.maxOrderNotional).toBe(5000);
    expect(() => planGuardrails({ 'max-notional': 5000, risk: 'maxOrderNotional=9000' }, true)).toThrow(/--max-notional: 5000 contradicts --risk maxOrderNotional=9000/);
  });

  it('names the flag and the setting of a bad value', () => {
    expect(() => planGuardrails({ 'kill-switch': 'haltAtDrawdownPct=lots' }, false)).toThrow(/--kill-switch haltAtDrawdownPct: 'lots' is not a number/);
    expect(() => planGuardrails({ risk: 'maxOrderNotionl=5' }, false)).toThrow(/--risk maxOrderNotionl: unknown risk limit/);
    expect(() => planGuardrails({ 'max-position': -1 }, false)).toThrow(/--max-position: must be a positive number/);
  });
});
