import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { canonicalJson } from '@quantbot/core';
import type { JsonValue } from '@quantbot/core';
import { hashAuditRecord } from '@quantbot/risk-guardrails';
import { describeWithPrerequisite, itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { sharedDataFile } from '../test/shared-data';
import { backtesterCli, runIdOf } from '../test/cli-harness';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

// Items: the audit head anchored in the run manifest (verify-audit --run-id), replay --verify
// writing nothing outside a temporary folder, and a digest over the whole manifest.

interface Manifest {
  schemaVersion: number;
  runId: string;
  digest: string;
  commandLine: string[];
  parameters: { params: Record<string, number>; cwd: string };
  dataHash: string | null;
  dataFiles: { name: string; sha256: string; bytes: number }[] | null;
  audit: { file: string; from: { records: number; hash: string }; head: { records: number; hash: string } } | null;
  artifacts: Record<string, { sha256: string; bytes: number; deterministic: boolean }>;
}

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-run-verify-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);

const manifestFile = (runId: string): string => join(workDir, 'results', 'runs', runId, 'manifest.json');
const readManifest = (runId: string): Manifest => JSON.parse(readFileSync(manifestFile(runId), 'utf8')) as Manifest;
const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** Every file under `dir` with its hash: the whole tree, to compare before and after. */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = sha256(readFileSync(path));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** The schema-2 digest, recomputed the way a forger would (see computeManifestDigest). */
function forgeDigest(manifest: Manifest): string {
  const artifacts = Object.fromEntries(Object.entries(manifest.artifacts).filter(([, e]) => e.deterministic).map(([name, e]) => [name, e.sha256]));
  const defining = {
    schemaVersion: manifest.schemaVersion,
    commandLine: manifest.commandLine,
    parameters: manifest.parameters,
    seed: (manifest as unknown as { seed: number }).seed,
    dataHash: manifest.dataHash,
    dataFiles: manifest.dataFiles,
    audit: manifest.audit,
    artifacts,
  };
  return sha256(canonicalJson(defining as unknown as JsonValue));
}

describeWithPrerequisite(realMarketDataPrerequisite(), 'the audit head anchored in the run manifest', () => {
  let log: string;
  let runId: string;
  let original: string;

  beforeAll(async () => {
    log = join(workDir, 'anchored-audit.jsonl');
    const result = await cli('run', '--data', sharedDataFile('orcl-2014.txt'), '--params', 'fast=5,slow=20', '--audit-log', log);
    expect(result.code).toBe(0);
    runId = runIdOf(result);
    original = readFileSync(log, 'utf8');
  });
  afterEach(() => writeFileSync(log, original));

  it('records the log head (count, last hash) in the manifest, covered by the digest', async () => {
    const manifest = readManifest(runId);
    const lines = original.trimEnd().split('\n');
    const last = JSON.parse(lines[lines.length - 1] as string) as { seq: number; hash: string };
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.audit).toEqual({ file: log, from: { records: 0, hash: '0'.repeat(64) }, head: { records: lines.length, hash: last.hash } });
    const ok = await cli('verify-audit', log, '--run-id', runId);
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(ok.out).toContain(`hash chain intact and record ${lines.length} matches the head anchored in run ${runId}`);
    // The file argument may be left out: the manifest names the log.
    expect((await cli('verify-audit', '--run-id', runId)).code).toBe(0);
  });

  it('detects a cut tail through the anchor', async () => {
    const lines = original.trimEnd().split('\n');
    writeFileSync(log, `${lines.slice(0, -2).join('\n')}\n`);
    expect((await cli('verify-audit', log)).code).toBe(0); // the file alone cannot tell
    const cut = await cli('verify-audit', log, '--run-id', runId);
    expect(cut.code).toBe(1);
    expect(cut.out).toContain('NOT intact: truncated');
    expect(cut.err).toContain(`${lines.length - 2} record(s), but its anchor says ${lines.length}`);
  });

  it('detects an emptied file and a deleted file through the anchor', async () => {
    writeFileSync(log, '');
    const emptied = await cli('verify-audit', log, '--run-id', runId);
    expect(emptied.code).toBe(1);
    expect(emptied.err).toContain('truncated');
    rmSync(log);
    const deleted = await cli('verify-audit', log, '--run-id', runId);
    expect(deleted.code).toBe(1);
    expect(deleted.err).toContain('missing');
  });

  it('detects a chain edited and re-hashed from the edit on, and an anchor edited in the manifest', async () => {
    const records = original.trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; time: number; kind: string; detail: Record<string, JsonValue>; prev: string; hash: string });
    (records[0] as { detail: Record<string, JsonValue> }).detail = { ...records[0]?.detail, qty: 1 };
    let prev = '0'.repeat(64);
    for (const record of records) {
      record.prev = prev;
      record.hash = hashAuditRecord({ seq: record.seq, time: record.time, kind: record.kind, detail: record.detail, prev });
      prev = record.hash;
    }
    writeFileSync(log, records.map((record) => `{"seq":${record.seq},"time":${record.time},"kind":${JSON.stringify(record.kind)},"detail":${canonicalJson(record.detail)},"prev":"${record.prev}","hash":"${record.hash}"}\n`).join(''));
    expect((await cli('verify-audit', log)).code).toBe(0); // consistent on its own
    const rehashed = await cli('verify-audit', log, '--run-id', runId);
    expect(rehashed.code).toBe(1);
    expect(rehashed.err).toContain('head-mismatch');
    // Moving the anchor to the forged head without recomputing the digest is caught too.
    const manifestText = readFileSync(manifestFile(runId), 'utf8');
    const manifest = JSON.parse(manifestText) as Manifest;
    writeFileSync(manifestFile(runId), JSON.stringify({ ...manifest, audit: { ...manifest.audit, head: { records: records.length, hash: prev } } }, null, 2));
    try {
      const moved = await cli('verify-audit', log, '--run-id', runId);
      expect(moved.code).toBe(1);
      expect(moved.err).toContain('the anchor cannot be trusted');
    } finally {
      writeFileSync(manifestFile(runId), manifestText);
    }
  });

  it('accepts the head given by hand, and refuses half an anchor', async () => {
    const head = readManifest(runId).audit?.head as { records: number; hash: string };
    expect((await cli('verify-audit', log, '--expect-count', String(head.records), '--expect-head', head.hash)).code).toBe(0);
    expect((await cli('verify-audit', log, '--expect-count', String(head.records + 1), '--expect-head', head.hash)).code).toBe(1);
    const half = await cli('verify-audit', log, '--expect-count', '3');
    expect(half.code).toBe(2);
    expect(half.err).toContain('--expect-head');
  });
});

