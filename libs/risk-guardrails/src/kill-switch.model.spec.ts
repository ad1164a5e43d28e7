import fc from 'fast-check';
import type { KillSwitchConfig, KillSwitchLevel } from './kill-switch';
import { KillSwitch } from './kill-switch';
import type { TradingState } from './risk-types';

/**
 * The kill switch keeps its drawdown figures incrementally and skips the level arithmetic for
 * observations that cannot escalate. This model does everything the slow, obvious way at every
 * step (recomputing the day, the high-water mark, the drawdown and the daily loss from scratch),
 * and the two must agree on every state, transition and figure for any sequence of operations.
 */
const RANK: Record<TradingState, number> = { active: 0, reducing: 1, halted: 2, flatten: 3 };
const STATES: TradingState[] = ['active', 'reducing', 'halted', 'flatten'];
const DAY = 86_400_000;

class NaiveKillSwitch {
  state: TradingState = 'active';
  peak = 0;
  external = false;
  triggeredAt = -Infinity;
  day = NaN;
  hwm = NaN;
  prevDay = NaN;
  last = NaN;
  lastTime = NaN;
  maxDd = 0;
  readonly transitions: { time: number; from: TradingState; to: TradingState }[] = [];
  readonly timeIn: Record<TradingState, number> = { active: 0, reducing: 0, halted: 0, flatten: 0 };

  constructor(readonly config: KillSwitchConfig) {}

  drawdown(): number {
    return this.hwm > 0 && this.last < this.hwm ? ((this.hwm - this.last) / this.hwm) * 100 : 0;
  }

  dailyLoss(): number {
    return this.prevDay > 0 && this.last < this.prevDay ? ((this.prevDay - this.last) / this.prevDay) * 100 : 0;
  }

  advance(time: number): void {
    if (Number.isNaN(this.lastTime)) this.lastTime = time;
    else if (time > this.lastTime) {
      this.timeIn[this.state] += time - this.lastTime;
      this.lastTime = time;
    }
  }

  move(to: TradingState, time: number): void {
    this.transitions.push({ time, from: this.state, to });
    this.state = to;
  }

  escalate(to: TradingState, time: number): void {
    this.move(to, time);
    this.triggeredAt = time;
    this.peak = Math.max(this.peak, RANK[to]);
  }

  rearmNow(time: number): void {
    this.move('active', time);
    this.peak = 0;
    this.external = false;
    if (Number.isFinite(this.last)) this.hwm = this.last;
  }

  observe(time: number, equity: number): void {
    this.advance(time);
    const measuring = [this.config.reduceAtDrawdownPct, this.config.haltAtDrawdownPct, this.config.flattenAtDrawdownPct, this.config.dailyLossLimitPct].some(
      (v) => v !== undefined,
    );
    if (!measuring) {
      this.last = equity;
      return;
    }
    const day = Math.floor(time / DAY);
    if (day !== this.day) {
      if (day > this.day) this.prevDay = this.last;
      this.day = day;
      this.hwm = this.prevDay > equity ? this.prevDay : equity;
    } else if (!(equity <= this.hwm)) this.hwm = equity;
    this.last = equity;
    this.maxDd = Math.max(this.maxDd, this.drawdown());
    const c = this.config;
    if (c.rearm === 'auto' && (this.state === 'reducing' || this.state === 'halted') && !this.external && time >= this.triggeredAt + (c.cooldownMs ?? 0)) {
      const lowest = c.reduceAtDrawdownPct ?? c.haltAtDrawdownPct ?? c.flattenAtDrawdownPct;
      const ddOk = lowest === undefined || this.drawdown() < lowest;
      const lossOk = c.dailyLossLimitPct === undefined || this.dailyLoss() < c.dailyLossLimitPct;
      if (ddOk && lossOk) this.rearmNow(time);
    }
    const dd = this.drawdown();
    let level = 0;
    if (dd >= (c.flattenAtDrawdownPct ?? Infinity)) level = 3;
    else if (dd >= (c.haltAtDrawdownPct ?? Infinity)) level = 2;
    else if (dd >= (c.reduceAtDrawdownPct ?? Infinity)) level = 1;
    if (this.dailyLoss() >= (c.dailyLossLimitPct ?? Infinity) && level < 2) level = 2;
    if (level > this.peak) this.escalate(STATES[level] as TradingState, time);
  }

  trigger(level: KillSwitchLevel, time: number): void {
    this.advance(time);
    this.external = true;
    if (RANK[level] > RANK[this.state]) this.escalate(level, time);
  }

