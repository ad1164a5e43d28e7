#!/usr/bin/env node
// Proves the layering rules are enforced: writes probe files with imports that the architecture
// forbids, runs the workspace lint on them, and fails unless lint rejects every probe with the
// module-boundary rule. The probes are removed afterwards, whatever happens.
// Usage: node tools/verify-boundaries.mjs
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const probes = [
  { file: 'libs/core/src/boundary-probe.ts', code: "import { runBacktest } from '@quantbot/engine';\nexport const probe = runBacktest;\n", why: 'base (core) importing composition (engine)' },
  { file: 'libs/market-data/src/boundary-probe.ts', code: "import { Sma } from '@quantbot/strategies';\nexport const probe = Sma;\n", why: 'data (market-data) importing domain (strategies)' },
  { file: 'libs/strategies/src/boundary-probe.ts', code: "import { main } from '@quantbot/backtester';\nexport const probe = main;\n", why: 'a library importing an app' },
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
