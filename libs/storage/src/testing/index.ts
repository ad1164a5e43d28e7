// @quantbot/storage/testing: the storage test kit, for the tests of any project that keeps data
// in @quantbot/storage. A second entry point on purpose: test support is never part of the main
// entry, and the kit imports no test framework (it uses the runner's globals when called).
export {
  StorageTestKitError,
  TEST_DATABASE_OPEN_TIMEOUT_MS,
  TEST_DATABASE_URL_ENV,
  describeStorageBackends,
  dropTestSchema,
  openTestDatabase,
  serverPostgresPrerequisite,
  storageBackends,
  testSchemaName,
} from './storage-test-backends';
export type { StorageTestBackend, TestDatabase, TestRunnerGlobals } from './storage-test-backends';
