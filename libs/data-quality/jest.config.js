module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'data-quality',
  rootDir: __dirname,
};