  rearm(time: number): boolean {
    this.advance(time);
    if (this.state === 'active' || time < this.triggeredAt + (this.config.cooldownMs ?? 0)) return false;
    this.rearmNow(time);
    return true;
  }

  flattened(time: number): boolean {
    this.advance(time);
    if (this.state !== 'flatten') return false;
    this.move('halted', time);
    return true;
  }
}

type Op =
  | { kind: 'observe'; dt: number; moveBp: number }
  | { kind: 'trigger'; dt: number; level: KillSwitchLevel }
  | { kind: 'rearm'; dt: number }
  | { kind: 'flattened'; dt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('observe' as const), dt: fc.integer({ min: 0, max: 30 * 3_600_000 }), moveBp: fc.integer({ min: -600, max: 500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trigger' as const), dt: fc.integer({ min: 0, max: 3_600_000 }), level: fc.constantFrom<KillSwitchLevel>('reducing', 'halted', 'flatten') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rearm' as const), dt: fc.integer({ min: 0, max: 7_200_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flattened' as const), dt: fc.integer({ min: 0, max: 3_600_000 }) }) },
);

const level = fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined });
const configArb: fc.Arbitrary<KillSwitchConfig> = fc
  .record({ a: level, b: level, c: level, loss: level, cooldownMs: fc.integer({ min: 0, max: 7_200_000 }), rearm: fc.constantFrom<'auto' | 'manual'>('auto', 'manual') })
  .map(({ a, b, c, loss, cooldownMs, rearm }) => {
    const [reduce, halt, flatten] = [a, b, c].sort((x, y) => (x ?? 99) - (y ?? 99));
    return {
      ...(reduce !== undefined ? { reduceAtDrawdownPct: reduce } : {}),
      ...(halt !== undefined ? { haltAtDrawdownPct: halt } : {}),
      ...(flatten !== undefined ? { flattenAtDrawdownPct: flatten } : {}),
      ...(loss !== undefined ? { dailyLossLimitPct: loss } : {}),
      cooldownMs,
      rearm,
    };
  });

describe('KillSwitch against a naive model', () => {
  it('agrees on every state, transition, drawdown figure and time in state, for any sequence', () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { minLength: 1, maxLength: 120 }), (config, ops) => {
        const ks = new KillSwitch(config);
        const model = new NaiveKillSwitch(config);
        let time = Date.UTC(2024, 0, 2, 14, 30);
        let equity = 100_000;
        for (const op of ops) {
          time += op.dt;
          if (op.kind === 'observe') {
            equity = Math.max(1, equity * (1 + op.moveBp / 10_000));
            ks.observe(time, equity);
            model.observe(time, equity);
          } else if (op.kind === 'trigger') {
            ks.trigger(op.level, 'drill', time);
            model.trigger(op.level, time);
          } else if (op.kind === 'rearm') {
            expect(ks.rearm(time, 'desk')).toBe(model.rearm(time));
          } else if (model.state === 'flatten') {
            ks.flattened(time);
            model.flattened(time);
          }
          expect(ks.state).toBe(model.state);
        }
        expect(ks.transitions.map(({ time: t, from, to }) => ({ time: t, from, to }))).toEqual(model.transitions);
        if (ks.isMeasuring) {
          expect(ks.currentDrawdownPct).toBe(model.drawdown());
          expect(ks.maxIntradayDrawdownPct).toBe(model.maxDd);
        }
        expect(ks.timeInStateMs()).toEqual(model.timeIn);
        // A restored copy continues identically.
        const copy = KillSwitch.restore(config, JSON.parse(JSON.stringify(ks.toJSON())) as ReturnType<KillSwitch['toJSON']>);
        expect(copy.toJSON()).toEqual(ks.toJSON());
      }),
      { numRuns: 400, seed: 20261125 },
    );
  });

  it('escalates on the first observation of a day that opens below a level', () => {
    const ks = new KillSwitch({ haltAtDrawdownPct: 5 });
    const t0 = Date.UTC(2024, 0, 2, 15);
    ks.observe(t0, 100_000);
    ks.observe(t0 + 86_400_000, 94_500);
    expect(ks.state).toBe('halted');
  });

  it('escalates exactly at a level, not a rounding error before or after it', () => {
    // Equity that lands exactly on the 5 % level from a high-water mark of 100,000.
    const ks = new KillSwitch({ haltAtDrawdownPct: 5 });
    const t0 = Date.UTC(2024, 0, 2, 15);
    ks.observe(t0, 100_000);
    ks.observe(t0 + 1, 95_000.000001);
    expect(ks.state).toBe('active');
    ks.observe(t0 + 2, 95_000);
    expect(ks.state).toBe('halted');
  });
});
