module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'promotion-gate',
  rootDir: __dirname,
};
