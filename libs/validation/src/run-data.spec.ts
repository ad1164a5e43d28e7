import { loadRunData } from './run-data';
import type { RunDataPhase } from './run-data';

describe('loadRunData', () => {
  it('reports its steps as they start: read, then check', () => {
    const phases: RunDataPhase[] = [];
    const data = loadRunData({ bars: 50, seed: 3 }, { cwd: process.cwd(), syntheticSymbols: 2, onPhase: (phase) => phases.push(phase) });
    expect(phases).toEqual(['read', 'check']);
    expect(data.universe.length).toBe(50);
  });

  it('reports no check step when reading fails (a bad synthetic bar count)', () => {
    const phases: RunDataPhase[] = [];
    expect(() => loadRunData({ bars: 1 }, { cwd: process.cwd(), onPhase: (phase) => phases.push(phase) })).toThrow(/^bars:/);
    expect(phases).toEqual(['read']);
  });
});
