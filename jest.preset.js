// Shared Jest settings for every project: TypeScript through ts-jest (type checking is the
// separate `typecheck` target, so tests transpile only), and workspace packages resolved to
// their sources so a test never runs against a stale build.
const path = require('node:path');

// Dependencies published only as ES modules. Node (20.19 and later) loads them with `require()`,
// so the built libraries use them as they are; Jest's own module loader cannot (it supports
// `require()` of an ES module only on Node 24.9 and later), so for tests ts-jest compiles their
// files to CommonJS like our sources. A dependency added here must have no top-level `await`.
const ES_MODULE_DEPENDENCIES = ['arquero'];

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: path.join(__dirname, 'tsconfig.base.json'), diagnostics: false },
    ],
    [`/node_modules/(${ES_MODULE_DEPENDENCIES.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true }, diagnostics: false },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ES_MODULE_DEPENDENCIES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@quantbot/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
    // Secondary entry points (`@quantbot/engine/live`): a folder with its own index.
    '^@quantbot/([a-z-]+)/([a-z-]+)$': path.join(__dirname, 'libs/$1/src/$2/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  coverageReporters: ['text-summary', 'lcov'],
};
