// Shared Jest settings for every project: TypeScript through ts-jest (type checking is the
// separate `typecheck` target, so tests transpile only), and workspace packages resolved to
// their sources so a test never runs against a stale build.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: path.join(__dirname, 'tsconfig.base.json'), diagnostics: false },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@quantbot/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
    // Secondary entry points (`@quantbot/engine/live`): a folder with its own index.
    '^@quantbot/([a-z-]+)/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/$2/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  coverageReporters: ['text-summary', 'lcov'],
};
