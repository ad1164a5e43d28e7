import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { epochMs } from '@quantbot/core';
import type { RegistryTables } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS, ResearchRegistry } from '@quantbot/research-registry';
import { openDatabase } from '@quantbot/storage';
import { main } from './main';

// A strategy file outside the workspace trades a short paper session on the simulator; a restart
// with a changed file is refused like one with changed parameters; --live holds it to every live
// safeguard, and --experiment records paper days only for an experiment of this exact file.

const STRATEGY = `import type { BarView, Strategy, StrategyContext, StrategyDefinition } from '@quantbot/strategies';

class Flip implements Strategy {
  readonly name = 'flip';
  readonly #every: number;
  constructor(every: number) {
    this.#every = every;
  }
  onBar(bar: BarView, ctx: StrategyContext): void {
    if (bar.visibleSteps % this.#every !== 0) return;
    if (ctx.position(bar.symbolIndex) === 0) ctx.buy(bar.symbolIndex);
    else ctx.closePosition(bar.symbolIndex);
  }
}

export const strategy: StrategyDefinition = {
  name: 'flip',
  version: '1.0.0',
  description: 'buys, then sells, every few bars',
  params: [{ name: 'every', kind: 'integer', default: 5, min: 2, max: 20, description: 'bars between flips' }],
  create: (values) => new Flip(values['every'] as number),
};
`;

describe('live-trader run --strategy ./file.ts on the simulator', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-live-file-'));
    writeFileSync(join(cwd, 'flip.ts'), STRATEGY);
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const cliWith = async (env: Record<string, string>, ...argv: string[]) => {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd };
    const code = await main(argv, io, env, new Date('2024-03-05T15:00:00Z'));
    return { code, out, err };
  };
  const cli = (...argv: string[]) => cliWith({}, ...argv);
  const session = ['run', '--broker', 'sim', '--symbols', 'AAA,BBB', '--session', 'flip-paper', '--state-dir', 'state', '--data-quality', 'warn'];

  it('trades a short session, and refuses to resume it on a changed file', async () => {
    const first = await cli(...session, '--strategy', './flip.ts', '--stop-after', '30');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.out.trim().split('\n').at(-1) as string) as { liveSteps: number; cash: number };
    expect(summary.liveSteps).toBe(30);
    // The file's strategy traded: cash moved from the starting 100 000.
    expect(summary.cash).not.toBe(100_000);
    appendFileSync(join(cwd, 'flip.ts'), '\n// changed\n');
    const changed = await cli(...session, '--strategy', './flip.ts', '--stop-after', '5');
    expect(changed.code).toBe(1);
    expect(changed.err).toMatch(/checkpoint strategy\.params: were .*"sha256":"[0-9a-f]{64}".*, now .*"sha256":"[0-9a-f]{64}".*; start a new session for new parameters/);
  }, 90_000);

  it('holds a strategy file with --live to every live safeguard, and names a missing file', async () => {
    // A live session of a strategy file needs what any live session needs (the walk through a
    // live promotion of a file is going-live-strategy-file.spec.ts).
    const env = { ALPACA_API_KEY: 'key', ALPACA_SECRET_KEY: 'secret' };
    const live = ['run', '--broker', 'alpaca', '--alpaca-url', 'http://127.0.0.1:1', '--symbols', 'AAA', '--session', 'flip-live', '--state-dir', 'state', '--strategy', './flip.ts', '--live'];
    const unconfirmed = await cliWith(env, ...live);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.err).toContain('--confirm-live: live trading needs --confirm-live flip-live');
    const uncapped = await cliWith(env, ...live, '--confirm-live', 'flip-live');
    expect(uncapped.code).toBe(2);
    expect(uncapped.err).toContain('--max-notional: a live trial must be capped');
    const unpromoted = await cliWith(env, ...live, '--confirm-live', 'flip-live', '--max-notional', '1000', '--max-position', '10', '--kill-switch', 'haltAtDrawdownPct=20');
    expect(unpromoted.code).toBe(2);
    expect(unpromoted.err).toContain('--experiment: live trading needs the research-registry experiment that was promoted to live');
    const missing = await cli(...session, '--strategy', './nope.ts');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('./nope.ts: cannot read the strategy file (ENOENT)');
  });

  it('records paper days with --experiment only for an experiment promoted with this exact file', async () => {
    const shaA = createHash('sha256').update(readFileSync(join(cwd, 'flip.ts'))).digest('hex');
    // The registry (embedded, in the working folder): exp-1 studies flip.ts as it is now, its
    // snapshot promoted to paper as the gate records it (the gate itself is tested with the registry).
    const handle = await openDatabase<RegistryTables>({ migrations: REGISTRY_DATABASE_MIGRATIONS, env: {}, cwd });
    try {
      const registry = new ResearchRegistry(handle.db, { clock: { now: () => epochMs(Date.parse('2024-03-01T12:00:00Z')) } });
      const experiment = await registry.createExperiment({ strategy: 'flip', hypothesis: 'flipping pays', owner: 'desk', strategyFile: { path: join(cwd, 'flip.ts'), sha256: shaA, version: '1.0.0' } });
      const { record } = await registry.createSnapshot(experiment.id, { every: 5 });
      expect(record.strategyFileSha256).toBe(shaA);
      await handle.db
        .insertInto('registry_promotions')
        .values({ experiment_id: experiment.id, snapshot_id: record.id, stage: 'paper', promoted_by: 'desk', promoted_at: '2024-03-01T12:00:00Z', config_version: 1, config_sha256: '0'.repeat(64), checklist: '{}' })
        .execute();
    } finally {
      await handle.close();
    }
    // Alpaca paper at a loopback address nothing listens on: the session gets past the evidence check, then cannot connect.
    const env = { ALPACA_API_KEY: 'key', ALPACA_SECRET_KEY: 'secret' };
    const paper = ['run', '--broker', 'alpaca', '--alpaca-url', 'http://127.0.0.1:1', '--symbols', 'AAA', '--session', 'flip-evidence', '--state-dir', 'state', '--strategy', './flip.ts', '--params', 'every=5', '--experiment', 'exp-1'];
    const promoted = await cliWith(env, ...paper);
    expect(promoted.out).toContain('evidence: paper days recorded for exp-1 snapshot snap-1');
    expect(promoted.err).not.toContain('refused');
    // The file changed: the promotion of its first version is evidence for nothing the session trades.
    appendFileSync(join(cwd, 'flip.ts'), '\n// changed\n');
    const shaB = createHash('sha256').update(readFileSync(join(cwd, 'flip.ts'))).digest('hex');
    const changed = await cliWith(env, ...paper);
    expect(changed.code).toBe(3);
    expect(changed.err).toContain(`refused: experiment exp-1 records strategy file sha256 ${shaA}, but the session trades strategy file sha256 ${shaB}`);
    expect(changed.out).not.toContain('evidence:');
  }, 120_000);
});
