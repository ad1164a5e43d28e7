// Lint for the whole workspace. The module-boundary rule turns the layering in docs/architecture.md
// into an error: a library may only import libraries of a lower layer (see depConstraints).
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/coverage', '**/.nx', 'results/**', 'tmp/**'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:cli', 'type:composition', 'type:domain', 'type:data', 'type:base'] },
            { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:composition', 'type:domain', 'type:data', 'type:base'] },
            { sourceTag: 'type:composition', onlyDependOnLibsWithTags: ['type:composition', 'type:domain', 'type:data', 'type:base'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:data', 'type:base'] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:base'] },
            { sourceTag: 'type:base', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the Clock port: library logic must be deterministic.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use a seeded Rng from @quantbot/core.' },
        { selector: 'ExportAllDeclaration', message: "List what an entry point exports by name (export { A } from './x'): no export *." },
      ],
    },
  },
  {
    // Tests and apps may read the wall clock (apps stamp run ids; libraries never do).
    files: ['**/*.spec.ts', 'apps/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
];
