import { ConfigError } from '@quantbot/core';
import { expectedSpearman, generateSyntheticPanel } from './synthetic-panel';

describe('generateSyntheticPanel', () => {
  it('builds symbols × weekdays rows with closes, signal, noise and groups', () => {
    const panel = generateSyntheticPanel({ symbols: 4, dates: 6, seed: 3, groups: 2, startDate: '2024-01-05' });
    expect(panel.rows).toBe(24);
    expect(panel.symbols).toEqual(['S001', 'S002', 'S003', 'S004']);
    expect(panel.dates).toEqual(['2024-01-05', '2024-01-08', '2024-01-09', '2024-01-10', '2024-01-11', '2024-01-12']);
    expect(panel.factorNames).toEqual(['signal', 'noise']);
    expect(panel.group?.slice(0, 4)).toEqual(['G1', 'G2', 'G1', 'G2']);
    expect(Array.from(panel.close ?? []).slice(0, 4)).toEqual([100, 100, 100, 100]);
    expect(Object.values(panel.missing).every((n) => n === 0)).toBe(true);
  });

  it('is deterministic for a seed and changes with it', () => {
    const a = generateSyntheticPanel({ symbols: 10, dates: 20, seed: 5, ic: 0.1 });
    const b = generateSyntheticPanel({ symbols: 10, dates: 20, seed: 5, ic: 0.1 });
    const c = generateSyntheticPanel({ symbols: 10, dates: 20, seed: 6, ic: 0.1 });
    expect(Array.from(a.close ?? [])).toEqual(Array.from(b.close ?? []));
    expect(Array.from(a.factors['signal'] ?? [])).toEqual(Array.from(b.factors['signal'] ?? []));
    expect(Array.from(a.close ?? [])).not.toEqual(Array.from(c.close ?? []));
  });

  it('refuses bad options naming the field', () => {
    expect(() => generateSyntheticPanel({ ic: 1 })).toThrow(/ic: must be in \(-1, 1\)/);
    expect(() => generateSyntheticPanel({ symbols: 2 })).toThrow(ConfigError);
    expect(() => generateSyntheticPanel({ dates: 1 })).toThrow(/dates:/);
    expect(() => generateSyntheticPanel({ startDate: '2024-1-1' })).toThrow(/startDate:/);
  });
});

describe('expectedSpearman', () => {
  it('is 0 at 0, 1 at 1, and tends to (6/π)·asin(ρ/2) for many pairs', () => {
    expect(expectedSpearman(0, 50)).toBe(0);
    expect(expectedSpearman(1, 50)).toBeCloseTo(1, 12);
    expect(expectedSpearman(0.3, 1e9)).toBeCloseTo((6 / Math.PI) * Math.asin(0.15), 6);
    expect(expectedSpearman(0.1, 50)).toBeLessThan((6 / Math.PI) * Math.asin(0.05));
  });
});
