import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPrerequisite, itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { sharedDataFile } from '../test/shared-data';
import { backtesterCli, runIdOf } from '../test/cli-harness';
import { main } from './main';
import type { CliIo } from '@quantbot/cli';
import { hashFiles } from '@quantbot/observability';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

interface Manifest {
  runId: string;
  digest: string;
  seed: number;
  dataHash: string | null;
  commandLine: string[];
  codeVersion: string | null;
  startedAt: string;
  finishedAt: string;
  artifacts: Record<string, { sha256: string; bytes: number; deterministic: boolean }>;
}

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-runs-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);

function manifestOf(runId: string): Manifest {
  return JSON.parse(readFileSync(join(workDir, 'results', 'runs', runId, 'manifest.json'), 'utf8')) as Manifest;
}

describe('run folders', () => {
  itWithData('records every artifact with its sha256, the command line, the seed and the data hash', async () => {
    const result = await cli('run', '--data', sharedDataFile('orcl-2003-2005.txt'), '--seed', '3');
    expect(result.code).toBe(0);
    const runId = runIdOf(result);
    const dir = join(workDir, 'results', 'runs', runId);
    expect(readdirSync(dir).sort()).toEqual(['decision_events.jsonl', 'equity.csv', 'manifest.json', 'orders.jsonl', 'summary.json', 'trades.jsonl']);
    const manifest = manifestOf(runId);
    expect(manifest).toMatchObject({ runId, seed: 3, startedAt: expect.stringMatching(/^2026-01-02T03:04:/), commandLine: ['backtester', 'run', '--data', sharedDataFile('orcl-2003-2005.txt'), '--seed', '3'] });
    expect(manifest.dataHash).toMatch(/^[0-9a-f]{64}$/);
    // Hashed while the file was read, it is the hash the file itself gives.
    expect(manifest.dataHash).toBe(hashFiles([sharedDataFile('orcl-2003-2005.txt')]).sha256);
    expect(manifest.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(manifest.artifacts).sort()).toEqual(['decision_events.jsonl', 'equity.csv', 'orders.jsonl', 'summary.json', 'trades.jsonl']);

    const trades = readFileSync(join(dir, 'trades.jsonl'), 'utf8').trim().split('\n');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { summary: Record<string, unknown> };
    expect(trades).toHaveLength(Number(summary.summary['closedTrades']));
    const decisions = readFileSync(join(dir, 'decision_events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; inputs: Record<string, number | null>; symbol: string });
    expect(decisions.length).toBeGreaterThanOrEqual(trades.length * 2);
    // Each decision carries the bar, the book and the strategy's own inputs.
    expect(decisions[0]).toMatchObject({ action: 'submit', symbol: 'ORCL', inputs: expect.objectContaining({ close: expect.any(Number), position: 0, 'strategy.fastSma': expect.any(Number), 'strategy.slowSma': expect.any(Number) }) });
    const orders = readFileSync(join(dir, 'orders.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(orders.filter((o) => o.event === 'filled').length).toBe(trades.length * 2 + (Number(summary.summary['openPositions']) > 0 ? 1 : 0));
    const equity = readFileSync(join(dir, 'equity.csv'), 'utf8').trim().split('\n');
    expect(equity[0]).toBe('time,equity');
    expect(equity).toHaveLength(Number(summary.summary['bars']) + 1);
  });

  it('gives the same digest for the same inputs and seed, and another for another seed', async () => {
    const a = manifestOf(runIdOf(await cli('run', '--seed', '11', '--bars', '800')));
    const b = manifestOf(runIdOf(await cli('run', '--seed', '11', '--bars', '800')));
    const c = manifestOf(runIdOf(await cli('run', '--seed', '12', '--bars', '800')));
    expect(b.runId).not.toBe(a.runId);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
  });

  /** The run id a command printed: `run <id> written`, `written: <id>`, or in a JSON document (`runId`, `summary.runId`). */
  const idOf = (result: { out: string }): string => {
    const match = /(?:^run (\S+) written|^written: (\S+))/m.exec(result.out);
    if (match !== null) return (match[1] ?? match[2]) as string;
    const doc = JSON.parse(result.out) as { runId?: string; summary?: { runId: string } };
    return (doc.runId ?? doc.summary?.runId) as string;
  };

  it('leaves the output-only flags (--json, --quiet, --timings, --report) out of the record, so they do not change the digest', async () => {
    const plain = manifestOf(idOf(await cli('run', '--seed', '13', '--bars', '600')));
    const shown = manifestOf(idOf(await cli('run', '--json', '--seed', '13', '--quiet', '--bars', '600', '--timings=true', '--report')));
    expect(shown.commandLine).toEqual(['backtester', 'run', '--seed', '13', '--bars', '600']);
    expect(shown.commandLine).toEqual(plain.commandLine);
    expect(shown.digest).toBe(plain.digest);
    const sweepArgs = ['--bars', '600', '--space', 'fast=5|10,slow=30', '--workers', '1'];
    const sweep = manifestOf(idOf(await cli('sweep', ...sweepArgs)));
    const quietSweep = manifestOf(idOf(await cli('sweep', ...sweepArgs, '--quiet', '--json')));
    expect(quietSweep.commandLine).toEqual(['backtester', 'sweep', ...sweepArgs]);
    expect(quietSweep.digest).toBe(sweep.digest);
  });

  it('never overwrites a run: the same configuration in the same second gets a new id', async () => {
    const io: CliIo = { out: () => undefined, err: () => undefined, cwd: workDir };
    const at = new Date(Date.UTC(2026, 5, 1));
    expect(await main(['run', '--bars', '300', '--json'], io, at, () => at)).toBe(0);
    expect(await main(['run', '--bars', '300', '--json'], io, at, () => at)).toBe(0);
    const ids = readdirSync(join(workDir, 'results', 'runs')).filter((id) => id.startsWith('20260601T000000Z'));
    expect(ids).toHaveLength(2);
    expect(ids.some((id) => id.endsWith('-2'))).toBe(true);
  });
});

describe('logging', () => {
  it('logs every invocation as JSON lines in results/logs, creating the folder, failures included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quantbot-log-'));
    try {
      const io: CliIo = { out: () => undefined, err: () => undefined, cwd: dir };
      const at = new Date(Date.UTC(2026, 3, 1));
      expect(await main(['run', '--bars', '300', '--json'], io, at, () => at)).toBe(0);
      expect(await main(['run', '--bars', 'many'], io, at, () => at)).toBe(2);
      const lines = readFileSync(join(dir, 'results', 'logs', 'backtester.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string; fields?: Record<string, unknown>; context?: Record<string, string> });
      expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual(['info start', 'info exit', 'info start', 'error failed', 'info exit']);
      expect(lines[0]?.context).toMatchObject({ app: 'backtester', command: 'run' });
      expect(lines[4]?.fields).toMatchObject({ code: 2 });
      expect(JSON.stringify(lines[3]?.fields)).toContain('--bars');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'backtester replay', () => {
  let runId: string;
  beforeAll(async () => {
    runId = runIdOf(await cli('run', '--data', sharedDataFile('orcl-2003-2005.txt'), '--risk', 'maxOrderQty=50', '--size', '100'));
  });

  it('prints decisions, orders and fills in time order, with filters', async () => {
    const all = await cli('replay', '--run-id', runId, '--json');
    expect(all.code).toBe(0);
    const entries = (JSON.parse(all.out) as { entries: { kind: string; time: string; seq: number }[] }).entries;
    expect(entries.length).toBeGreaterThan(0);
    for (let i = 1; i < entries.length; i++) {
      const [prev, next] = [entries[i - 1], entries[i]] as [{ time: string; seq: number }, { time: string; seq: number }];
      expect(prev.time < next.time || (prev.time === next.time && prev.seq < next.seq)).toBe(true);
    }
    const limited = await cli('replay', '--run-id', runId, '--limit', '3');
    expect(limited.out.trim().split('\n')).toHaveLength(3);
    const errors = JSON.parse((await cli('replay', '--run-id', runId, '--errors-only', '--json')).out) as { entries: { kind: string; event: string; reason: string }[] };
    // Every order asked for 100 shares against a 50-share limit: the gateway refused them all.
    expect(errors.entries.length).toBeGreaterThan(0);
    for (const e of errors.entries) expect(e).toMatchObject({ kind: 'order', event: 'rejected', reason: expect.stringContaining('order-qty') });
    const day = entries.find((e) => e.kind === 'decision')?.time.slice(0, 10) as string;
    const onDay = JSON.parse((await cli('replay', '--run-id', runId, '--replay-date', day, '--json')).out) as { entries: { time: string }[] };
    expect(onDay.entries.length).toBeGreaterThan(0);
    for (const e of onDay.entries) expect(e.time.startsWith(day)).toBe(true);
    const other = JSON.parse((await cli('replay', '--run-id', runId, '--symbol', 'NVDA', '--json')).out) as { entries: unknown[] };
    expect(other.entries).toEqual([]);
  });

  it('names an unknown run and lists the most recent ones', async () => {
    const result = await cli('replay', '--run-id', 'nope');
    expect(result.code).toBe(1);
    expect(result.err).toContain("no run 'nope'");
    expect(result.err).toContain(runId);
  });

  it('refuses a bad --replay-date and --limit naming the flag', async () => {
    expect((await cli('replay', '--run-id', runId, '--replay-date', '2004-13-01')).err).toContain('--replay-date');
    expect((await cli('replay', '--run-id', runId, '--limit', '0')).err).toContain('--limit');
  });

  it('--verify re-runs the recorded configuration and confirms the digest; a tampered run fails', async () => {
    const ok = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(ok.err).toBe('');
    expect(ok.out).toContain('verified: the re-run reproduces digest');
    expect(ok.code).toBe(0);
    const equity = join(workDir, 'results', 'runs', runId, 'equity.csv');
    const original = readFileSync(equity, 'utf8');
    const lines = original.split('\n');
    lines[5] = (lines[5] as string).replace(/,.*/, ',1');
    writeFileSync(equity, lines.join('\n'));
    try {
      const bad = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('equity.csv');
    } finally {
      writeFileSync(equity, original);
    }
  });
});

describe('backtester report', () => {
  itWithData('writes a self-contained report.html for a recorded run, and run --report writes one at the end', async () => {
    const runId = runIdOf(await cli('run', '--data', sharedDataFile('orcl-2003-2005.txt')));
    const result = await cli('report', '--run-id', runId);
    expect(result.code).toBe(0);
    const html = readFileSync(join(workDir, 'results', 'runs', runId, 'report.html'), 'utf8');
    for (const id of ['summary', 'equity', 'drawdown', 'benchmark', 'rolling', 'exposure', 'returns', 'trades', 'symbols', 'execution-quality', 'data-quality']) expect(html).toContain(`id="${id}"`);
    expect(html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(3);
    expect(html).not.toMatch(/<script|src="http/);
    // A report added later is derived from the artifacts: verification still passes.
    expect((await cli('replay', '--run-id', runId, '--verify', '--limit', '1')).code).toBe(0);

    const withReport = await cli('run', '--bars', '600', '--report');
    const id = runIdOf(withReport);
    expect(existsSync(join(workDir, 'results', 'runs', id, 'report.html'))).toBe(true);
    expect(manifestOf(id).artifacts['report.html']).toMatchObject({ deterministic: false });
    // A run with a report keeps its journal as records (the report draws the fills from them);
    // one without hands it to the compressor thread as it goes: the same files either way.
    const without = manifestOf(runIdOf(await cli('run', '--bars', '600')));
    const withIt = manifestOf(id);
    for (const name of ['decision_events.jsonl', 'orders.jsonl', 'trades.jsonl', 'equity.csv', 'summary.json']) {
      expect(without.artifacts[name]).toEqual(withIt.artifacts[name]);
    }
  });

  it('writes plain progress lines when output is not a terminal, a bar on a terminal, none with --json', async () => {
    let progress = '';
    const io: CliIo = { out: () => undefined, err: () => undefined, cwd: workDir, progress: { isTTY: false, write: (t) => ((progress += t), true) } };
    expect(await main(['run', '--bars', '20000', '--data-quality', 'off'], io, new Date(Date.UTC(2026, 2, 1)), () => new Date(Date.UTC(2026, 2, 1)))).toBe(0);
    // Short work on a pipe: the final line, without a bar or a carriage return; a phase that took
    // longer than a second (a loaded machine) adds its own plain line, nothing else may appear.
    expect(progress).not.toContain('\r');
    const lines = progress.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.filter((line) => !/^backtest: [a-z ]+ in [\d.]+s$/.test(line))).toEqual([expect.stringMatching(/^backtest 5 symbol\(s\) 100% 20000\/20000 \S+\/s in [\d.]+s$/)]);
    let tty = '';
    const ttyIo: CliIo = { ...io, progress: { isTTY: true, columns: 100, write: (t) => ((tty += t), true) } };
    expect(await main(['run', '--bars', '20000', '--data-quality', 'off'], ttyIo, new Date(Date.UTC(2026, 2, 2)), () => new Date(Date.UTC(2026, 2, 2)))).toBe(0);
    expect(tty).toContain('100%');
    let json = '';
    const jsonIo: CliIo = { ...io, progress: { isTTY: true, write: (t) => ((json += t), true) } };
    expect(await main(['run', '--bars', '20000', '--data-quality', 'off', '--json'], jsonIo, new Date(Date.UTC(2026, 2, 3)), () => new Date(Date.UTC(2026, 2, 3)))).toBe(0);
    expect(json).toBe('');
  });
});
