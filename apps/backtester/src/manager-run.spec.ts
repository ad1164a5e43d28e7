import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BacktestReport } from '@quantbot/engine';
import { backtesterCli, runIdOf } from '../test/cli-harness';

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-manager-run-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);

/** The example the repository ships (and the README runs). */
const EXAMPLE = resolve(__dirname, '..', '..', '..', 'examples', 'manager.json');
/** The research example: a cross-sectional sleeve, a stacked ensemble and a trend sleeve. */
const RESEARCH_EXAMPLE = resolve(__dirname, '..', '..', '..', 'examples', 'manager-research.json');

const twoSleeves = {
  sleeves: [
    { name: 'trend', strategy: 'sma-crossover', params: { fast: 5, slow: 20 }, allocation: 0.5 },
    { name: 'breakout', strategy: 'bracket-momentum', params: { lookback: 10 }, allocation: 0.4, killSwitch: { maxDrawdownPct: 50, action: 'halt' } },
  ],
};

function writeManager(name: string, document: unknown): string {
  writeFileSync(join(workDir, name), typeof document === 'string' ? document : JSON.stringify(document, null, 2));
  return name;
}

describe('backtester run --manager', () => {
  let document: BacktestReport;
  let runId: string;

  beforeAll(async () => {
    const file = writeManager('manager.json', twoSleeves);
    const result = await cli('run', '--manager', file, '--bars', '600', '--percent-of-equity', '10', '--commission-bps', '5', '--json');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    document = JSON.parse(result.out) as BacktestReport;
    runId = document.summary['runId'] as string;
  });

  it('runs every sleeve in one portfolio and reports each sleeve’s P&L, which sums to the run’s', () => {
    expect(document.summary['strategy']).toBe('strategy-manager');
    expect(document.summary['params']).toBe('manager.json: trend sma-crossover 50%, breakout bracket-momentum 40%');
    const manager = document.manager;
    expect(manager?.sleeves.map((s) => [s.name, s.strategy, s.capital])).toEqual([
      ['trend', 'sma-crossover', 50_000],
      ['breakout', 'bracket-momentum', 40_000],
    ]);
    expect(manager?.unallocated).toBeCloseTo(10_000, 6);
    for (const s of manager?.sleeves ?? []) {
      expect(s.closedTrades).toBeGreaterThan(0);
      expect(s.commission).toBeGreaterThan(0);
      expect(s.pnl).toBeCloseTo(s.realizedPnl + s.unrealizedPnl - s.commission, 6);
    }
    const sleevesPnl = (manager?.sleeves ?? []).reduce((sum, s) => sum + s.pnl, 0) + (manager?.unattributed.pnl ?? NaN);
    const runPnl = (document.summary['finalEquity'] as number) - (document.summary['startingEquity'] as number);
    expect(Math.abs(sleevesPnl - runPnl)).toBeLessThan(1e-6);
    const commission = (manager?.sleeves ?? []).reduce((sum, s) => sum + s.commission, 0);
    expect(commission).toBeCloseTo(document.summary['totalCommission'] as number, 6);
  });

  it('writes each sleeve’s equity curve into the run folder, and replay --verify reproduces the run', async () => {
    const dir = join(workDir, 'results', 'runs', runId);
    const csv = readFileSync(join(dir, 'sleeve_equity.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('time,trend,breakout');
    expect(csv).toHaveLength(601);
    const last = (csv[600] as string).split(',');
    expect(last.slice(1).map(Number)).toEqual(document.manager?.sleeves.map((s) => s.finalEquity));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { deterministic: boolean }>; parameters: { params: { sleeves: unknown[] } } };
    expect(manifest.artifacts['sleeve_equity.csv']).toMatchObject({ deterministic: true });
    // The manifest records every sleeve with its parameters resolved.
    expect(manifest.parameters.params.sleeves[0]).toEqual({ name: 'trend', strategy: 'sma-crossover', params: { fast: 5, slow: 20, allowShort: false }, allocation: 0.5, killSwitch: null });
    const verified = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(verified.err).toBe('');
    expect(verified.out).toContain('verified: the re-run reproduces digest');
  });

  it('replay --verify fails once the manager file changed, naming the parameters', async () => {
    const file = writeManager('changing.json', twoSleeves);
    const id = runIdOf(await cli('run', '--manager', file, '--bars', '300'));
    writeManager(file, { sleeves: [twoSleeves.sleeves[0], { ...twoSleeves.sleeves[1], allocation: 0.3 }] });
    const changed = await cli('replay', '--run-id', id, '--verify', '--limit', '1');
    expect(changed.code).toBe(1);
    expect(changed.out).toContain('NOT verified');
    expect(changed.err).toMatch(/parameters: the manifest says .*"allocation":0\.4.*the recorded command line gives .*"allocation":0\.3/);
  });

  it('prints each sleeve, its orders and its kill-switch moves in the summary', async () => {
    const result = await cli('run', '--manager', EXAMPLE, '--percent-of-equity', '10');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^sleeves +2, capital 100000\.00, unallocated 20000\.00, unattributed P&L 0\.00$/m);
    expect(result.out).toMatch(/^ {2}sleeve trend \(sma-crossover, 50% = 50000\.00\): active, equity [\d.]+, P&L -?[\d.]+ /m);
    expect(result.out).toMatch(/^ {2}sleeve breakout \(bracket-momentum, 30% = 30000\.00\): halted, /m);
    expect(result.out).toMatch(/^ {4}\d{4}-\d\d-\d\d: active -> flatten \(kill switch: loss [\d.]+% reached maxLossPct 8 /m);
    expect(result.out).toMatch(/^ {4}\d{4}-\d\d-\d\d: flatten -> halted \(flattened: every position closed, no order working\)$/m);
    expect(result.out).toMatch(/^ {2}notice \d{4}-\d\d-\d\d breakout sleeve-flattening: /m);
    expect(result.out).toMatch(/^ {4}orders: \d+ sent, 0 refused, 0 rejected, \d+ dropped while halted; \d+ fill\(s\), 0 open position\(s\)$/m);
  });

  it('lists the notices and each sleeve’s kill-switch moves in --json', async () => {
    const result = await cli('run', '--manager', EXAMPLE, '--percent-of-equity', '10', '--json');
    const doc = JSON.parse(result.out) as BacktestReport;
    expect(doc.notices?.map((n) => [n.strategy, n.code])).toEqual([
      ['breakout', 'sleeve-flattening'],
      ['breakout', 'sleeve-flattened'],
    ]);
    const breakout = doc.manager?.sleeves[1];
    expect(breakout?.transitions.map((t) => [t['from'], t['to'], t['source']])).toEqual([
      ['active', 'flatten', 'kill-switch'],
      ['flatten', 'halted', 'manager'],
    ]);
    expect(breakout).toMatchObject({ state: 'halted', openPositions: [] });
    expect(breakout?.ordersDropped).toBeGreaterThan(0);
    expect(doc.notices?.[0]?.time).toBe(breakout?.transitions[0]?.['time']);
  });

  it('runs the research example: factor-long-short, the ensemble with its meta-learner and a trend sleeve, with their own kill switches', async () => {
    const result = await cli('run', '--manager', RESEARCH_EXAMPLE, '--percent-of-equity', '10', '--json');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.out) as BacktestReport;
    const sleeves = doc.manager?.sleeves ?? [];
    expect(sleeves.map((s) => [s.name, s.strategy])).toEqual([
      ['cross-section', 'factor-long-short'],
      ['stacked', 'ensemble'],
      ['trend', 'sma-crossover'],
    ]);
    for (const s of sleeves) expect(s.closedTrades).toBeGreaterThan(0);
    // The cross-sectional sleeve's drawdown trips its own switch; the others trade on.
    expect(sleeves[0]).toMatchObject({ state: 'halted', openPositions: [] });
    expect(sleeves[1]?.state).toBe('active');
    expect(doc.notices?.map((n) => [n.strategy, n.code])).toEqual([
      ['ensemble', 'meta-learner-fallback'],
      ['ensemble', 'meta-learner-fitted'],
      ['cross-section', 'sleeve-flattening'],
      ['cross-section', 'sleeve-flattened'],
    ]);
    const sleevesPnl = sleeves.reduce((sum, s) => sum + s.pnl, 0) + (doc.manager?.unattributed.pnl ?? NaN);
    expect(Math.abs(sleevesPnl - ((doc.summary['finalEquity'] as number) - (doc.summary['startingEquity'] as number)))).toBeLessThan(1e-6);
  });

  it('checks each sleeve’s strategy for lookahead on its own', async () => {
    const result = await cli('run', '--manager', writeManager('look.json', twoSleeves), '--bars', '300', '--check-lookahead', '--json');
    expect(result.code).toBe(0);
    const lookahead = (JSON.parse(result.out) as { lookahead: { passed: boolean; strategy: string; comparedDecisions: number } }).lookahead;
    expect(lookahead).toMatchObject({ passed: true, strategy: 'strategy-manager (trend: sma-crossover, breakout: bracket-momentum)' });
    expect(lookahead.comparedDecisions).toBeGreaterThan(0);
  });

  it('is a flag of run only: sweep and walk-forward take one strategy', async () => {
    for (const command of ['sweep', 'walk-forward']) {
      const result = await cli(command, '--manager', 'manager.json', '--space', 'fast=5..10:5');
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/--manager/);
    }
  });

  it.each([
    ['a file that is not there', ['--manager', 'nope.json'], '--manager: cannot read nope.json (ENOENT)'],
    ['text that is not JSON', ['--manager', 'FILE:{ "sleeves": ['], /^bad\.json: not JSON/],
    ['allocations above 1', ['--manager', `FILE:${JSON.stringify({ sleeves: [twoSleeves.sleeves[0], { ...twoSleeves.sleeves[1], allocation: 0.6 }] })}`], 'bad.json: sleeves[1].allocation: the allocations add up to 1.1 with this sleeve; they may add up to at most 1'],
    ['an unknown strategy', ['--manager', `FILE:${JSON.stringify({ sleeves: [{ ...twoSleeves.sleeves[0], strategy: 'nope' }] })}`], /^bad\.json: sleeves\[0\]\.strategy: unknown strategy 'nope'/],
    ['a bad parameter', ['--manager', `FILE:${JSON.stringify({ sleeves: [{ ...twoSleeves.sleeves[0], params: { fast: 50 } }] })}`], /^bad\.json: sleeves\[0\]\.params\.fast: fast \(50\) must be below slow \(30\)/],
    ['a kill switch without a level', ['--manager', `FILE:${JSON.stringify({ sleeves: [{ ...twoSleeves.sleeves[0], killSwitch: { action: 'halt' } }] })}`], 'bad.json: sleeves[0].killSwitch: give maxDrawdownPct, maxLossPct or both'],
    ['a manager with --params', ['--manager', `FILE:${JSON.stringify(twoSleeves)}`, '--params', 'fast=5'], '--manager: the manager file bad.json names the strategies and their parameters: give it without a strategy or params'],
  ])('refuses %s with exit 2 and the file and field named', async (_case, argv, message) => {
    const args = argv.map((a) => (a.startsWith('FILE:') ? writeManager('bad.json', a.slice(5)) : a));
    const runs = join(workDir, 'results', 'runs');
    const before = readdirSync(runs).length;
    const result = await cli('run', ...args, '--bars', '300');
    expect(result.code).toBe(2);
    const line = result.err.trimEnd().replace(/^error: /, '');
    if (typeof message === 'string') expect(line).toBe(message);
    else expect(line).toMatch(message);
    // Refused before anything ran: no run folder.
    expect(readdirSync(runs)).toHaveLength(before);
  });
});
