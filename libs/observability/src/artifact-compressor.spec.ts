// Artifacts hashed and compressed on the compressor thread while they are made must give the run
// folder, byte for byte, and the manifest that the same text written by the run writer gives.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
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

  it('passes pieces larger than its ring through it (the writer waiting for room) and gives the same content', async () => {
    const pieces = journalPieces();
    const text = pieces.join('');
    const small = ArtifactCompressor.start({ ringBytes: 4096 });
    try {
      // Two artifacts interleaved, so the ring holds records of both.
      const [a, b] = [small.artifact(), small.artifact()];
      for (const piece of pieces) {
        a.write(piece);
        b.write(piece.slice(0, 3000));
      }
      const [viaRing, other] = await Promise.all([a.finish(), b.finish()]);
      const [direct] = await Promise.all([prepare(pieces)]);
      expect(viaRing.sha256).toBe(createHash('sha256').update(text).digest('hex'));
      expect(viaRing.bytes).toBe(Buffer.byteLength(text));
      expect(viaRing.gzip?.sha256).toBe(direct.gzip?.sha256);
      expect(gunzipSync(viaRing.gzip?.data ?? new Uint8Array()).toString('utf8')).toBe(text);
      const otherText = pieces.map((p) => p.slice(0, 3000)).join('');
      expect(other.sha256).toBe(createHash('sha256').update(otherText).digest('hex'));
    } finally {
      await small.close();
    }
  });

  it('takes bytes as it takes text (interleaved, through a ring smaller than a piece, the caller reusing its buffer)', async () => {
    const pieces = journalPieces();
    const text = pieces.join('');
    const small = ArtifactCompressor.start({ ringBytes: 4096 });
    try {
      const [asBytes, asText, mixed] = [small.artifact(), small.artifact(), small.artifact()];
      // One buffer for every piece, overwritten as soon as a call returns (as the run recorder does).
      const reused = new Uint8Array(1 << 20);
      const encoder = new TextEncoder();
      pieces.forEach((piece, i) => {
        const { written } = encoder.encodeInto(piece, reused);
        asBytes.writeBytes(reused.subarray(0, written));
        reused.fill(0x21, 0, written);
        asText.write(piece);
        if (i % 2 === 0) mixed.write(piece);
        else {
          mixed.writeBytes(encoder.encode(piece));
          mixed.writeBytes(new Uint8Array(0));
        }
      });
      const [bytes, textual, both, direct] = await Promise.all([asBytes.finish(), asText.finish(), mixed.finish(), prepare(pieces)]);
      expect(bytes.sha256).toBe(createHash('sha256').update(text).digest('hex'));
      expect(bytes.bytes).toBe(Buffer.byteLength(text));
      expect(gunzipSync(bytes.gzip?.data ?? new Uint8Array()).toString('utf8')).toBe(text);
      for (const other of [textual, both, direct]) {
        expect(other.sha256).toBe(bytes.sha256);
        expect(other.gzip?.sha256).toBe(bytes.gzip?.sha256);
      }
      expect(() => asBytes.writeBytes(Uint8Array.of(10))).toThrow(/after it was finished/);
    } finally {
      await small.close();
    }
  });

  it('fails a write with a typed error, instead of waiting for ever, when the thread takes nothing from its full ring', async () => {
    const stalled = ArtifactCompressor.start({ ringBytes: 4096, stallTimeoutMs: 200 });
    const writer = stalled.artifact();
    // The thread is being ended: it takes nothing more.
    const closing = stalled.close();
    expect(() => writer.write('x'.repeat(1 << 20))).toThrow(expect.objectContaining({ code: 'RUN_WRITE_FAILED', message: expect.stringMatching(/took nothing from its full ring for 200 ms/) }));
    await closing;
    expect(() => stalled.artifact().write('y')).toThrow(/the compressor was closed/);
  });

  it('makes equity.csv from steps published as they are done: the same content as from the finished curve', async () => {
    const n = 50_000;
    const time = Float64Array.from({ length: n }, (_, i) => -62_200_000_000_000 + i * 7_000_000_000 + (i % 3) * 3_599_999);
    const values = Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1e5 : 1e5 + i / 7));
    const live = compressor.liveEquityCsv(time);
    for (const done of [1, 1_000, 1_000, 16_384, 40_001, n]) {
      live.equity.set(values.subarray(0, done));
      live.publish(done);
    }
    const [made, expected] = await Promise.all([live.finish(), compressor.equityCsv({ time, equity: values })]);
    expect(made).toEqual(expected);
    expect(() => live.publish(n)).toThrow(/after the curve was finished/);

    const empty = compressor.liveEquityCsv([]);
    expect(await empty.finish()).toEqual(await compressor.equityCsv({ time: [], equity: [] }));
    const short = compressor.liveEquityCsv(time);
    short.publish(10);
    await expect(short.finish()).rejects.toThrow(/finished with 10 of its 50000 steps published/);
  });
});
