import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DataError } from '@quantbot/core';
import type { RunManifest, RunManifestInput } from './run-artifacts';
import { computeRunDigest, equityCsv, toJsonLines, writeRunArtifacts } from './run-artifacts';
import type { DecisionEvent, OrderEventRecord, TradeRecord } from './run-records';
import { listRuns, parseEquityCsv, parseJsonLines, readRun, UnknownRunError, verifyRunFiles } from './run-store';

const DECISION: DecisionEvent = {
  seq: 1,
  time: '2024-01-02T00:00:00.000Z',
  symbol: 'ORCL',
  action: 'submit',
  clientOrderId: 'c-1',
  side: 'buy',
  type: 'market',
  qty: 10,
  limitPrice: null,
  stopPrice: null,
  inputs: { close: 101.5, sma20: 99.8 },
};

const ORDER: OrderEventRecord = {
  seq: 2,
  time: '2024-01-02T00:00:00.000Z',
  symbol: 'ORCL',
  clientOrderId: 'c-1',
  event: 'filled',
  side: 'buy',
  type: 'market',
  qty: 10,
  filledQty: 10,
  fillQty: 10,
  fillPrice: 101.6,
  commission: 1,
  reason: null,
};

const TRADE: TradeRecord = {
  symbol: 'ORCL',
  side: 'long',
  qty: 10,
  entryTime: '2024-01-02T00:00:00.000Z',
  entryPrice: 101.6,
  exitTime: '2024-01-05T00:00:00.000Z',
  exitPrice: 105,
  pnl: 34,
  commission: 2,
  netPnl: 32,
  barsHeld: 3,
};

function manifestAt(startedAt: string): RunManifestInput {
  return { startedAt, finishedAt: startedAt, codeVersion: null, commandLine: ['backtest'], parameters: {}, seed: null, dataHash: null };
}