describe('replay --verify', () => {
  itWithData('writes nothing outside a temporary folder: not the audit log, not the results tree', async () => {
    const log = join(workDir, 'replayed-audit.jsonl');
    const result = await cli('run', '--data', sharedDataFile('orcl-2014.txt'), '--params', 'fast=5,slow=20', '--audit-log', log, '--report');
    expect(result.code).toBe(0);
    const runId = runIdOf(result);
    const auditBefore = readFileSync(log);
    const resultsBefore = snapshotTree(join(workDir, 'results', 'runs'));
    const filesBefore = readdirSync(workDir).sort();
    const tempBefore = readdirSync(tmpdir()).filter((name) => name.startsWith('quantbot-verify-'));

    const verified = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(verified.err).toBe('');
    expect(verified.out).toContain('verified: the re-run reproduces digest');
    expect(verified.code).toBe(0);

    expect(readFileSync(log).equals(auditBefore)).toBe(true);
    expect(snapshotTree(join(workDir, 'results', 'runs'))).toEqual(resultsBefore);
    expect(readdirSync(workDir).sort()).toEqual(filesBefore);
    // The temporary folder is gone too.
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('quantbot-verify-'))).toEqual(tempBefore);
    // And the log still matches its anchor.
    expect((await cli('verify-audit', log, '--run-id', runId)).code).toBe(0);
  });

  it('prints a failure line on stdout (never "verified") with exit 1 for a tampered run', async () => {
    const runId = runIdOf(await cli('run', '--seed', '7', '--bars', '300'));
    const equity = join(workDir, 'results', 'runs', runId, 'equity.csv');
    const original = readFileSync(equity, 'utf8');
    const lines = original.split('\n');
    lines[5] = (lines[5] as string).replace(/,.*/, ',1');
    writeFileSync(equity, lines.join('\n'));
    try {
      const bad = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('NOT verified');
      expect(bad.out).not.toMatch(/^verified/m);
      expect(bad.err).toContain('equity.csv');
    } finally {
      writeFileSync(equity, original);
    }
  });

  it('verifies and reports a long run whose large artifacts are stored compressed, and detects an edit inside one', async () => {
    // 40,000 synthetic bars: equity.csv is about 1.3 MB, over the 1 MiB threshold.
    const runId = runIdOf(await cli('run', '--seed', '9', '--bars', '40000', '--symbols', 'SYN'));
    const dir = join(workDir, 'results', 'runs', runId);
    const files = readdirSync(dir);
    expect(files).toContain('equity.csv.gz');
    expect(files).not.toContain('equity.csv');
    expect(readManifest(runId).artifacts['equity.csv.gz']).toEqual(expect.objectContaining({ encoding: 'gzip', deterministic: true }));
    const good = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/^verified: the re-run reproduces digest/m);
    const report = await cli('report', '--run-id', runId);
    expect(report.code).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('40,000 bars');

    const gz = join(dir, 'equity.csv.gz');
    const original = readFileSync(gz);
    const lines = gunzipSync(original).toString('utf8').split('\n');
    lines[5] = (lines[5] as string).replace(/,.*/, ',1');
    writeFileSync(gz, gzipSync(lines.join('\n')));
    try {
      const bad = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('NOT verified');
      expect(bad.err).toContain('equity.csv.gz');
    } finally {
      writeFileSync(gz, original);
    }
  });

  it('detects an edit of parameters.params, even with the digest recomputed', async () => {
    const runId = runIdOf(await cli('run', '--seed', '8', '--bars', '300', '--params', 'fast=10,slow=30'));
    const text = readFileSync(manifestFile(runId), 'utf8');
    const manifest = JSON.parse(text) as Manifest;
    manifest.parameters.params = { ...manifest.parameters.params, fast: 5 };
    try {
      writeFileSync(manifestFile(runId), JSON.stringify(manifest, null, 2));
      const edited = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
      expect(edited.code).toBe(1);
      expect(edited.out).toContain('NOT verified');
      expect(edited.err).toContain('it was edited');
      // A forger who also recomputes the digest is caught by the re-run.
      writeFileSync(manifestFile(runId), JSON.stringify({ ...manifest, digest: forgeDigest(manifest) }, null, 2));
      const forged = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
      expect(forged.code).toBe(1);
      expect(forged.err).not.toContain('it was edited');
      expect(forged.err).toContain('the re-run does not reproduce');
      expect(forged.err).toMatch(/parameters: the manifest says .*"fast":5.*the recorded command line gives .*"fast":10/);
    } finally {
      writeFileSync(manifestFile(runId), text);
    }
  });

  itWithData('compares the recorded input data hashes with the files it re-reads', async () => {
    const data = join(workDir, 'orcl-copy.txt');
    cpSync(sharedDataFile('orcl-2014.txt'), data);
    const runId = runIdOf(await cli('run', '--data', data));
    expect(readManifest(runId).dataFiles).toEqual([{ name: 'orcl-copy.txt', sha256: sha256(readFileSync(data)), bytes: statSync(data).size }]);
    const lines = readFileSync(data, 'utf8').split('\n');
    // Same shape, one close changed by a cent.
    const cells = (lines[10] as string).split(',');
    cells[4] = (Number(cells[4]) + 0.01).toFixed(2);
    lines[10] = cells.join(',');
    writeFileSync(data, lines.join('\n'));
    const changed = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(changed.code).toBe(1);
    expect(changed.out).toContain('NOT verified');
    expect(changed.err).toMatch(/input data: orcl-copy\.txt hashes to [0-9a-f]{12}… now, the manifest recorded [0-9a-f]{12}…/);
  });

  it('names the flag, not the library field, when the recorded command line no longer runs', async () => {
    const runId = runIdOf(await cli('run', '--seed', '10', '--bars', '300'));
    const text = readFileSync(manifestFile(runId), 'utf8');
    const manifest = JSON.parse(text) as Manifest;
    try {
      writeFileSync(manifestFile(runId), JSON.stringify({ ...manifest, commandLine: [...manifest.commandLine, '--cash', '0'] }, null, 2));
      const broken = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
      expect(broken.code).toBe(1);
      expect(broken.err).toContain(`the re-run of run ${runId} failed: --cash: must be a positive amount, got 0`);
    } finally {
      writeFileSync(manifestFile(runId), text);
    }
  });

  it('reports a schema-1 run as not verifiable instead of verifying it', async () => {
    const runId = runIdOf(await cli('run', '--seed', '9', '--bars', '300'));
    const rest = readManifest(runId) as unknown as Record<string, unknown>;
    delete rest['dataFiles'];
    delete rest['audit'];
    const artifacts = rest['artifacts'] as Manifest['artifacts'];
    const v1digest = sha256(Object.keys(artifacts).sort().filter((name) => artifacts[name]?.deterministic).map((name) => `${name}\t${artifacts[name]?.sha256}\n`).join(''));
    writeFileSync(manifestFile(runId), JSON.stringify({ ...rest, schemaVersion: 1, digest: v1digest }, null, 2));
    const old = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(old.code).toBe(1);
    expect(old.out).toContain('NOT verified');
    expect(old.err).toContain('has manifest schema 1: its digest covers only the artifacts');
    // It still replays.
    expect((await cli('replay', '--run-id', runId, '--limit', '1')).code).toBe(0);
  });
});
