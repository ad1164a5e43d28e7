// Large artifacts are stored gzip-compressed; the digest covers their content, so how a run is
// stored never changes what it proves, and every reader sees the same text either way.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConfigError, DataError } from '@quantbot/core';
import type { RunArtifact, RunManifestInput } from './run-artifacts';
import { COMPRESS_ARTIFACT_MIN_BYTES, equityCsv, equityCsvChunks, jsonLinesChunks, sha256Hex, toJsonLines, writeRunArtifacts, writeRunArtifactsStreaming } from './run-artifacts';
import { parseRunManifest, readArtifactText, readRun, verifyRunFiles } from './run-store';

const MANIFEST: RunManifestInput = {
  startedAt: '2024-01-02T03:04:05.000Z',
  finishedAt: '2024-01-02T03:04:09.500Z',
  codeVersion: null,
  commandLine: ['backtest'],
  parameters: { strategy: 'sma' },
  seed: 1,
  dataHash: null,
};

/** An equity curve whose CSV is well over the compression threshold. */
function bigEquity(): { time: number[]; equity: number[] } {
  const n = 60_000;
  const time = Array.from({ length: n }, (_, i) => Date.UTC(2000, 0, 1) + i * 86_400_000);
  const equity = Array.from({ length: n }, (_, i) => 100_000 + Math.round(Math.sin(i / 50) * 1e6) / 100);
  return { time, equity };
}

function artifacts(compressible: boolean): RunArtifact[] {
  const notes = Array.from({ length: 20_000 }, (_, i) => ({ seq: i + 1, time: '2000-01-03T00:00:00.000Z', note: 'a strategy note', qty: 100 }));
  return [
    { name: 'summary.json', content: '{"summary":{}}\n', deterministic: true, compressible },
    { name: 'notes.jsonl', content: toJsonLines(notes), deterministic: true, compressible },
    { name: 'equity.csv', content: equityCsv(bigEquity()), deterministic: true, compressible },
    { name: 'run.log', content: 'wall clock 12:00\n', deterministic: false },
  ];
}

