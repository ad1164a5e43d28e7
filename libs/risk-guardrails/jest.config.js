module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'risk-guardrails',
  rootDir: __dirname,
};
