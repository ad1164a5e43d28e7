module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'live-trader',
  rootDir: __dirname,
};