describe('compressed run artifacts', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'quantbot-gz-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores a compressible artifact of 1 MiB or more as <name>.gz, with its content hash; small ones stay plain', () => {
    const input = artifacts(true);
    const manifest = writeRunArtifacts({ root, runId: 'gz', artifacts: input, manifest: MANIFEST });
    const csv = input[2]?.content as string;
    expect(Buffer.byteLength(csv)).toBeGreaterThanOrEqual(COMPRESS_ARTIFACT_MIN_BYTES);
    expect(Object.keys(manifest.artifacts).sort()).toEqual(['equity.csv.gz', 'notes.jsonl.gz', 'run.log', 'summary.json']);
    const entry = manifest.artifacts['equity.csv.gz'];
    expect(entry).toEqual({
      sha256: sha256Hex(readFileSync(join(root, 'gz', 'equity.csv.gz'))),
      bytes: readFileSync(join(root, 'gz', 'equity.csv.gz')).length,
      deterministic: true,
      encoding: 'gzip',
      content: { sha256: sha256Hex(csv), bytes: Buffer.byteLength(csv) },
    });
    expect(entry?.bytes).toBeLessThan(Buffer.byteLength(csv) / 3);
    expect(gunzipSync(readFileSync(join(root, 'gz', 'equity.csv.gz'))).toString('utf8')).toBe(csv);
    expect(manifest.artifacts['summary.json']).toEqual({ sha256: sha256Hex('{"summary":{}}\n'), bytes: 15, deterministic: true });
  });

  it('gives the same digest stored compressed or plain, and readRun reads the same records from both', () => {
    const compressed = writeRunArtifacts({ root, runId: 'gz', artifacts: artifacts(true), manifest: MANIFEST });
    const plain = writeRunArtifacts({ root, runId: 'plain', artifacts: artifacts(false), manifest: MANIFEST });
    expect(Object.keys(plain.artifacts)).toContain('equity.csv');
    expect(compressed.digest).toBe(plain.digest);
    const a = readRun(root, 'gz');
    const b = readRun(root, 'plain');
    expect(a.equity).toEqual(b.equity);
    expect(a.equity.time).toHaveLength(60_000);
    const notes = readArtifactText(a.dir, a.manifest, 'notes.jsonl')?.text;
    expect(notes).toBe(readArtifactText(b.dir, b.manifest, 'notes.jsonl')?.text);
    expect(notes?.split('\n')).toHaveLength(20_001);
    expect(readArtifactText(a.dir, a.manifest, 'equity.csv')?.text).toBe(readArtifactText(b.dir, b.manifest, 'equity.csv')?.text);
    expect(verifyRunFiles(root, 'gz')).toEqual(expect.objectContaining({ ok: true, problems: [] }));
  });

  it('detects a compressed artifact changed after the run, and names a damaged one when reading it', () => {
    writeRunArtifacts({ root, runId: 'gz', artifacts: artifacts(true), manifest: MANIFEST });
    const file = join(root, 'gz', 'equity.csv.gz');
    const edited = gunzipSync(readFileSync(file)).toString('utf8').replace(',100000\n', ',100001\n');
    writeFileSync(file, gzipSync(edited, { level: 1 }));
    expect(verifyRunFiles(root, 'gz').problems.map((p) => [p.name, p.kind])).toEqual([
      ['equity.csv.gz', expect.stringMatching(/^(size|sha256)-mismatch$/)],
      ['equity.csv.gz', 'content-mismatch'],
    ]);

    const bytes = readFileSync(file);
    bytes[bytes.length - 6] = (bytes[bytes.length - 6] as number) ^ 0xff;
    writeFileSync(file, bytes);
    expect(() => readRun(root, 'gz')).toThrow(DataError);
    expect(() => readRun(root, 'gz')).toThrow(/equity\.csv\.gz.*(decompress|bytes)/);
  });

  it('detects forged content in a compressed artifact even when the manifest\'s stored hash and size are rewritten to match', () => {
    writeRunArtifacts({ root, runId: 'gz', artifacts: artifacts(true), manifest: MANIFEST });
    const dir = join(root, 'gz');
    const file = join(dir, 'equity.csv.gz');
    const forged = gzipSync(gunzipSync(readFileSync(file)).toString('utf8').replace(',100000\n', ',999999\n'), { level: 1 });
    writeFileSync(file, forged);
    // The stored bytes' hash and size are not in the digest: a forger can rewrite them freely.
    const manifestFile = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts: Record<string, { sha256: string; bytes: number }> };
    manifest.artifacts['equity.csv.gz'] = { ...manifest.artifacts['equity.csv.gz'], sha256: sha256Hex(forged), bytes: forged.length } as { sha256: string; bytes: number };
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    const check = verifyRunFiles(root, 'gz');
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual([expect.objectContaining({ name: 'equity.csv.gz', kind: 'content-mismatch' })]);
  });

  it('refuses artifact names ending in .gz and manifests with an unknown encoding', () => {
    expect(() => writeRunArtifacts({ root, runId: 'x', artifacts: [{ name: 'a.csv.gz', content: 'x', deterministic: true }], manifest: MANIFEST })).toThrow(ConfigError);
    const manifest = writeRunArtifacts({ root, runId: 'gz', artifacts: artifacts(true), manifest: MANIFEST });
    const text = JSON.stringify({ ...manifest, artifacts: { ...manifest.artifacts, 'equity.csv.gz': { ...manifest.artifacts['equity.csv.gz'], encoding: 'zstd' } } });
    expect(() => parseRunManifest(text, 'manifest.json')).toThrow(/artifacts\.equity\.csv\.gz\.encoding/);
    const noContent = JSON.stringify({ ...manifest, artifacts: { ...manifest.artifacts, 'equity.csv.gz': { ...manifest.artifacts['equity.csv.gz'], content: undefined } } });
    expect(() => parseRunManifest(noContent, 'manifest.json')).toThrow(/content/);
  });

  it('streams the same files, manifest and digest as the one-shot writer, from pieces made on demand', async () => {
    const oneShot = writeRunArtifacts({ root, runId: 'one', artifacts: artifacts(true), manifest: MANIFEST });
    const equity = bigEquity();
    const notes = Array.from({ length: 20_000 }, (_, i) => ({ seq: i + 1, time: '2000-01-03T00:00:00.000Z', note: 'a strategy note', qty: 100 }));
    let made = 0;
    const streamed = await writeRunArtifactsStreaming({
      root,
      runId: 'streamed',
      manifest: MANIFEST,
      artifacts: [
        { name: 'summary.json', content: () => '{"summary":{}}\n', deterministic: true, compressible: true },
        { name: 'notes.jsonl', content: () => jsonLinesChunks(notes), deterministic: true, compressible: true },
        {
          name: 'equity.csv',
          content: function* () {
            for (const chunk of equityCsvChunks(equity)) {
              made++;
              yield chunk;
            }
          },
          deterministic: true,
          compressible: true,
        },
        { name: 'run.log', content: [Buffer.from('wall clock '), '12:00\n'], deterministic: false },
      ],
    });
    expect(made).toBeGreaterThan(10);
    expect(streamed.digest).toBe(oneShot.digest);
    for (const name of Object.keys(oneShot.artifacts)) {
      expect(streamed.artifacts[name]?.content).toEqual(oneShot.artifacts[name]?.content);
      expect(gunzipOrPlain(join(root, 'streamed', name))).toEqual(gunzipOrPlain(join(root, 'one', name)));
    }
    expect(verifyRunFiles(root, 'streamed')).toEqual(expect.objectContaining({ ok: true }));
    expect(readRun(root, 'streamed').equity).toEqual(readRun(root, 'one').equity);
  });

  it('leaves no folder behind when a piece fails half way, and names the bad piece', async () => {
    const failing = function* (): Generator<string> {
      yield 'x'.repeat(COMPRESS_ARTIFACT_MIN_BYTES + 10);
      throw new DataError('the curve broke', { field: 'time[7]' });
    };
    await expect(writeRunArtifactsStreaming({ root, runId: 'bad', manifest: MANIFEST, artifacts: [{ name: 'a.csv', content: failing, deterministic: true, compressible: true }] })).rejects.toThrow(/time\[7\]/);
    await expect(writeRunArtifactsStreaming({ root, runId: 'bad', manifest: MANIFEST, artifacts: [{ name: 'a.csv', content: () => [1 as unknown as string], deterministic: true }] })).rejects.toThrow(ConfigError);
    expect(readdirSync(root)).toEqual([]);
  });
});

function gunzipOrPlain(file: string): string {
  const bytes = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}
