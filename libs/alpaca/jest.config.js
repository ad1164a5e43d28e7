module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'alpaca',
  rootDir: __dirname,
};
