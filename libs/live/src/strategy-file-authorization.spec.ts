import { epochMs } from '@quantbot/core';
import type { StrategyDefinition } from '@quantbot/strategies';
import type { AuthorizeLiveOptions } from './live-authorization';
import { authorizeLiveTrading, checkLiveSafeguards, findPromotedSnapshot } from './live-authorization';

// A promotion of a strategy file covers exactly that file: the experiment and the promoted
// snapshot record its sha256, and a session trading a changed file (another hash) is refused.

const SHA_A = 'a1'.repeat(32);
const SHA_B = 'b2'.repeat(32);

const DEFINITION: StrategyDefinition = {
  name: 'my-breakout',
  version: '0.1.0',
  description: 'a strategy file',
  params: [{ name: 'lookback', kind: 'integer', default: 20, min: 10, max: 50, description: '' }],
  create: () => ({ name: 'my-breakout', onBar: () => undefined }),
};

type Registry = AuthorizeLiveOptions['registry'];

/** A registry with `exp-1` on the strategy file with hash `experimentSha`, whose `snap-1` (lookback 30, file hash `snapshotSha`) is promoted to paper and live. */
function registry(experimentSha: string | null, snapshotSha: string | null = experimentSha): Registry {
  return {
    getExperiment: async (id) =>
      ({ id, strategy: 'my-breakout', strategyFile: experimentSha === null ? null : { path: '/s/my-breakout.ts', sha256: experimentSha, version: '0.1.0' } }) as Awaited<ReturnType<Registry['getExperiment']>>,
    listPromotions: async () => [{ stage: 'paper', snapshotId: 'snap-1' }, { stage: 'live', snapshotId: 'snap-1' }] as unknown as Awaited<ReturnType<Registry['listPromotions']>>,
    resolveSnapshot: async () => ({ id: 'snap-1', params: { lookback: 30 }, strategyFileSha256: snapshotSha }) as unknown as Awaited<ReturnType<Registry['resolveSnapshot']>>,
    capitalStage: async () => ({ experimentId: 'exp-1', snapshotId: 'snap-1', promotionId: 'promo-2', stageIndex: 0, stagePct: 1, targetCapital: 100_000, notionalCap: 1_000, halted: false, lastAction: 'promote', since: epochMs(0), reason: null }),
  };
}

const session = (sha256: string | undefined, reg: Registry) =>
  authorizeLiveTrading({ registry: reg, experimentId: 'exp-1', sessionId: 's-1', strategy: 'my-breakout', params: { lookback: '30' }, ...(sha256 === undefined ? {} : { strategyFile: { definition: DEFINITION, sha256 } }) });

describe('live authorization of a strategy file', () => {
  it('authorizes the promoted file, resolving the parameters by its definition', async () => {
    const authorization = await session(SHA_A, registry(SHA_A));
    expect(authorization).toMatchObject({ snapshotId: 'snap-1', strategy: 'my-breakout', params: '{"lookback":30}' });
  });

  it('refuses a promotion of file A for file B, naming both hashes', async () => {
    await expect(session(SHA_B, registry(SHA_A))).rejects.toMatchObject({
      code: 'LIVE_NOT_PROMOTED',
      field: 'strategyFile',
      message: expect.stringContaining(`experiment exp-1 records strategy file sha256 ${SHA_A}, but the session trades strategy file sha256 ${SHA_B}`),
    });
  });

  it('refuses a session without the file hash for an experiment of a file, and a file session for a shipped-strategy experiment', async () => {
    await expect(session(undefined, registry(SHA_A))).rejects.toMatchObject({ code: 'LIVE_NOT_PROMOTED', field: 'strategyFile' });
    await expect(session(SHA_A, registry(null))).rejects.toMatchObject({ code: 'LIVE_NOT_PROMOTED', field: 'strategyFile' });
  });

  it('refuses a promoted snapshot whose recorded file hash is not the session file, on paper too', async () => {
    const reg = registry(SHA_A, SHA_B);
    await expect(session(SHA_A, reg)).rejects.toMatchObject({ code: 'LIVE_NOT_PROMOTED', field: 'strategyFile', message: expect.stringContaining(`snapshot snap-1 promoted to live records strategy file sha256 ${SHA_B}`) });
    const paper = findPromotedSnapshot({ registry: reg, experimentId: 'exp-1', stage: 'paper', strategy: 'my-breakout', params: { lookback: '30' }, strategyFile: { definition: DEFINITION, sha256: SHA_A } });
    await expect(paper).rejects.toMatchObject({ field: 'strategyFile' });
    const ok = await findPromotedSnapshot({ registry: registry(SHA_A), experimentId: 'exp-1', stage: 'paper', strategy: 'my-breakout', params: { lookback: '30' }, strategyFile: { definition: DEFINITION, sha256: SHA_A } });
    expect(ok).toEqual({ snapshotId: 'snap-1', params: '{"lookback":30}' });
  });

  it('lets a session through the venue gate only with the promoted file hash in its parameters', async () => {
    const authorization = await session(SHA_A, registry(SHA_A));
    expect(authorization.strategyFileSha256).toBe(SHA_A);
    const gateway = { limits: { maxOrderNotional: 500, maxPositionQty: 10, maxGrossNotional: 1_000 }, killSwitch: { haltAtDrawdownPct: 10 } };
    const check = (params: unknown) => () =>
      checkLiveSafeguards({ moneyMode: 'live', live: authorization, sessionId: 's-1', strategy: 'my-breakout', params: params as never, gateway });
    expect(check({ strategyFile: { sha256: SHA_A }, values: { lookback: 30 } })).not.toThrow();
    expect(check({ strategyFile: { sha256: SHA_B }, values: { lookback: 30 } })).toThrow(expect.objectContaining({ code: 'LIVE_AUTHORIZATION_MISMATCH', field: 'params' }));
    expect(check({ lookback: 30 })).toThrow(expect.objectContaining({ code: 'LIVE_AUTHORIZATION_MISMATCH', field: 'params' }));
    expect(check({ strategyFile: { sha256: SHA_A }, values: { lookback: 31 } })).toThrow(expect.objectContaining({ code: 'LIVE_AUTHORIZATION_MISMATCH', field: 'params' }));
  });
});
