#!/usr/bin/env node
// Proves the layering rules are enforced: writes probe files with imports that the architecture
// forbids, runs the workspace lint on them, and fails unless lint rejects every probe with the
// module-boundary rule. The probes are removed afterwards, whatever happens. Then checks every
// source file of every project: no relative import may reach into another project (a test kit
// is imported from its library's `testing` entry point), even one whose lint error is disabled.
// Usage: node tools/verify-boundaries.mjs
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const probes = [
  { file: 'libs/core/src/boundary-probe.ts', code: "import { runBacktest } from '@quantbot/engine';\nexport const probe = runBacktest;\n", why: 'base (core) importing composition (engine)' },
  { file: 'libs/market-data/src/boundary-probe.ts', code: "import { Sma } from '@quantbot/strategies';\nexport const probe = Sma;\n", why: 'data (market-data) importing domain (strategies)' },
  { file: 'libs/strategies/src/boundary-probe.ts', code: "import { main } from '@quantbot/backtester';\nexport const probe = main;\n", why: 'a library importing an app' },
  {
    file: 'libs/research-registry/src/boundary-probe.spec.ts',
    code: "import { until } from '../../alpaca/src/wait.spec-helper';\nexport const probe = until;\n",
    why: "a library's test importing another library's spec helper by relative path",
  },
  {
    file: 'apps/promotion-gate/src/boundary-probe.spec.ts',
    code: "import { storageBackends } from '../../../libs/storage/src/testing/storage-test-backends';\nexport const probe = storageBackends;\n",
    why: "an app's test importing a library's test kit by relative path",
  },
];

// The boundary rule reads the project graph; make sure it exists.
const graph = spawnSync('npx', ['nx', 'show', 'projects'], { cwd: root, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } });
if (graph.status !== 0) {
  console.error(graph.stderr);
  process.exit(1);
}

let failures = 0;
try {
  for (const probe of probes) writeFileSync(join(root, probe.file), probe.code);
  for (const probe of probes) {
    const lint = spawnSync('npx', ['eslint', '--no-warn-ignored', probe.file], { cwd: root, encoding: 'utf8' });
    const output = `${lint.stdout}${lint.stderr}`;
    const rejected = lint.status !== 0 && output.includes('@nx/enforce-module-boundaries');
    console.log(`${rejected ? 'ok  ' : 'FAIL'} lint ${rejected ? 'rejects' : 'accepts'} ${probe.why}`);
    if (!rejected) {
      failures++;
      console.log(output);
    }
  }
} finally {
  for (const probe of probes) rmSync(join(root, probe.file), { force: true });
}
if (failures > 0) {
  console.error(`verify-boundaries: ${failures} forbidden import(s) passed lint`);
  process.exit(1);
}
console.log(`verify-boundaries: all ${probes.length} forbidden imports fail lint`);

// Relative imports that leave their project, in any file (sources, tests, configs). Files of the
// workspace root (jest.preset.js) may be reached; another project only through its package name.
const projects = ['libs', 'apps'].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, group, entry.name)),
);
const sourceFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', 'dist', 'coverage', '.nx'].includes(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
const within = (path, dir) => path === dir || path.startsWith(dir + sep);
const leaks = [];
for (const project of projects) {
  for (const file of sourceFiles(project)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]*)['"]/g)) {
      const target = resolve(dirname(file), match[1]);
      if (!within(target, project) && projects.some((other) => within(target, other))) leaks.push(`${relative(root, file)}: '${match[1]}'`);
    }
  }
}
if (leaks.length > 0) {
  console.error(`verify-boundaries: ${leaks.length} relative import(s) reach into another project (import its package, or its \`testing\` entry point for a test kit):`);
  for (const leak of leaks) console.error(`  ${leak}`);
  process.exit(1);
}
console.log(`verify-boundaries: no relative import leaves its project (${projects.length} projects)`);
