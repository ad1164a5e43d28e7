module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'research-registry',
  rootDir: __dirname,
};
