module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'backtester',
  rootDir: __dirname,
};
