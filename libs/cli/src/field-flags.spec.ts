import { ConfigError, DataError } from '@quantbot/core';
import { flagForField, withFlagNames } from './field-flags';

const TABLE = { startingCash: '--cash', 'execution.feeBps': '--commission-bps', 'execution.': '--execution' };

describe('flagForField', () => {
  it.each([
    ['startingCash', '--cash'],
    ['execution.feeBps', '--commission-bps'],
    ['execution.latencyMs', '--execution latencyMs'],
    ['seed', undefined],
    ['risk.maxOrderNotional', undefined],
  ])('maps %s to %s', (field, flag) => {
    expect(flagForField(TABLE, field)).toBe(flag);
  });
});

describe('withFlagNames', () => {
  it('names the flag of a field the table knows, keeping the reason and the cause', () => {
    const original = new ConfigError('startingCash', 'must be a positive amount, got 0');
    const named = withFlagNames(original, TABLE) as ConfigError;
    expect([named.key, named.message, named.reason, named.cause]).toEqual(['--cash', '--cash: must be a positive amount, got 0', 'must be a positive amount, got 0', original]);
  });

  it('leaves other errors and unknown fields alone', () => {
    const data = new DataError('bad row');
    const unknown = new ConfigError('seed', 'odd');
    expect(withFlagNames(data, TABLE)).toBe(data);
    expect(withFlagNames(unknown, TABLE)).toBe(unknown);
  });
});
