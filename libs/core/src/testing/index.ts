// @quantbot/core/testing: what the workspace's tests share about their environment. Not part of
// the main entry point; nothing here runs at import time.

// Prerequisites of tests: run when present, skipped (saying so) when optional, failing when required
export { decideTestPrerequisite, describeWithPrerequisite, isPrerequisiteRequired, itWithPrerequisite } from './test-prerequisite';
export type { TestEnv, TestFunction, TestPrerequisite, TestPrerequisiteDecision } from './test-prerequisite';

// The real market data beside the checkout
export { findWorkspaceRoot, realMarketDataDir, realMarketDataFile, realMarketDataPrerequisite, REQUIRE_TEST_DATA_ENV, TEST_DATA_DIR_ENV } from './real-market-data';

// A Chromium binary for browser tests
export { CHROMIUM_PATH_ENV, chromiumPath, chromiumPrerequisite, DEFAULT_CHROMIUM_PATH } from './chromium';
