// Artifacts hashed and compressed on the compressor thread while they are made must give the run
// folder, byte for byte, and the manifest that the same text written by the run writer gives.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCompressor } from './artifact-compressor';
import type { PreparedArtifact, RunArtifact, RunManifestInput } from './run-artifacts';
import { COMPRESS_ARTIFACT_MIN_BYTES, equityCsv, writeRunArtifacts, writeRunArtifactsStreaming } from './run-artifacts';
import { readRun } from './run-store';

const MANIFEST: RunManifestInput = {
  startedAt: '2024-01-02T03:04:05.000Z',
  finishedAt: '2024-01-02T03:04:09.500Z',
  codeVersion: null,
  commandLine: ['backtest'],
  parameters: { strategy: 'sma' },
  seed: 1,
  dataHash: null,
};

/** JSON Lines well over the compression threshold, in uneven pieces, with some non-ASCII text. */
function journalPieces(): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (let i = 0; i < 30_000; i++) {
    piece += `${JSON.stringify({ seq: i + 1, time: '2000-01-03T00:00:00.000Z', note: i % 7 === 0 ? 'prix élevé ✓' : 'a strategy note', price: 100 + i / 3 })}\n`;
    if (i % 997 === 0) {
      pieces.push(piece);
      piece = '';
    }
  }
  pieces.push(piece);
  return pieces;
}

function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
}

describe('ArtifactCompressor', () => {
  let root: string;
  let compressor: ArtifactCompressor;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'quantbot-compressor-'));
    compressor = ArtifactCompressor.start();
  });
  afterEach(async () => {
    await compressor.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function prepare(pieces: readonly string[]): Promise<PreparedArtifact> {
    const writer = compressor.artifact();
    for (const piece of pieces) writer.write(piece);
    return writer.finish();
  }

  it('gives the files, entries and digest of the same text written directly, compressed and plain, in both writers', async () => {
    const big = journalPieces();
    const small = ['{"seq":1}\n', '{"seq":2}\n'];
    // Times across years 0000..9999 and beyond (extended years go through Date), intraday times, repeated values.
    const curve = {
      time: Array.from({ length: 50_000 }, (_, i) => -62_200_000_000_000 + i * 7_000_000_000 + (i % 3) * 3_599_999),
      equity: Array.from({ length: 50_000 }, (_, i) => (i % 4 === 0 ? 1e5 : 1e5 + i / 7)),
    };
    const csv = equityCsv(curve);
    expect(Buffer.byteLength(big.join(''))).toBeGreaterThan(COMPRESS_ARTIFACT_MIN_BYTES);
    const direct: RunArtifact[] = [
      { name: 'journal.jsonl', content: big.join(''), deterministic: true, compressible: true },
      { name: 'small.jsonl', content: small.join(''), deterministic: true, compressible: true },
      { name: 'equity.csv', content: csv, deterministic: true, compressible: true },
      { name: 'plain.jsonl', content: big.join(''), deterministic: true },
    ];
    const [journal, smallOne, equity, plain] = await Promise.all([prepare(big), prepare(small), compressor.equityCsv(curve), prepare(big)]);
    const prepared: RunArtifact[] = [
      { name: 'journal.jsonl', content: journal as PreparedArtifact, deterministic: true, compressible: true },
      { name: 'small.jsonl', content: smallOne as PreparedArtifact, deterministic: true, compressible: true },
      { name: 'equity.csv', content: equity as PreparedArtifact, deterministic: true, compressible: true },
      // Compressed on the thread, but not compressible here: stored as the plain text.
      { name: 'plain.jsonl', content: plain as PreparedArtifact, deterministic: true },
    ];
    expect(journal?.gzip).not.toBeNull();
    expect(smallOne?.gzip).toBeNull();
    const expected = writeRunArtifacts({ root, runId: 'direct', artifacts: direct, manifest: MANIFEST });
    const viaSync = writeRunArtifacts({ root, runId: 'prepared-sync', artifacts: prepared, manifest: MANIFEST });
    const viaStream = await writeRunArtifactsStreaming({ root, runId: 'prepared-stream', artifacts: prepared, manifest: MANIFEST });
    for (const manifest of [viaSync, viaStream]) {
      expect(manifest.digest).toBe(expected.digest);
      expect(manifest.artifacts).toEqual(expected.artifacts);
    }
    const expectedFiles = files(join(root, 'direct'));
    delete expectedFiles['manifest.json'];
    for (const runId of ['prepared-sync', 'prepared-stream']) {
      const got = files(join(root, runId));
      delete got['manifest.json'];
      expect(got).toEqual(expectedFiles);
    }
    expect(readRun(root, 'prepared-stream').equity.equity).toEqual(readRun(root, 'direct').equity.equity);
  });

  it('refuses a piece after finish', async () => {
    const writer = compressor.artifact();
    writer.write('a\n');
    const content = await writer.finish();
    expect(content.bytes).toBe(2);
    expect(() => writer.write('b\n')).toThrow(/after it was finished/);
  });
});
