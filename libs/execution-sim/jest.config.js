module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'execution-sim',
  rootDir: __dirname,
};
