module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'backtester',
  rootDir: __dirname,
  // Most of these tests run the CLI over real data files (a sweep runs dozens of backtests): on a
  // busy two-core machine one can take well over Jest's default of 5 s without being stuck.
  testTimeout: 60_000,
};
