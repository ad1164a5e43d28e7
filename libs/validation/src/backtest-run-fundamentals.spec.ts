// A run's synthetic fundamentals are made only when its strategy reads them: on a long or wide
// universe they are tens of thousands of records a moving-average strategy never looks at.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as DataQuality from '@quantbot/data-quality';
import { generateSyntheticFundamentals } from '@quantbot/data-quality';
import { planRun, runRecordedBacktest } from './backtest-run';

jest.mock('@quantbot/data-quality', () => {
  const actual = jest.requireActual<typeof DataQuality>('@quantbot/data-quality');
  return { ...actual, generateSyntheticFundamentals: jest.fn(actual.generateSyntheticFundamentals) };
});
const generated = generateSyntheticFundamentals as jest.MockedFunction<typeof generateSyntheticFundamentals>;

describe('a run\'s fundamentals', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-fundamentals-'));
    generated.mockClear();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (strategy: string) =>
    runRecordedBacktest({ bars: 400, seed: 5, strategy, checkLookahead: true }, { cwd: dir, commandLine: ['backtester', 'run'], now: new Date('2024-01-02T03:04:05Z'), showProgress: false });

  it('are made once, when first read from the plan, the same records each time', () => {
    const plan = planRun({ bars: 300, seed: 5 }, { cwd: dir });
    expect(generated).not.toHaveBeenCalled();
    const first = plan.fundamentals;
    expect(plan.fundamentals).toBe(first);
    expect(generated).toHaveBeenCalledTimes(1);
    const again = planRun({ bars: 300, seed: 5 }, { cwd: dir }).fundamentals;
    const symbol = plan.universe.symbols[0] as string;
    const at = plan.universe.time[plan.universe.length - 1] as number;
    expect(again.historyAsOf(symbol, at)).toEqual(first.historyAsOf(symbol, at));
    expect(first.historyAsOf(symbol, at).length).toBeGreaterThan(0);
  });

  it('are never made for a strategy that does not read them (the lookahead check included)', async () => {
    const outcome = await run('sma-crossover');
    expect(outcome.document.trades.length).toBeGreaterThan(0);
    expect(generated).not.toHaveBeenCalled();
  });

  it('are made once for a strategy that reads them, and it trades on them', async () => {
    const outcome = await run('earnings-momentum');
    expect(generated).toHaveBeenCalledTimes(1);
    expect(outcome.document.trades.length).toBeGreaterThan(0);
  });
});
