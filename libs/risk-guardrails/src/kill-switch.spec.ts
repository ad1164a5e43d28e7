import { ConfigError, epochMs } from '@quantbot/core';
import type { AuditEntry, AuditSink, EpochMs } from '@quantbot/core';
import { KillSwitch, KillSwitchError, nextKillSwitchState, parseKillSwitchSettings, validateKillSwitchConfig } from './kill-switch';
import type { KillSwitchConfig } from './kill-switch';

const HOUR = 3_600_000;
const DAY0 = Date.UTC(2024, 0, 2);

/** `h` hours into day `d` (UTC). */
function at(h: number, d = 0): EpochMs {
  return epochMs(DAY0 + d * 24 * HOUR + h * HOUR);
}

class RecordingSink implements AuditSink {
  readonly entries: AuditEntry[] = [];
  append(entry: AuditEntry): void {
    this.entries.push(entry);
  }
}

const LEVELS: KillSwitchConfig = { reduceAtDrawdownPct: 2, haltAtDrawdownPct: 5, flattenAtDrawdownPct: 10 };

describe('KillSwitch', () => {
  describe('drawdown levels', () => {
    it.each([
      [99_000, 'active'],
      [98_000, 'reducing'],
      [95_000, 'halted'],
      [90_000, 'flatten'],
      [80_000, 'flatten'],
    ] as const)('from a high of 100000, equity %p → %s', (equity, state) => {
      const ks = new KillSwitch(LEVELS);
      ks.observe(at(0), 100_000);
      expect(ks.observe(at(1), equity)).toBe(state);
    });

    it('escalates step by step active → reducing → halted → flatten', () => {
      const ks = new KillSwitch(LEVELS);
      const states = [100_000, 98_000, 95_000, 90_000].map((e, i) => ks.observe(at(i), e));
      expect(states).toEqual(['active', 'reducing', 'halted', 'flatten']);
      expect(ks.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['active→reducing', 'reducing→halted', 'halted→flatten']);
      expect(ks.reason).toBe('intraday drawdown 10.00% reached the flatten level 10.00%');
      expect(ks.triggeredAt).toBe(at(3));
    });

    it('never de-escalates when equity recovers', () => {
      const ks = new KillSwitch(LEVELS);
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 95_000);
      expect(ks.observe(at(2), 101_000)).toBe('halted');
    });

    it('measures drawdown from the high-water mark of the day', () => {
      const ks = new KillSwitch(LEVELS);
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 110_000);
      expect(ks.observe(at(2), 104_000)).toBe('halted');
      expect(ks.currentDrawdownPct).toBeCloseTo(5.4545, 3);
    });
  });

  describe('daily loss', () => {
    it('halts when the loss from the previous day’s last equity reaches the limit', () => {
      const ks = new KillSwitch({ dailyLossLimitPct: 3 });
      ks.observe(at(10), 101_000);
      ks.observe(at(20), 100_000);
      expect(ks.observe(at(1, 1), 97_500)).toBe('active');
      expect(ks.observe(at(2, 1), 97_000)).toBe('halted');
      expect(ks.reason).toBe('daily loss 3.00% reached the limit 3.00%');
    });
  });

  describe('high-water mark', () => {
    it('resets to the first equity of a new UTC day and remembers the previous day’s close', () => {
      const ks = new KillSwitch({ reduceAtDrawdownPct: 5 });
      ks.observe(at(1), 110_000);
      ks.observe(at(20), 105_000);
      expect(ks.currentDrawdownPct).toBeCloseTo(4.545, 2);
      ks.observe(at(1, 1), 105_000);
      expect(ks.currentDrawdownPct).toBe(0);
      expect(ks.toJSON()).toMatchObject({ day: '2024-01-03', dayHighWaterMark: 105_000, previousDayEquity: 105_000 });
      // Against yesterday's high of 110000 this would be 9 %; against today's 105000 it is 4.76 %.
      expect(ks.observe(at(2, 1), 100_000)).toBe('active');
      expect(ks.maxIntradayDrawdownPct).toBeCloseTo(4.762, 2);
    });
  });

  describe('external triggers', () => {
    it('escalates on command and ignores a trigger at or below the current state', () => {
      const ks = new KillSwitch({});
      expect(ks.trigger('halted', 'operator stop', at(1), 'external')).toBe(true);
      expect(ks.state).toBe('halted');
      expect(ks.reason).toBe('operator stop');
      expect(ks.trigger('reducing', 'late reduce', at(2), 'data-quality')).toBe(false);
      expect(ks.trigger('halted', 'again', at(2), 'data-quality')).toBe(false);
      expect(ks.state).toBe('halted');
      expect(ks.trigger('flatten', 'close all', at(3))).toBe(true);
      expect(ks.state).toBe('flatten');
    });

    it('rejects an unknown level with a typed error', () => {
      const ks = new KillSwitch({});
      expect(() => ks.trigger('paused' as never, 'x', at(1))).toThrow(KillSwitchError);
    });
  });

  describe('flattened', () => {
    it('moves flatten → halted and does not re-flatten for the same drawdown', () => {
      const ks = new KillSwitch(LEVELS);
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 89_000);
      ks.flattened(at(2));
      expect(ks.state).toBe('halted');
      expect(ks.observe(at(3), 88_000)).toBe('halted');
      expect(ks.transitions.at(-1)).toEqual({ time: at(2), from: 'flatten', to: 'halted', reason: 'every position closed' });
    });

    it('is an invalid transition outside flatten', () => {
      const ks = new KillSwitch(LEVELS);
      expect(() => ks.flattened(at(1))).toThrow(new KillSwitchError("kill switch: event 'flattened' is not allowed in state 'active' at 2024-01-02T01:00:00.000Z"));
      try {
        ks.flattened(at(1));
      } catch (e) {
        expect((e as KillSwitchError).code).toBe('KILL_SWITCH');
      }
    });
  });

  describe('the transition table', () => {
    it.each([
      ['halted', 'reduce'],
      ['flatten', 'halt'],
      ['active', 'rearm'],
      ['reducing', 'flattened'],
    ] as const)('refuses %s + %s with a KillSwitchError', (from, event) => {
      expect(() => nextKillSwitchState(from, event)).toThrow(KillSwitchError);
    });

    it.each([
      ['active', 'reduce', 'reducing'],
      ['reducing', 'halt', 'halted'],
      ['halted', 'flatten', 'flatten'],
      ['flatten', 'flattened', 'halted'],
      ['halted', 'rearm', 'active'],
    ] as const)('allows %s + %s → %s', (from, event, to) => {
      expect(nextKillSwitchState(from, event)).toBe(to);
    });
  });

  describe('re-arm', () => {
    it('refuses a manual re-arm inside the cooldown and allows it after', () => {
      const audit = new RecordingSink();
      const ks = new KillSwitch({ haltAtDrawdownPct: 5, cooldownMs: HOUR }, audit);
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 94_000);
      expect(ks.rearm(at(1.5), 'risk desk')).toBe(false);
      expect(ks.state).toBe('halted');
      expect(audit.entries.at(-1)).toMatchObject({ kind: 're-arm-refused', detail: { reason: 'the cooldown runs until 2024-01-02T02:00:00.000Z', by: 'risk desk' } });
      expect(ks.rearm(at(2), 'risk desk')).toBe(true);
      expect(ks.state).toBe('active');
      expect(audit.entries.at(-1)).toMatchObject({ kind: 're-arm', detail: { from: 'halted', to: 'active', by: 'risk desk' } });
    });

    it('refuses a re-arm while active', () => {
      const ks = new KillSwitch({});
      expect(ks.rearm(at(1), 'risk desk')).toBe(false);
      expect(ks.toJSON().rearmRefusals).toBe(1);
    });

    it('restarts the high-water mark after a manual re-arm', () => {
      const ks = new KillSwitch({ haltAtDrawdownPct: 5 });
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 94_000);
      ks.rearm(at(2), 'risk desk');
      expect(ks.observe(at(3), 93_000)).toBe('active');
    });

    it('re-arms automatically once the cooldown has passed and the drawdown recovered', () => {
      const ks = new KillSwitch({ reduceAtDrawdownPct: 2, haltAtDrawdownPct: 5, cooldownMs: HOUR, rearm: 'auto' });
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 95_000);
      expect(ks.observe(at(1.5), 99_000)).toBe('halted'); // recovered, but inside the cooldown
      expect(ks.observe(at(2), 97_000)).toBe('halted'); // cooldown over, drawdown still 3 %
      expect(ks.observe(at(3), 99_500)).toBe('active');
      expect(ks.transitions.at(-1)).toMatchObject({ from: 'halted', to: 'active', reason: 'automatic re-arm: cooldown passed and drawdown recovered' });
      // A fresh high-water mark of 99500: 98000 is 1.5 % below it (2 % below the old 100000).
      expect(ks.observe(at(4), 98_000)).toBe('active');
    });

    it('does not auto re-arm after an external trigger or out of flatten', () => {
      const external = new KillSwitch({ reduceAtDrawdownPct: 2, rearm: 'auto' });
      external.observe(at(0), 100_000);
      external.trigger('halted', 'operator stop', at(1), 'external');
      expect(external.observe(at(5), 100_000)).toBe('halted');

      const flat = new KillSwitch({ flattenAtDrawdownPct: 2, rearm: 'auto' });
      flat.observe(at(0), 100_000);
      flat.observe(at(1), 97_000);
      expect(flat.observe(at(2), 100_500)).toBe('flatten');
      flat.flattened(at(3));
      expect(flat.observe(at(4), 100_500)).toBe('active');
    });
  });

  describe('time in state', () => {
    it('accounts the time between observations and transitions to the state they were spent in', () => {
      const ks = new KillSwitch({ haltAtDrawdownPct: 5 });
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 94_000);
      ks.observe(at(3), 94_000);
      ks.rearm(at(4), 'risk desk');
      ks.observe(at(6), 94_000);
      expect(ks.timeInStateMs()).toEqual({ active: 3 * HOUR, reducing: 0, halted: 3 * HOUR, flatten: 0 });
    });
  });

  describe('snapshots', () => {
    it('restores mid-halt and then behaves exactly as the original', () => {
      const config: KillSwitchConfig = { ...LEVELS, dailyLossLimitPct: 4, cooldownMs: HOUR };
      const original = new KillSwitch(config);
      original.observe(at(20, -1), 100_000);
      original.observe(at(0), 100_000);
      original.observe(at(1), 94_000);
      const snapshot = JSON.parse(JSON.stringify(original.toJSON())) as ReturnType<KillSwitch['toJSON']>;
      const restored = KillSwitch.restore(config, snapshot);
      expect(restored.toJSON()).toEqual(original.toJSON());
      const script: ((ks: KillSwitch) => unknown)[] = [
        (ks) => ks.observe(at(1.5), 95_000),
        (ks) => ks.rearm(at(1.5), 'desk'),
        (ks) => ks.rearm(at(2), 'desk'),
        (ks) => ks.observe(at(3), 94_000),
        (ks) => ks.observe(at(1, 1), 94_000),
        (ks) => ks.observe(at(2, 1), 84_000),
        (ks) => ks.flattened(at(3, 1)),
        (ks) => ks.state,
      ];
      for (const step of script) expect(step(restored)).toEqual(step(original));
      expect(restored.toJSON()).toEqual(original.toJSON());
    });

    it('rejects a snapshot with an unknown state', () => {
      const snapshot = { ...new KillSwitch({}).toJSON(), state: 'paused' as never };
      expect(() => KillSwitch.restore({}, snapshot)).toThrow(KillSwitchError);
    });
  });

  describe('audit', () => {
    it('appends every transition with from, to, reason, drawdown and equity', () => {
      const audit = new RecordingSink();
      const ks = new KillSwitch(LEVELS, audit);
      ks.observe(at(0), 100_000);
      ks.observe(at(1), 98_000);
      expect(audit.entries).toEqual([
        {
          time: at(1),
          kind: 'state-transition',
          detail: {
            from: 'active',
            to: 'reducing',
            reason: 'intraday drawdown 2.00% reached the reducing level 2.00%',
            source: 'drawdown',
            drawdownPct: 2,
            dailyLossPct: 0,
            equity: 98_000,
          },
        },
      ]);
    });
  });

  describe('config', () => {
    it.each([
      [{ haltAtDrawdownPct: -1 }, 'haltAtDrawdownPct'],
      [{ cooldownMs: NaN }, 'cooldownMs'],
      [{ reduceAtDrawdownPct: 6, haltAtDrawdownPct: 5 }, 'haltAtDrawdownPct'],
      [{ rearm: 'sometimes' as never }, 'rearm'],
    ])('rejects %p naming %s', (config, key) => {
      expect(() => validateKillSwitchConfig(config)).toThrow(ConfigError);
      try {
        validateKillSwitchConfig(config);
      } catch (e) {
        expect((e as ConfigError).key).toBe(key);
      }
    });

    it('refuses a non-finite equity', () => {
      expect(() => new KillSwitch({}).observe(at(0), NaN)).toThrow(KillSwitchError);
    });
  });
});