describe('run store', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'quantbot-store-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function writeFullRun(runId: string, startedAt = '2024-01-02T03:04:05.000Z'): void {
    writeRunArtifacts({
      root,
      runId,
      manifest: manifestAt(startedAt),
      artifacts: [
        { name: 'summary.json', content: JSON.stringify({ netPnl: 32, trades: 1 }), deterministic: true },
        { name: 'decision_events.jsonl', content: toJsonLines([DECISION]), deterministic: true },
        { name: 'orders.jsonl', content: toJsonLines([ORDER]), deterministic: true },
        { name: 'trades.jsonl', content: toJsonLines([TRADE]), deterministic: true },
        { name: 'equity.csv', content: equityCsv({ time: [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)], equity: [100_000, 100_032.5] }), deterministic: true },
      ],
    });
  }

  describe('listRuns', () => {
    it('returns an empty list for a missing root', () => {
      expect(listRuns(join(root, 'nope'))).toEqual([]);
    });

    it('lists complete runs most recent first, then by run id', () => {
      writeRunArtifacts({ root, runId: 'old', artifacts: [], manifest: manifestAt('2023-06-01T00:00:00.000Z') });
      writeRunArtifacts({ root, runId: 'new-a', artifacts: [], manifest: manifestAt('2024-06-01T00:00:00.000Z') });
      writeRunArtifacts({ root, runId: 'new-b', artifacts: [], manifest: manifestAt('2024-06-01T00:00:00.000Z') });
      writeRunArtifacts({ root, runId: 'mid', artifacts: [], manifest: manifestAt('2024-01-01T00:00:00.000Z') });
      const runs = listRuns(root);
      expect(runs.map((run) => run.runId)).toEqual(['new-b', 'new-a', 'mid', 'old']);
      expect(runs[0]?.dir).toBe(join(root, 'new-b'));
      expect(runs[0]?.manifest.startedAt).toBe('2024-06-01T00:00:00.000Z');
    });

    it('ignores partial folders of crashed writes, hidden folders, stray files and folders without a valid manifest', () => {
      writeRunArtifacts({ root, runId: 'good', artifacts: [], manifest: manifestAt('2024-01-01T00:00:00.000Z') });
      // A crash before the rename leaves a complete-looking but hidden folder.
      const partial = join(root, '.partial-crashed-1234');
      mkdirSync(partial);
      writeFileSync(join(partial, 'manifest.json'), JSON.stringify({ schemaVersion: 1, runId: 'crashed' }));
      mkdirSync(join(root, 'no-manifest'));
      mkdirSync(join(root, 'bad-manifest'));
      writeFileSync(join(root, 'bad-manifest', 'manifest.json'), '{ not json');
      writeFileSync(join(root, 'README.txt'), 'not a run');
      expect(listRuns(root).map((run) => run.runId)).toEqual(['good']);
    });
  });

  describe('readRun', () => {
    it('reads back the manifest, summary, decisions, orders, trades and equity', () => {
      writeFullRun('run-1');
      const run = readRun(root, 'run-1');
      expect(run.dir).toBe(join(root, 'run-1'));
      expect(run.manifest.runId).toBe('run-1');
      expect(run.summary).toEqual({ netPnl: 32, trades: 1 });
      expect(run.decisions).toEqual([DECISION]);
      expect(run.orders).toEqual([ORDER]);
      expect(run.trades).toEqual([TRADE]);
      expect(run.equity).toEqual({ time: [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)], equity: [100_000, 100_032.5] });
    });

    it('reads artifacts a run did not write as empty', () => {
      writeRunArtifacts({ root, runId: 'bare', artifacts: [], manifest: manifestAt('2024-01-01T00:00:00.000Z') });
      const run = readRun(root, 'bare');
      expect(run.summary).toBeNull();
      expect([run.decisions, run.orders, run.trades]).toEqual([[], [], []]);
      expect(run.equity).toEqual({ time: [], equity: [] });
    });

    it('names the unknown id and lists the most recent runs, at most 10', () => {
      for (let i = 0; i < 12; i++) {
        writeRunArtifacts({ root, runId: `run-${String(i).padStart(2, '0')}`, artifacts: [], manifest: manifestAt(new Date(Date.UTC(2024, 0, 1 + i)).toISOString()) });
      }
      let caught: unknown;
      try {
        readRun(root, 'run-99');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UnknownRunError);
      const error = caught as UnknownRunError;
      expect(error.code).toBe('RUN_UNKNOWN');
      expect(error.recentRunIds).toEqual(['run-11', 'run-10', 'run-09', 'run-08', 'run-07', 'run-06', 'run-05', 'run-04', 'run-03', 'run-02']);
      expect(error.message).toBe(`no run 'run-99' in ${root}; the most recent runs are: ${error.recentRunIds.join(', ')}`);
    });

    it('says there are no runs when the root is empty or missing', () => {
      const missing = join(root, 'results', 'runs');
      expect(() => readRun(missing, 'run-1')).toThrow(new UnknownRunError('run-1', missing, []));
      expect(() => readRun(missing, 'run-1')).toThrow(`no run 'run-1': there are no runs in ${missing}`);
    });

    it('refuses an id that cannot be a run folder with a ConfigError naming runId', () => {
      expect(() => readRun(root, '../etc')).toThrow(ConfigError);
      expect(() => readRun(root, '.partial-x-1')).toThrow(/^runId:/);
    });

    it('reports a malformed JSONL line with the file and line number', () => {
      writeFullRun('run-1');
      const file = join(root, 'run-1', 'orders.jsonl');
      appendFileSync(file, '\n{"seq": 3, oops}\n');
      let caught: unknown;
      try {
        readRun(root, 'run-1');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DataError);
      expect((caught as DataError).location).toEqual({ file, line: 3 });
      expect((caught as DataError).message).toContain(`${file}:3: not valid JSON`);
    });

    it('reports a listed artifact that is missing with its path', () => {
      writeFullRun('run-1');
      unlinkSync(join(root, 'run-1', 'trades.jsonl'));
      expect(() => readRun(root, 'run-1')).toThrow(join(root, 'run-1', 'trades.jsonl'));
    });

    it('refuses a folder whose manifest belongs to another run', () => {
      writeRunArtifacts({ root, runId: 'run-1', artifacts: [], manifest: manifestAt('2024-01-01T00:00:00.000Z') });
      mkdirSync(join(root, 'copy'));
      writeFileSync(join(root, 'copy', 'manifest.json'), JSON.stringify(readRun(root, 'run-1').manifest));
      expect(() => readRun(root, 'copy')).toThrow(`${join(root, 'copy', 'manifest.json')}, field runId: the manifest is for run 'run-1', not 'copy'`);
      expect(listRuns(root).map((run) => run.runId)).toEqual(['run-1']);
    });
  });

  describe('verifyRunFiles', () => {
    it('passes an untouched run', () => {
      writeFullRun('run-1');
      expect(verifyRunFiles(root, 'run-1')).toEqual({ runId: 'run-1', ok: true, checked: 5, problems: [] });
    });

    it('reports changed, resized, missing and unlisted files', () => {
      writeFullRun('run-1');
      const dir = join(root, 'run-1');
      writeFileSync(join(dir, 'summary.json'), JSON.stringify({ netPnl: 99, trades: 1 })); // same size, other bytes
      appendFileSync(join(dir, 'equity.csv'), '2024-01-04T00:00:00.000Z,1\n');
      unlinkSync(join(dir, 'trades.jsonl'));
      writeFileSync(join(dir, 'notes.txt'), 'added later');
      const result = verifyRunFiles(root, 'run-1');
      expect(result.ok).toBe(false);
      expect(result.problems.map((problem) => [problem.name, problem.kind])).toEqual([
        ['equity.csv', 'size-mismatch'],
        ['summary.json', 'sha256-mismatch'],
        ['trades.jsonl', 'missing'],
        ['notes.txt', 'unlisted'],
      ]);
    });

    it('reports a manifest whose digest does not match its artifacts', () => {
      writeFullRun('run-1');
      const manifestFile = join(root, 'run-1', 'manifest.json');
      const manifest = { ...readRun(root, 'run-1').manifest, digest: '0'.repeat(64) };
      writeFileSync(manifestFile, JSON.stringify(manifest));
      expect(verifyRunFiles(root, 'run-1').problems.map((problem) => problem.kind)).toEqual(['digest-mismatch']);
    });

    it('detects an edit of parameters.params in the manifest (the digest covers the whole manifest)', () => {
      writeFullRun('run-1');
      const manifestFile = join(root, 'run-1', 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { parameters: unknown };
      manifest.parameters = { strategy: 'sma-crossover', params: { fast: 5, slow: 30 } };
      writeFileSync(manifestFile, JSON.stringify(manifest));
      const result = verifyRunFiles(root, 'run-1');
      expect(result.problems.map((problem) => problem.kind)).toEqual(['digest-mismatch']);
      expect(result.problems[0]?.message).toContain('it was edited');
    });

    it('still reads a schema-1 run (digest over the artifacts only) and says which schema it is', () => {
      writeFullRun('run-1');
      const manifestFile = join(root, 'run-1', 'manifest.json');
      const rest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
      delete rest['dataFiles'];
      delete rest['audit'];
      const legacy = { ...rest, schemaVersion: 1, digest: computeRunDigest(rest['artifacts'] as RunManifest['artifacts']) };
      writeFileSync(manifestFile, JSON.stringify(legacy));
      expect(readRun(root, 'run-1').manifest.schemaVersion).toBe(1);
      expect(verifyRunFiles(root, 'run-1').ok).toBe(true);
      writeFileSync(manifestFile, JSON.stringify({ ...legacy, schemaVersion: 3 }));
      expect(() => readRun(root, 'run-1')).toThrow(/schemaVersion.*3 is not a schema version this reader knows \(1 or 2\)/);
    });

    it('throws an UnknownRunError for an unknown run', () => {
      expect(() => verifyRunFiles(root, 'missing')).toThrow(UnknownRunError);
    });
  });
});

