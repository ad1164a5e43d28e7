module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'factor-models',
  rootDir: __dirname,
};
