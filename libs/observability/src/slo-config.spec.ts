import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { DEFAULT_BURN_RATE_RULES, DEFAULT_SLO_CONFIG, SLO_NAMES, loadSloConfig, parseSloConfig } from './slo-config';

const SHIPPED = resolve(__dirname, '../../../config/slo.json');

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('SLO configuration', () => {
  it('ships config/slo.json with exactly the built-in defaults', () => {
    expect(loadSloConfig(SHIPPED)).toEqual(DEFAULT_SLO_CONFIG);
  });

  it('fills every omitted field from the defaults', () => {
    expect(parseSloConfig('{ "version": 1 }')).toEqual(DEFAULT_SLO_CONFIG);
    const config = parseSloConfig('{ "version": 2, "slos": { "fillRate": { "objective": 0.8 } } }');
    expect(config.version).toBe(2);
    expect(config.slos.fillRate).toEqual({ enabled: true, objective: 0.8, minEvents: 5, alerts: DEFAULT_BURN_RATE_RULES });
    expect(config.slos.rejectRate).toEqual(DEFAULT_SLO_CONFIG.slos.rejectRate);
  });

  it('uses defaultAlerts for SLOs without alerts and an SLO’s own alerts when given', () => {
    const own = [{ name: 'any-drift', severity: 'page', longWindowMinutes: 30, shortWindowMinutes: 1, burnRate: 1 }];
    const shared = [{ name: 'fast', severity: 'critical', longWindowMinutes: 20, shortWindowMinutes: 2, burnRate: 10 }];
    const config = parseSloConfig(JSON.stringify({ version: 1, defaultAlerts: shared, slos: { reconciliationDrift: { alerts: own } } }));
    expect(config.slos.reconciliationDrift.alerts).toEqual(own);
    for (const name of SLO_NAMES.filter((n) => n !== 'reconciliationDrift')) expect(config.slos[name].alerts).toEqual(shared);
  });

  it('names the file and the field path in every error', () => {
    const error = errorOf(() => parseSloConfig('{ "version": 1, "slos": { "orderAckLatency": { "objective": 1.5 } } }', 'config/slo.json'));
    expect(error.key).toBe('slos.orderAckLatency.objective');
    expect(error.message).toBe('config/slo.json: slos.orderAckLatency.objective: must be between 0 and 1 (exclusive), got 1.5');
  });

  it.each([
    ['{ "slos": {} }', 'version: is required'],
    ['{ "version": 1, "slos": { "orderAckLatency": { "objective": 0 } } }', 'slos.orderAckLatency.objective: must be between 0 and 1'],
    ['{ "version": 1, "slos": { "orderAckLatency": { "thresholdMs": -5 } } }', 'slos.orderAckLatency.thresholdMs: must be greater than 0'],
    ['{ "version": 1, "slos": { "rejectRate": { "minEvents": 1.5 } } }', 'slos.rejectRate.minEvents: must be a whole number'],
    ['{ "version": 1, "slos": { "killSwitch": { "maxAgeSeconds": 5 } } }', 'slos.killSwitch.maxAgeSeconds: unknown field'],
    ['{ "version": 1, "slos": { "orderLatency": {} } }', 'slos.orderLatency: unknown field'],
    ['{ "version": 1, "slos": { "fillRate": { "enabled": "yes" } } }', 'slos.fillRate.enabled: must be true or false'],
    ['{ "version": 1, "periodMinutes": 0 }', 'periodMinutes: must be greater than 0'],
    [
      '{ "version": 1, "defaultAlerts": [{ "name": "x", "severity": "urgent", "longWindowMinutes": 60, "shortWindowMinutes": 5, "burnRate": 2 }] }',
      'defaultAlerts[0].severity: must be one of info, warning, critical, page',
    ],
    [
      '{ "version": 1, "slos": { "fillRate": { "alerts": [{ "name": "x", "severity": "page", "longWindowMinutes": 5, "shortWindowMinutes": 5, "burnRate": 2 }] } } }',
      'slos.fillRate.alerts[0].shortWindowMinutes: must be shorter than longWindowMinutes',
    ],
    [
      '{ "version": 1, "defaultAlerts": [{ "name": "a", "severity": "page", "longWindowMinutes": 60, "shortWindowMinutes": 5, "burnRate": 2 }, { "name": "a", "severity": "info", "longWindowMinutes": 60, "shortWindowMinutes": 5, "burnRate": 1 }] }',
      'defaultAlerts[1].name: \'a\' is used by another rule',
    ],
    ['{ "version": 1, "defaultAlerts": [{ "name": "a", "severity": "page", "longWindowMinutes": 60, "shortWindowMinutes": 5 }] }', 'defaultAlerts[0].burnRate: is required'],
    ['[1]', 'slo config: must be a JSON object'],
    ['{ version: 1 }', 'slo config: is not valid JSON'],
  ])('refuses %s', (text, expected) => {
    const error = errorOf(() => parseSloConfig(text, 'slo.json'));
    expect(error.message.startsWith(`slo.json: ${expected}`)).toBe(true);
  });

  describe('loadSloConfig', () => {
    let dir = '';
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'slo-config-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a file and names it in errors', () => {
      const file = join(dir, 'slo.json');
      writeFileSync(file, '{ "version": 3, "periodMinutes": 60 }');
      expect(loadSloConfig(file).periodMinutes).toBe(60);
      writeFileSync(file, '{ "version": 3, "periodMinutes": "long" }');
      expect(() => loadSloConfig(file)).toThrow(`${file}: periodMinutes: must be a finite number, got "long"`);
    });

    it('refuses a missing file unless optional, and then gives the defaults', () => {
      const missing = join(dir, 'none.json');
      expect(() => loadSloConfig(missing)).toThrow(new RegExp(`^slo config: cannot read ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      expect(loadSloConfig(missing, { optional: true })).toBe(DEFAULT_SLO_CONFIG);
    });
  });
});