describe('parseJsonLines', () => {
  it('skips blank lines and accepts CRLF', () => {
    expect(parseJsonLines('{"a":1}\r\n\n[2]\n', 'x.jsonl')).toEqual([{ a: 1 }, [2]]);
  });

  it('names the field a check rejects, with the line', () => {
    const check = (record: unknown): { field: string; message: string } | undefined =>
      (record as { seq?: unknown }).seq === undefined ? { field: 'seq', message: 'missing' } : undefined;
    expect(() => parseJsonLines('{"seq":1}\n{}\n', 'orders.jsonl', check)).toThrow('orders.jsonl:2, field seq: missing');
  });
});

describe('parseEquityCsv', () => {
  it('round-trips what equityCsv writes', () => {
    const curve = { time: [0, 86_400_000], equity: [0.1 + 0.2, 1e21] };
    expect(parseEquityCsv(equityCsv(curve), 'equity.csv')).toEqual(curve);
  });

  it.each([
    ['date,value\n', 'equity.csv:1'],
    ['time,equity\nnot-a-time,1\n', 'equity.csv:2, field time'],
    ['time,equity\n1970-01-01T00:00:00.000Z,abc\n', 'equity.csv:2, field equity'],
    ['time,equity\n1970-01-01T00:00:00.000Z,1,2\n', 'equity.csv:2'],
  ])('refuses %j naming %s', (text, place) => {
    expect(() => parseEquityCsv(text, 'equity.csv')).toThrow(place);
  });
});
