module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'live',
  rootDir: __dirname,
};
