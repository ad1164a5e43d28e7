import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { epochMs } from '@quantbot/core';
import { createLogger } from '@quantbot/observability';
import type { RegistryTables } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS, ResearchRegistry } from '@quantbot/research-registry';
import { openDatabase } from '@quantbot/storage';
import { checkLivePromotion } from './live-promotion';
import { runCommand } from './run-command';
import { dropTestSchema } from '@quantbot/storage/testing';
import { manualStopSignal } from './stop-signal';
import type { CliIo } from '@quantbot/cli';

const SERVER = process.env['TEST_DATABASE_URL'];
const NOW = Date.parse('2024-03-05T15:00:00Z');

describe(`live money needs a live promotion in the research registry (registry on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let env: Record<string, string>;
  const schema = `live_promo_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-promo-'));
    env = SERVER ? { DATABASE_URL: SERVER, QUANTBOT_DB_SCHEMA: schema } : {};
    const handle = await openDatabase<RegistryTables>({ migrations: REGISTRY_DATABASE_MIGRATIONS, env, cwd, ...(SERVER ? { schema } : {}) });
    try {
      const registry = new ResearchRegistry(handle.db, { clock: { now: () => epochMs(NOW) } });
      const promoted = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trend persists intraday', owner: 'desk' });
      const snapshot = await registry.createSnapshot(promoted.id, { fast: 5, slow: 20, allowShort: false });
      await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'never promoted', owner: 'desk' });
      // The promotion itself is the gate's business (tested with the registry); here it is recorded
      // as the gate records it, so that only the trader's check is under test.
      await handle.db
        .insertInto('registry_promotions')
        .values({
          experiment_id: promoted.id,
          snapshot_id: snapshot.record.id,
          stage: 'live',
          capital_stage: 0,
          target_capital: 100_000,
          promoted_by: 'desk',
          promoted_at: new Date(NOW).toISOString(),
          config_version: 1,
          config_sha256: '0'.repeat(64),
          checklist: JSON.stringify({ recordedBy: 'test' }),
        })
        .execute();
    } finally {
      await handle.close();
    }
  }, 60_000);

  afterAll(async () => {
    if (SERVER) await dropTestSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  const check = async (experimentId: string, params: Record<string, string>, strategy = 'sma-crossover'): Promise<string | null> => {
    const found = await checkLivePromotion({ experimentId, sessionId: 'real-1', strategy, params, env, cwd, now: () => NOW });
    if ('refusal' in found) return found.refusal;
    // The authorization names what it allows: the session, the strategy and its resolved parameters.
    expect(found.authorization).toMatchObject({ sessionId: 'real-1', experimentId, strategy, params: '{"allowShort":false,"fast":5,"slow":20}' });
    // …and the capital stage it may trade at: stage 1, 1 % of the target capital.
    expect(found.authorization.capital).toMatchObject({ stageIndex: 0, stagePct: 1, targetCapital: 100_000, notionalCap: 1_000 });
    return null;
  };

  it('allows exactly the promoted strategy and parameters', async () => {
    expect(await check('exp-1', { fast: '5', slow: '20' })).toBeNull();
    expect(await check('exp-1', { fast: '6', slow: '20' })).toMatch(/are not those of a snapshot promoted to live in experiment exp-1/);
    expect(await check('exp-1', {}, 'bracket-momentum')).toMatch(/is about sma-crossover, not bracket-momentum/);
    expect(await check('exp-2', { fast: '5', slow: '20' })).toBe('experiment exp-2 has not been promoted to live');
    expect(await check('exp-9', {})).toMatch(/^experiment exp-9: /);
  }, 60_000);

  it('refuses a live run of an experiment that was not promoted, before connecting anywhere (exit 3)', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
    const logger = createLogger({ logFile: join(cwd, 'live-trader.log'), console: false });
    const code = await runCommand(
      ['--broker', 'alpaca', '--live', '--symbols', 'AAA', '--session', 'real-1', '--confirm-live', 'real-1', '--max-notional', '1000', '--max-position', '10', '--experiment', 'exp-2', '--params', 'fast=5,slow=20'],
      io,
      // No Alpaca keys at all: a refusal must come before credentials are even looked for.
      { env, now: () => NOW, monotonic: () => performance.now(), stop: manualStopSignal(), logger },
    );
    await logger.close();
    expect(code).toBe(3);
    expect(stderr).toEqual(['refused: experiment exp-2 has not been promoted to live']);
    // What it would have traded with is printed; nothing that trades or connects followed.
    expect(stdout).toEqual([
      'kill switch: haltAtDrawdownPct=5,dailyLossLimitPct=2,rearm=manual (the live default: no halt level was given)',
      'endpoints: trading https://api.alpaca.markets, market data https://data.alpaca.markets (LIVE MONEY)',
    ]);
  }, 60_000);
});
