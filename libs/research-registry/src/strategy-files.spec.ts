import type { Clock, EpochMs } from '@quantbot/core';
import { ConfigError, epochMs } from '@quantbot/core';
import type { Migration } from '@quantbot/storage';
import { STORAGE_MIGRATIONS, openDatabase } from '@quantbot/storage';
import { TEST_DATABASE_URL_ENV, describeStorageBackends, openTestDatabase, storageBackends } from '@quantbot/storage/testing';
import type { JsonObject } from './canonical-json';
import type { StrategyFileRef } from './experiment-input';
import type { RegistryTables } from './registry-schema';
import { REGISTRY_MIGRATIONS } from './registry-schema';
import { ResearchRegistry } from './research-registry';
import type { StrategyCatalog } from './strategy-catalog';

const SLOW = 60_000;
const SHA_A = 'a1'.repeat(32);
const SHA_B = 'b2'.repeat(32);
const FILE_A: StrategyFileRef = { path: '/strategies/my-breakout.ts', sha256: SHA_A, version: '1.0.0' };

function clock(): Clock {
  let n = 0;
  return { now: (): EpochMs => epochMs(Date.parse('2024-06-03T09:00:00Z') + 1000 * n++) };
}

/** A catalog that records what it was asked and refuses a file whose hash is not `currentSha` (as the promotion gate's does). */
function fileCatalog(currentSha: () => string): { catalog: StrategyCatalog; calls: Array<{ strategy: string; file: StrategyFileRef | undefined }> } {
  const calls: Array<{ strategy: string; file: StrategyFileRef | undefined }> = [];
  const catalog: StrategyCatalog = {
    strategies: () => ['sma-crossover'],
    checkParams(strategy: string, params: JsonObject, file?: StrategyFileRef): void {
      calls.push({ strategy, file });
      if (file !== undefined && file.sha256 !== currentSha()) throw new ConfigError('strategy', `changed: sha256 ${currentSha()}, expected ${file.sha256}`);
      if (typeof params['lookback'] !== 'number') throw new ConfigError('params.lookback', 'must be a number');
    },
  };
  return { catalog, calls };
}

describeStorageBackends<RegistryTables>('strategy files in the registry', { migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] }, ({ database }) => {
  it('records the file with the experiment and its hash with each snapshot, checking parameters against the recorded file', async () => {
    let sha = SHA_A;
    const { catalog, calls } = fileCatalog(() => sha);
    const registry = new ResearchRegistry(database().handle.db, { clock: clock(), strategies: catalog });
    // The name comes from the file's definition: it is not one the catalog ships, and is accepted.
    const experiment = await registry.createExperiment({ strategy: 'my-breakout', hypothesis: 'breakouts run', owner: 'alice', strategyFile: FILE_A });
    expect(experiment.strategyFile).toEqual(FILE_A);
    expect((await registry.getExperiment(experiment.id)).strategyFile).toEqual(FILE_A);
    const { record } = await registry.createSnapshot(experiment.id, { lookback: 20 });
    expect(record.strategyFileSha256).toBe(SHA_A);
    expect(calls.at(-1)).toEqual({ strategy: 'my-breakout', file: FILE_A });
    await expect(registry.createSnapshot(experiment.id, { lookback: 'x' })).rejects.toMatchObject({ key: 'params.lookback' });
    // The file changed: no snapshot of the experiment is taken for it.
    sha = SHA_B;
    await expect(registry.createSnapshot(experiment.id, { lookback: 30 })).rejects.toMatchObject({ key: 'strategy', message: expect.stringContaining(SHA_B) });
    expect(await registry.listSnapshots(experiment.id)).toHaveLength(1);
  }, SLOW);

  it('keeps a shipped strategy unchanged: looked up by name, no file, snapshots without a file hash', async () => {
    const { catalog, calls } = fileCatalog(() => SHA_A);
    const registry = new ResearchRegistry(database().handle.db, { clock: clock(), strategies: catalog });
    await expect(registry.createExperiment({ strategy: 'my-breakout', hypothesis: 'h', owner: 'alice' })).rejects.toMatchObject({ key: 'strategy' });
    const experiment = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice' });
    expect(experiment.strategyFile).toBeNull();
    const { record } = await registry.createSnapshot(experiment.id, { lookback: 5 });
    expect(record.strategyFileSha256).toBeNull();
    expect(calls.at(-1)).toEqual({ strategy: 'sma-crossover', file: undefined });
  }, SLOW);

  it('refuses a file hash that is not 64 hex digits', async () => {
    const registry = new ResearchRegistry(database().handle.db, { clock: clock() });
    await expect(registry.createExperiment({ strategy: 'x', hypothesis: 'h', owner: 'a', strategyFile: { ...FILE_A, sha256: 'nope' } })).rejects.toMatchObject({ key: 'strategyFile.sha256' });
  }, SLOW);
});

describe('registry migration 0005 (strategy files)', () => {
  const upTo4: readonly Migration[] = [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS.slice(0, 4)];
  const all: readonly Migration[] = [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS];
  for (const backend of storageBackends()) {
    if (backend.kind === 'server' && backend.url === undefined) {
      it(`is not run on ${backend.title}, which CI (CI=true) does not allow`, () => {
        if (process.env['CI'] === 'true') throw new Error(`${TEST_DATABASE_URL_ENV} is not set under CI: the server migration test must run`);
      });
      continue;
    }
    it(`keeps experiments and snapshots from before it as shipped strategies (${backend.title})`, async () => {
      const before = await openTestDatabase<RegistryTables>(backend.kind, upTo4);
      try {
        const exp = await before.handle.db
          .insertInto('registry_experiments')
          .values({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice', current_snapshot_id: null, created_at: '2024-01-01T00:00:00Z' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await before.handle.db
          .insertInto('registry_snapshots')
          .values({ experiment_id: exp.id, params_hash: 'a'.repeat(64), params_json: '{"fast":10}', label: null, created_at: '2024-01-01T00:00:00Z' })
          .execute();
        await before.handle.close();
        const after = await openDatabase<RegistryTables>(
          backend.kind === 'embedded' ? { dataDir: before.dataDir as string, migrations: all, env: {} } : { url: before.url as string, schema: before.schema as string, migrations: all, env: {} },
        );
        try {
          const registry = new ResearchRegistry(after.db, { clock: clock() });
          expect((await registry.getExperiment(exp.id)).strategyFile).toBeNull();
          const [snapshot] = await registry.listSnapshots(exp.id);
          expect(snapshot).toMatchObject({ strategyFileSha256: null });
          // Path, hash and version go together: a row with a path and no hash is refused by the schema.
          await expect(
            after.db.insertInto('registry_experiments').values({ strategy: 'x', hypothesis: 'h', owner: 'a', current_snapshot_id: null, created_at: '2024-01-01T00:00:00Z', strategy_file_path: '/x.ts' }).execute(),
          ).rejects.toThrow();
        } finally {
          await after.close();
        }
      } finally {
        await before.cleanup().catch(() => undefined);
      }
    }, SLOW);
  }
});
