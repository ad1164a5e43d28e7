import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { epochMs } from '@quantbot/core';
import { STORAGE_MIGRATIONS, openDatabase } from '@quantbot/storage';
import type { RegistryTables } from './registry-schema';
import { REGISTRY_MIGRATIONS } from './registry-schema';
import { ResearchRegistry } from './research-registry';

describe('registry migration 0002 (evidence integrity)', () => {
  it('keeps evidence recorded before it as unverified, manual and without a recorder', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'qb-registry-migration-'));
    const env = { QUANTBOT_DATA_DIR: join(cwd, 'quantbot') };
    const clock = { now: () => epochMs(Date.parse('2024-06-03T12:00:00Z')) };
    try {
      // A database at migration 0001 with a validation and a paper day in it.
      const before = await openDatabase<RegistryTables>({ migrations: [...STORAGE_MIGRATIONS, REGISTRY_MIGRATIONS[0] as (typeof REGISTRY_MIGRATIONS)[number]], env, cwd });
      let experimentId: string;
      try {
        const exp = await before.db.insertInto('registry_experiments').values({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice', current_snapshot_id: null, created_at: '2024-01-01T00:00:00Z' }).returning('id').executeTakeFirstOrThrow();
        experimentId = exp.id;
        const snap = await before.db
          .insertInto('registry_snapshots')
          .values({ experiment_id: exp.id, params_hash: 'a'.repeat(64), params_json: '{}', label: null, created_at: '2024-01-01T00:00:00Z' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await before.db.updateTable('registry_experiments').set({ current_snapshot_id: snap.id }).where('id', '=', exp.id).execute();
        await before.db
          .insertInto('registry_validations')
          .values({
            experiment_id: exp.id,
            snapshot_id: snap.id,
            kind: 'walk-forward',
            source: null,
            artifact_sha256: null,
            strategy: null,
            mean_is_sharpe: 1.2,
            mean_oos_sharpe: 0.9,
            overfit_ratio: 1.3,
            overfit_ratio_status: 'finite',
            deflated_sharpe: null,
            pbo: null,
            trials: null,
            passed: true,
            reasons: '[]',
            folds: '[]',
            artifact: null,
            recorded_at: '2024-01-01T00:00:00Z',
          })
          .execute();
        await before.db
          .insertInto('registry_paper_days')
          .values({ experiment_id: exp.id, snapshot_id: snap.id, trade_date: '2024-01-02', daily_pnl: 1, quality_score: 90, average_slippage_bps: 1, fill_rate: 1, drawdown_pct: 0, equity: null, recorded_at: '2024-01-03T00:00:00Z' })
          .execute();
      } finally {
        await before.close();
      }
      const after = await openDatabase<RegistryTables>({ migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS], env, cwd });
      try {
        const registry = new ResearchRegistry(after.db, { clock });
        const [validation] = await registry.listValidations(experimentId);
        expect(validation).toMatchObject({ verified: false, recordedBy: null });
        expect(await registry.listPaperDays(experimentId)).toEqual([expect.objectContaining({ date: '2024-01-02', source: 'manual', recordedBy: null })]);
        const checklist = await registry.generatePromotionChecklist(experimentId, { stage: 'paper' });
        expect(checklist.items.find((i) => i.gate === 'walk-forward-oos-sharpe')).toMatchObject({ status: 'missing', measuredText: '0.9 (unverified)' });
      } finally {
        await after.close();
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});
