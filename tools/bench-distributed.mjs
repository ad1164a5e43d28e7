#!/usr/bin/env node
// Trials per second of a distributed sweep (backtester sweep --distributed) and walk-forward
// (walk-forward --distributed: all folds queued at once, out-of-sample runs as workers' jobs) with
// 1, 2 and 4 local worker processes on the Postgres server in DATABASE_URL (or TEST_DATABASE_URL),
// against the same sweep and walk-forward on one local thread. Each run uses its own queue schema,
// dropped afterwards.
// Usage: node tools/bench-distributed.mjs [--bars n] [--batch-size n] [--workers 1,2,4] [--train n --test n] [--no-walk-forward]
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (url === undefined || url.trim() === '') {
  console.error('bench-distributed: set DATABASE_URL (or TEST_DATABASE_URL) to a Postgres server');
  process.exit(2);
}
const bars = option('bars', '50000');
const batchSize = option('batch-size', '4');
const counts = option('workers', '1,2,4').split(',').map(Number);
const space = option('space', 'fast=5..40:5,slow=50..200:25');
const main = resolve(import.meta.dirname, '..', 'apps', 'backtester', 'dist', 'main.js');
const cwd = mkdtempSync(join(tmpdir(), 'qb-bench-distributed-'));
const schema = `qb_bench_${randomBytes(4).toString('hex')}`;
const env = { ...process.env, DATABASE_URL: url };
const train = option('train', '10000');
const test = option('test', '10000');
const withWalkForward = !args.includes('--no-walk-forward');
const sweep = ['sweep', '--bars', bars, '--space', space, '--quiet'];
const walkForward = ['walk-forward', '--bars', bars, '--space', space, '--train', train, '--test', test, '--quiet'];

function run(argv) {
  return new Promise((done, fail) => {
    const started = performance.now();
    execFile(process.execPath, [main, ...argv], { cwd, env, timeout: 600_000 }, (error, out, err) => {
      // A walk-forward that fails its thresholds exits 1 with its run written: a measurement all the same.
      if (error !== null && !(error.code === 1 && /written: /.test(out))) return fail(new Error(`${argv.join(' ')} failed: ${err || error.message}`));
      const trials = Number(/(\d+) (?:in-sample )?trial\(s\)/.exec(out)?.[1]);
      done({ trials, seconds: (performance.now() - started) / 1000 });
    });
  });
}

async function dropSchema() {
  const { Client } = createRequire(resolve(import.meta.dirname, '..', 'libs', 'validation', 'package.json'))('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

const rows = [];
try {
  rows.push({ mode: 'sweep, local, 1 thread', ...(await run([...sweep, '--workers', '1'])) });
  if (withWalkForward) rows.push({ mode: 'walk-forward, local, 1 thread', ...(await run([...walkForward, '--workers', '1'])) });
  for (const count of counts) {
    const workers = Array.from({ length: count }, (_, i) =>
      spawn(process.execPath, [main, 'worker', '--queue-schema', schema, '--name', `bench-${i + 1}`, '--poll-ms', '100', '--quiet'], { cwd, env, stdio: 'ignore' }),
    );
    try {
      const distributed = ['--distributed', '--queue-schema', schema, '--batch-size', batchSize];
      rows.push({ mode: `sweep, ${count} worker process(es)`, ...(await run([...sweep, ...distributed])) });
      if (withWalkForward) rows.push({ mode: `walk-forward, ${count} worker process(es)`, ...(await run([...walkForward, ...distributed])) });
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.on('exit', r)))));
    }
  }
} finally {
  await dropSchema();
  rmSync(cwd, { recursive: true, force: true });
}
console.log(`distributed benchmark: ${bars} bars x 5 synthetic symbols, space ${space}, ${batchSize} trials per job${withWalkForward ? `; walk-forward --train ${train} --test ${test}` : ''}`);
console.log('mode                                     trials   wall s   trials/s');
for (const r of rows) console.log(`${r.mode.padEnd(41)}${String(r.trials).padStart(6)}${r.seconds.toFixed(2).padStart(9)}${(r.trials / r.seconds).toFixed(1).padStart(11)}`);
console.log('wall time is the submitting command\'s, start-up and data loading included; workers were started just before the first command');
console.log('a walk-forward\'s trials are its in-sample trials over all folds (each on the training window); its out-of-sample runs are not counted');
