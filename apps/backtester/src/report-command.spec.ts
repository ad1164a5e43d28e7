import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backtesterCli, runIdOf } from '../test/cli-harness';

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-report-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);

describe('backtester report: which run', () => {
  it('says there is nothing to report before any backtest run', async () => {
    const result = await cli('report');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--run-id: no backtest run in .*results\/runs: run one first/);
  });

  it('reports the latest backtest run without --run-id, never a later sweep, and refuses a sweep or walk-forward run id', async () => {
    runIdOf(await cli('run', '--bars', '300'));
    const latest = runIdOf(await cli('run', '--bars', '400'));
    const sweep = await cli('sweep', '--bars', '300', '--space', 'fast=5..10:5,slow=20..30:10');
    expect(sweep.code).toBe(0);
    const sweepId = /written: (\S+)/.exec(sweep.out)?.[1] as string;
    const walk = await cli('walk-forward', '--bars', '600', '--space', 'fast=5..10:5,slow=20..30:10', '--train', '200', '--test', '100');
    const walkId = /written: (\S+)/.exec(walk.out)?.[1] as string;

    const result = await cli('report');
    expect(result.code).toBe(0);
    expect(result.out).toBe(`report written: ${join(workDir, 'results', 'runs', latest, 'report.html')}\n`);
    expect(existsSync(join(workDir, 'results', 'runs', latest, 'report.html'))).toBe(true);

    const refusedSweep = await cli('report', '--run-id', sweepId);
    expect(refusedSweep.code).toBe(2);
    expect(refusedSweep.err).toContain(`--run-id: ${sweepId} is a sweep run: the report covers backtest runs; its results are in `);
    expect(existsSync(join(workDir, 'results', 'runs', sweepId, 'report.html'))).toBe(false);
    const refusedWalk = await cli('report', '--run-id', walkId);
    expect(refusedWalk.code).toBe(2);
    expect(refusedWalk.err).toContain(`--run-id: ${walkId} is a walk-forward run: the report covers backtest runs`);
  }, 60_000);
});
