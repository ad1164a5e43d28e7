import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { DEFAULT_PROMOTION_GATE_CONFIG, loadPromotionGateConfig, parsePromotionGateConfig, promotionGateConfigSha256 } from './promotion-gate-config';

const SHIPPED = resolve(__dirname, '../../../config/promotion-gates.json');

/** The shipped configuration as a mutable object, to break one field at a time. */
type Editable = Record<string, unknown> & { gates: Record<string, Record<string, unknown>>; ramp: Record<string, unknown> };
function valid(): Editable {
  return JSON.parse(JSON.stringify({ version: 1, gates: DEFAULT_PROMOTION_GATE_CONFIG.gates, ramp: DEFAULT_PROMOTION_GATE_CONFIG.ramp })) as Editable;
}

describe('promotion gate configuration', () => {
  it('ships config/promotion-gates.json with the default thresholds, version 3', () => {
    const config = loadPromotionGateConfig(SHIPPED);
    expect({ version: config.version, gates: config.gates, ramp: config.ramp }).toEqual(DEFAULT_PROMOTION_GATE_CONFIG);
    expect(config.file).toBe(SHIPPED);
    expect(config.sha256).toBe(promotionGateConfigSha256(DEFAULT_PROMOTION_GATE_CONFIG));
    expect(Object.isFrozen(config.gates.paper)).toBe(true);
  });

  it('hashes the thresholds: any change gives another sha256', () => {
    const changed = valid();
    changed.gates['paper'] = { ...changed.gates['paper'], minDays: 31 };
    expect(parsePromotionGateConfig(changed).sha256).not.toBe(parsePromotionGateConfig(valid()).sha256);
    const ramp = valid();
    ramp.ramp['onBreach'] = 'halt';
    expect(parsePromotionGateConfig(ramp).sha256).not.toBe(parsePromotionGateConfig(valid()).sha256);
  });

  it('reads the capital ramp: stages, days per stage, breach action, drawdown', () => {
    const config = valid();
    config.ramp = { stagesPct: [10, 100], minDaysPerStage: 3, onBreach: 'halt', maxDrawdownPct: 2.5 };
    expect(parsePromotionGateConfig(config).ramp).toEqual({ stagesPct: [10, 100], minDaysPerStage: 3, onBreach: 'halt', maxDrawdownPct: 2.5 });
    expect(DEFAULT_PROMOTION_GATE_CONFIG.ramp).toEqual({ stagesPct: [1, 5, 25, 100], minDaysPerStage: 5, onBreach: 'rollback', maxDrawdownPct: 5 });
    expect(Object.isFrozen(parsePromotionGateConfig(config).ramp.stagesPct)).toBe(true);
  });

  const broken: readonly [string, (c: Editable) => void, string][] = [
    ['no version', (c) => delete c['version'], 'version: is required: a finite number, got nothing'],
    ['version 0', (c) => (c['version'] = 0), 'version: must be at least 1, got 0'],
    ['version 1.5', (c) => (c['version'] = 1.5), 'version: must be a whole number, got 1.5'],
    ['an unknown top-level key', (c) => (c['gate'] = {}), 'gate: unknown field; expected one of version, description, gates, ramp'],
    ['no gates', (c) => Reflect.deleteProperty(c, 'gates'), 'gates: must be a JSON object, got nothing'],
    ['an unknown gate group', (c) => (c.gates['papr'] = {}), 'gates.papr: unknown field; expected one of walkForward, dataQuality, paper, execution, drift'],
    ['no drift group (a version 2 file)', (c) => delete c.gates['drift'], 'gates.drift: is required (gate configuration version 3)'],
    ['a negative drift threshold', (c) => ((c.gates['drift'] as Record<string, unknown>)['maxSlippageGapBps'] = -1), 'gates.drift.maxSlippageGapBps: must be at least 0, got -1'],
    ['a fill-rate gap above 1', (c) => ((c.gates['drift'] as Record<string, unknown>)['maxFillRateGap'] = 1.5), 'gates.drift.maxFillRateGap: must be at most 1, got 1.5'],
    ['a misspelt drift threshold', (c) => (c.gates['drift'] = { ...c.gates['drift'], maxTimingGap: 1 }), 'gates.drift.maxTimingGap: unknown field'],
    ['a missing group', (c) => delete c.gates['execution'], 'gates.execution: must be a JSON object, got nothing'],
    ['a misspelt threshold', (c) => (c.gates['paper'] = { ...c.gates['paper'], minDay: 30 }), 'gates.paper.minDay: unknown field'],
    ['a missing threshold', (c) => delete c.gates['walkForward']?.['minOosSharpe'], 'gates.walkForward.minOosSharpe: is required: a finite number, got nothing'],
    ['a text threshold', (c) => ((c.gates['execution'] as Record<string, unknown>)['minFillRate'] = '0.9'), 'gates.execution.minFillRate: is required: a finite number, got "0.9"'],
    ['a fill rate above 1', (c) => ((c.gates['execution'] as Record<string, unknown>)['minFillRate'] = 1.2), 'gates.execution.minFillRate: must be at most 1, got 1.2'],
    ['0 paper days', (c) => ((c.gates['paper'] as Record<string, unknown>)['minDays'] = 0), 'gates.paper.minDays: must be at least 1, got 0'],
    ['a zero overfit ratio', (c) => ((c.gates['walkForward'] as Record<string, unknown>)['maxOverfitRatio'] = 0), 'gates.walkForward.maxOverfitRatio: must be greater than 0, got 0'],
    ['negative errors', (c) => ((c.gates['dataQuality'] as Record<string, unknown>)['maxErrors'] = -1), 'gates.dataQuality.maxErrors: must be at least 0, got -1'],
    ['no ramp', (c) => Reflect.deleteProperty(c, 'ramp'), 'ramp: must be a JSON object, got nothing'],
    ['an unknown ramp key', (c) => (c.ramp['stages'] = [100]), 'ramp.stages: unknown field; expected one of stagesPct, minDaysPerStage, onBreach, maxDrawdownPct'],
    ['no ramp stages', (c) => delete c.ramp['stagesPct'], 'ramp.stagesPct: must be an array, got nothing'],
    ['an empty ramp', (c) => (c.ramp['stagesPct'] = []), 'ramp.stagesPct: must list at least one stage'],
    ['a stage of 0 %', (c) => (c.ramp['stagesPct'] = [0, 100]), 'ramp.stagesPct[0]: must be in (0, 100] percent of the target capital, got 0'],
    ['a stage above 100 %', (c) => (c.ramp['stagesPct'] = [50, 150]), 'ramp.stagesPct[1]: must be in (0, 100] percent of the target capital, got 150'],
    ['stages that do not increase', (c) => (c.ramp['stagesPct'] = [5, 5, 100]), 'ramp.stagesPct[1]: stages must increase strictly: 5 does not exceed 5'],
    ['a text stage', (c) => (c.ramp['stagesPct'] = ['1', 100]), 'ramp.stagesPct[0]: must be a finite number, got "1"'],
    ['a ramp short of 100 %', (c) => (c.ramp['stagesPct'] = [1, 50]), 'ramp.stagesPct[1]: the last stage must be 100'],
    ['0 days per stage', (c) => (c.ramp['minDaysPerStage'] = 0), 'ramp.minDaysPerStage: must be at least 1, got 0'],
    ['fractional days per stage', (c) => (c.ramp['minDaysPerStage'] = 2.5), 'ramp.minDaysPerStage: must be a whole number, got 2.5'],
    ['an unknown breach action', (c) => (c.ramp['onBreach'] = 'pause'), "ramp.onBreach: is required: one of 'rollback', 'halt', got \"pause\""],
    ['no breach action', (c) => delete c.ramp['onBreach'], "ramp.onBreach: is required: one of 'rollback', 'halt', got nothing"],
    ['no ramp drawdown', (c) => delete c.ramp['maxDrawdownPct'], 'ramp.maxDrawdownPct: is required: a finite number, got nothing'],
    ['a ramp drawdown above 100', (c) => (c.ramp['maxDrawdownPct'] = 101), 'ramp.maxDrawdownPct: must be at most 100, got 101'],
    ['no P&L volatility key', (c) => delete c.gates['paper']?.['maxDailyPnlStdDev'], 'gates.paper.maxDailyPnlStdDev: is required: a number ≥ 0, or null'],
  ];

  it.each(broken)('refuses %s with a ConfigError naming the field', (_title, breakIt, message) => {
    const config = valid();
    breakIt(config);
    expect(() => parsePromotionGateConfig(config)).toThrow(ConfigError);
    expect(() => parsePromotionGateConfig(config)).toThrow(message);
  });

  it('names the file in errors, and refuses a missing file or bad JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qb-gates-'));
    try {
      const file = join(dir, 'gates.json');
      writeFileSync(file, JSON.stringify({ ...valid(), version: 'one' }));
      expect(() => loadPromotionGateConfig(file)).toThrow(`version: is required: a finite number, got "one" (in ${file})`);
      writeFileSync(file, '{ "version": 1,');
      expect(() => loadPromotionGateConfig(file)).toThrow(`${file} is not valid JSON`);
      expect(() => loadPromotionGateConfig(join(dir, 'nope.json'))).toThrow(/cannot read .*nope\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