describe('KillSwitch with one observation a day (daily bars)', () => {
  it('measures each day from its opening equity, the previous day\'s last, so a down day is a drawdown', () => {
    const DAY = 86_400_000;
    const ks = new KillSwitch({ haltAtDrawdownPct: 5 });
    expect(ks.observe(0, 100_000)).toBe('active');
    expect(ks.observe(DAY, 97_000)).toBe('active');
    expect(ks.currentDrawdownPct).toBeCloseTo(3, 10);
    expect(ks.observe(2 * DAY, 92_000)).toBe('halted');
  });

  it('measures nothing, and only follows triggers, when no level is set', () => {
    const ks = new KillSwitch({});
    expect(ks.isMeasuring).toBe(false);
    expect(ks.observe(0, 100)).toBe('active');
    expect(ks.observe(86_400_000, 1)).toBe('active');
    expect(ks.trigger('halted', 'operator', 86_400_001)).toBe(true);
    expect(ks.state).toBe('halted');
  });

  it('observes a recorded curve at an index (observeAt) exactly as observe does with its numbers', () => {
    const DAY = 86_400_000;
    const times = Float64Array.from({ length: 40 }, (_, i) => i * DAY + (i % 3) * HOUR);
    const equities = Float64Array.from({ length: 40 }, (_, i) => 100_000 * (1 + 0.03 * Math.sin(i / 2)) - 400 * i);
    const config: KillSwitchConfig = { reduceAtDrawdownPct: 2, haltAtDrawdownPct: 4, dailyLossLimitPct: 5, cooldownMs: DAY, rearm: 'auto' };
    const byNumbers = new KillSwitch(config);
    const byIndex = new KillSwitch(config);
    const states: string[] = [];
    for (let i = 0; i < times.length; i++) {
      const state = byNumbers.observe(times[i] as number, equities[i] as number);
      expect(byIndex.observeAt(times, equities, i)).toBe(state);
      states.push(state);
    }
    // The curve escalates and re-arms, so both paths were exercised, and they end in the same state.
    expect(new Set(states).size).toBeGreaterThan(1);
    expect(byIndex.toJSON()).toEqual(byNumbers.toJSON());
  });
});

describe('parseKillSwitchSettings', () => {
  it('reads numbers and the re-arm policy from key=value text, then validates them', () => {
    expect(parseKillSwitchSettings({ haltAtDrawdownPct: '5', dailyLossLimitPct: '2.5', cooldownMs: '60000', rearm: 'manual' })).toEqual({
      haltAtDrawdownPct: 5,
      dailyLossLimitPct: 2.5,
      cooldownMs: 60_000,
      rearm: 'manual',
    });
  });

  it.each([
    [{ haltAtDrawdownPct: 'lots' }, /haltAtDrawdownPct: 'lots' is not a number/],
    [{ haltAtDrawdownPct: '' }, /haltAtDrawdownPct: '' is not a number/],
    [{ haltAtDrawdownPct: '3', reduceAtDrawdownPct: '4' }, /haltAtDrawdownPct: 3 is below reduceAtDrawdownPct 4/],
    [{ rearm: 'sometimes' }, /rearm: must be 'auto' or 'manual'/],
    [{ haltAt: '5' }, /haltAt: unknown kill-switch setting/],
  ])('refuses %j naming the setting', (entries, message) => {
    expect(() => parseKillSwitchSettings(entries)).toThrow(message);
  });
});
