import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DRILLS, INVARIANTS, runDrills } from '@quantbot/chaos';
import type { Drill, DrillResult, DrillStorage } from '@quantbot/chaos';
import { ConfigError } from '@quantbot/core';
import type { Logger } from '@quantbot/observability';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

/** Flags of `live-trader drill`. */
export const DRILL_FLAGS: readonly FlagSpec[] = [
  { name: 'all', kind: 'boolean', description: 'run every drill' },
  { name: 'drill', kind: 'string', valueName: 'name', description: 'run one drill (see the list below)' },
  { name: 'json', kind: 'boolean', description: 'print the JSON report instead of the table' },
  { name: 'storage', kind: 'string', valueName: 'kind', description: 'where each drill session keeps its state: embedded (default; PGlite in a temporary folder) or server (the Postgres server of DATABASE_URL, in a schema of its own, dropped after)' },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where the run folder with report.json goes (default results/drills)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const usage = (drills: readonly Drill[]): string => `usage: live-trader drill --all | --drill <name> [--storage embedded|server] [--json] [--results-dir dir]

Plays broker faults against a live session (the live trader's library entry point) on a local
fake Alpaca on 127.0.0.1, then checks the invariants after each: ${INVARIANTS.join(', ')}.
Prints a table (or --json), writes <results-dir>/<run id>/report.json, and exits 1 if any
invariant failed. See docs/chaos.md.

drills:
${drills.map((d) => `  ${d.name.padEnd(28)} ${d.fault}`).join('\n')}

flags:
${formatFlagHelp(DRILL_FLAGS)}`;

export interface DrillDeps {
  /** Wall clock, epoch ms: the run id. */
  readonly now: () => number;
  /** Monotonic ms: recovery and drill times. */
  readonly monotonic: () => number;
  readonly logger: Logger;
  /** The drills to choose from (default: every drill of @quantbot/chaos). */
  readonly drills?: readonly Drill[];
  /** The environment (`DATABASE_URL` for `--storage server`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The JSON report of one run. */
export interface DrillReport {
  readonly runId: string;
  /** Where the drill sessions kept their state. */
  readonly storage: DrillStorage['kind'];
  readonly ok: boolean;
  readonly invariants: readonly string[];
  readonly results: readonly DrillResult[];
}

export async function drillCommand(argv: readonly string[], io: CliIo, deps: DrillDeps): Promise<number> {
  const available = deps.drills ?? DRILLS;
  const flags = parseFlags(argv, DRILL_FLAGS);
  if (flags['help'] === true) {
    io.out(usage(available));
    return 0;
  }
  const names = available.map((d) => d.name).join(', ');
  const only = flags['drill'];
  if (flags['all'] === true && only !== undefined) throw new ConfigError('--drill', 'give --all or --drill <name>, not both');
  if (flags['all'] !== true && only === undefined) throw new ConfigError('--all', `give --all or --drill <name> (drills: ${names})`);
  let chosen: readonly Drill[] = available;
  if (typeof only === 'string') {
    const drill = available.find((d) => d.name === only);
    if (drill === undefined) throw new ConfigError('--drill', `unknown drill '${only}'; drills: ${names}`);
    chosen = [drill];
  }
  const storage = storageFlag(flags['storage'], deps.env ?? {});
  const runId = new Date(deps.now()).toISOString().replace(/[:.]/g, '-');
  const dir = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'drills'), runId);
  const json = flags['json'] === true;
  if (!json) io.out(`drills: ${chosen.length} on ${storage.kind === 'server' ? 'the Postgres server of DATABASE_URL' : 'the embedded database'} (run ${runId})`);
  const results = await runDrills(chosen, { clock: deps.monotonic, storage }, (result) => {
    deps.logger.info('drill', { drill: result.drill, ok: result.ok, recoveryMs: result.recoveryMs, failed: result.verdicts.filter((v) => !v.ok).map((v) => v.invariant) });
    if (!json) io.out(`${result.ok ? 'pass' : 'FAIL'} ${result.drill} (${Math.round(result.durationMs)} ms)`);
  });
  const report: DrillReport = { runId, storage: storage.kind, ok: results.every((r) => r.ok), invariants: INVARIANTS, results };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'report.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  if (json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(formatTable(results));
    for (const result of results) {
      for (const verdict of result.verdicts.filter((v) => !v.ok)) io.err(`${result.drill}: ${verdict.invariant} failed: ${verdict.detail}`);
    }
    io.out(`report: ${file}`);
  }
  return report.ok ? 0 : 1;
}

/** One row per drill: its fault, each invariant's verdict (and the drill's own checks), the recovery time. */
export function formatTable(results: readonly DrillResult[]): string {
  const header = ['drill', 'fault', ...INVARIANTS, 'own checks', 'recovery'];
  const rows = results.map((r) => {
    const verdictOf = (name: string): string => {
      const v = r.verdicts.find((x) => x.invariant === name);
      return v === undefined ? '-' : v.ok ? 'ok' : 'FAIL';
    };
    const own = r.verdicts.filter((v) => !(INVARIANTS as readonly string[]).includes(v.invariant));
    const fault = r.fault.length > 48 ? `${r.fault.slice(0, 47)}…` : r.fault;
    return [
      r.drill,
      fault,
      ...INVARIANTS.map(verdictOf),
      own.length === 0 ? '-' : own.every((v) => v.ok) ? `ok (${own.length})` : 'FAIL',
      r.recoveryMs === null ? '-' : `${Math.round(r.recoveryMs)} ms`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `--storage`: `embedded` (default) or `server`, which needs `DATABASE_URL`. */
function storageFlag(value: string | number | boolean | undefined, env: Readonly<Record<string, string | undefined>>): DrillStorage {
  if (value === undefined || value === 'embedded') return { kind: 'embedded' };
  if (value !== 'server') throw new ConfigError('--storage', `unknown storage '${String(value)}'; use embedded or server`);
  const url = env['DATABASE_URL']?.trim();
  if (url === undefined || url === '') throw new ConfigError('--storage', 'server needs DATABASE_URL (postgres://user@host:5432/db) in the environment');
  return { kind: 'server', url };
}
