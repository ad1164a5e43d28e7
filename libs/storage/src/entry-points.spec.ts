import * as storage from './index';
import * as testing from './testing';

describe('@quantbot/storage entry points', () => {
  it('the main entry ships no part of the test kit', () => {
    expect(Object.keys(storage).filter((name) => Object.keys(testing).includes(name))).toEqual([]);
  });

  it('@quantbot/storage/testing has the test kit', () => {
    expect(Object.keys(testing).sort()).toEqual(
      ['StorageTestKitError', 'TEST_DATABASE_OPEN_TIMEOUT_MS', 'TEST_DATABASE_URL_ENV', 'describeStorageBackends', 'dropTestSchema', 'openTestDatabase', 'serverPostgresPrerequisite', 'storageBackends', 'testSchemaName'].sort(),
    );
  });

  it('declaring a storage suite outside a test runner is a StorageTestKitError', () => {
    const saved = (globalThis as { describe?: unknown }).describe;
    try {
      (globalThis as { describe?: unknown }).describe = undefined;
      expect(() => testing.describeStorageBackends('x', {}, () => undefined)).toThrow(testing.StorageTestKitError);
    } finally {
      (globalThis as { describe?: unknown }).describe = saved;
    }
  });
});
