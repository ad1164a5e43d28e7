import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { Gzip, ZlibOptions } from 'node:zlib';
import { constants as zlibConstants, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import type { JsonValue } from '@quantbot/core';
import { canonicalJson, ConfigError, DataError, QuantbotError } from '@quantbot/core';
import { syncDirectory, writeFileDurably } from './durable-file';
import type { EquityCurve } from './run-records';
import { compareStrings, deepFreeze, errorMessage } from './internal';
import { equityCsvBytes } from './equity-csv-bytes';

/**
 * The version of the manifest layout written by {@link writeRunArtifacts}. Version 2's digest
 * covers the whole manifest that defines the run (see {@link computeManifestDigest}); version 1's
 * covered only the artifacts (see {@link computeRunDigest}).
 */
export const RUN_MANIFEST_SCHEMA_VERSION = 2;

/**
 * The version-1 layout, still read (so old runs can be listed, replayed and reported) but never
 * accepted as verified: its digest does not cover the parameters, command line or data.
 */
export const LEGACY_RUN_MANIFEST_SCHEMA_VERSION = 1;

/** The manifest's file name inside a run folder; it is written last. */
export const RUN_MANIFEST_FILE = 'manifest.json';

/** The usual artifact names of a run folder (`readRun` reads these). */
export const RUN_ARTIFACT_FILES = {
  summary: 'summary.json',
  decisions: 'decision_events.jsonl',
  orders: 'orders.jsonl',
  trades: 'trades.jsonl',
  equity: 'equity.csv',
} as const;

/**
 * A compressible artifact of at least this many bytes is stored gzip-compressed, as
 * `<name>.gz` (see {@link RunArtifact.compressible}); smaller ones stay plain text.
 */
export const COMPRESS_ARTIFACT_MIN_BYTES = 1 << 20;

/** The suffix of a compressed artifact's file name. */
export const COMPRESSED_ARTIFACT_SUFFIX = '.gz';

/** The prefix of the hidden folder a run is assembled in before it is renamed into place. */
export const PARTIAL_RUN_PREFIX = '.partial-';

/** Run ids and artifact names: letters, digits, `.`, `_`, `-`; not starting with `.`. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_NAME_LENGTH = 200;
const HASH_CHUNK_BYTES = 1 << 20;

/**
 * An artifact's content made before the run folder is written, already hashed and (from
 * `COMPRESS_ARTIFACT_MIN_BYTES` up) gzip-compressed: what an `ArtifactCompressor` gives.
 * Give it as a `RunArtifact`'s content; the files, manifest and digest are exactly those of the
 * same text given as a string.
 */
export class PreparedArtifact {
  /** Hex SHA-256 and size of the content (uncompressed): what the digest covers. */
  readonly sha256: string;
  readonly bytes: number;
  /** The gzip stream of the content (level 1, as the run writer compresses), or null below the threshold. */
  readonly gzip: { readonly data: Uint8Array; readonly sha256: string } | null;
  /** The content itself when it was not compressed; null otherwise. */
  readonly plain: Uint8Array | null;

  constructor(fields: { readonly sha256: string; readonly bytes: number; readonly gzip: { readonly data: Uint8Array; readonly sha256: string } | null; readonly plain: Uint8Array | null }) {
    this.sha256 = fields.sha256;
    this.bytes = fields.bytes;
    this.gzip = fields.gzip;
    this.plain = fields.plain;
  }
}

/**
 * An artifact's content: text (written as UTF-8), bytes, or pieces of either in order (the file
 * is their concatenation; {@link writeRunArtifactsStreaming} writes them as they come), or a
 * {@link PreparedArtifact} (hashed and compressed before the folder is written).
 */
export type RunArtifactContent = string | Uint8Array | Iterable<string | Uint8Array> | PreparedArtifact;

/** One file of a run: its name in the run folder, its content, and whether reruns must reproduce it. */
export interface RunArtifact {
  /** A plain file name (see {@link validateRunId} for the characters allowed); not `manifest.json`. */
  readonly name: string;
  /**
   * Text (written as UTF-8) or bytes, or a function that makes them: it is called when the
   * artifact is written, one artifact at a time, so a large run never holds every file's text at
   * once.
   */
  readonly content: RunArtifactContent | (() => RunArtifactContent);
  /**
   * True when the same inputs, parameters and seed always give the same bytes (trades, orders,
   * equity); false for files holding wall-clock times or environment details (logs, timings).
   * Only deterministic artifacts enter the run digest.
   */
  readonly deterministic: boolean;
  /**
   * Store it gzip-compressed as `<name>.gz` when it has {@link COMPRESS_ARTIFACT_MIN_BYTES} or
   * more (default false). The digest covers the uncompressed content under the plain name, so a
   * run stored compressed and one stored plain have the same digest; `readRun` reads both.
   */
  readonly compressible?: boolean;
}

/** What the manifest says about one artifact. */
export interface RunArtifactEntry {
  /** Hex SHA-256 of the file's bytes (as stored: compressed for a `gzip` artifact). */
  readonly sha256: string;
  readonly bytes: number;
  readonly deterministic: boolean;
  /** `gzip` for an artifact stored compressed (its file name ends in `.gz`); absent for plain text. */
  readonly encoding?: 'gzip';
  /** A compressed artifact's uncompressed content: its hex SHA-256 and size (what the digest covers). */
  readonly content?: { readonly sha256: string; readonly bytes: number };
}

/** The name an artifact has in the digest: a compressed artifact's name without `.gz`. */
export function artifactContentName(name: string, entry: RunArtifactEntry): string {
  return entry.encoding === 'gzip' && name.endsWith(COMPRESSED_ARTIFACT_SUFFIX) ? name.slice(0, -COMPRESSED_ARTIFACT_SUFFIX.length) : name;
}

/** The SHA-256 of an artifact's content: of the uncompressed bytes for a compressed artifact. */
export function artifactContentSha256(entry: RunArtifactEntry): string {
  return entry.encoding === 'gzip' && entry.content !== undefined ? entry.content.sha256 : entry.sha256;
}

/** The head of a hash-chained audit log: its record count and the last record's hash. */
export interface RunAuditHead {
  readonly records: number;
  /** Hex SHA-256; 64 zeros for no record. */
  readonly hash: string;
}

/**
 * The anchor of the audit log a run appended to (`--audit-log`): where its chain stood before
 * the run (`from`) and after it (`head`). Kept in the manifest, which the digest covers, it lets
 * a verifier detect a cut tail, an emptied or deleted log and a chain re-hashed after an edit.
 */
export interface RunAuditAnchor {
  /** The log's path as the run resolved it. */
  readonly file: string;
  readonly from: RunAuditHead;
  readonly head: RunAuditHead;
}

/** `manifest.json` of a run folder. */
export interface RunManifest {
  /** {@link RUN_MANIFEST_SCHEMA_VERSION}, or {@link LEGACY_RUN_MANIFEST_SCHEMA_VERSION} for an old run. */
  readonly schemaVersion: typeof RUN_MANIFEST_SCHEMA_VERSION | typeof LEGACY_RUN_MANIFEST_SCHEMA_VERSION;
  readonly runId: string;
  /** ISO 8601 times given by the caller (the library never reads the wall clock). */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The git commit of the code that ran (see {@link gitCommit}), or null when unknown. */
  readonly codeVersion: string | null;
  /** The command's arguments, as given. */
  readonly commandLine: readonly string[];
  /** The effective parameters of the run (strategy, costs, risk limits, …). */
  readonly parameters: JsonValue;
  /** The random seed, or null when nothing random ran. */
  readonly seed: number | null;
  /** A hash of the input data (see {@link hashFiles}), or null when unknown. */
  readonly dataHash: string | null;
  /** Schema 2: each input file with its hash (what `dataHash` covers), or null when unknown. */
  readonly dataFiles?: readonly HashedFile[] | null;
  /** Schema 2: the audit log's anchor, or null when the run wrote no audit log. */
  readonly audit?: RunAuditAnchor | null;
  /**
   * Schema 2: hex SHA-256 of the canonical JSON of everything that defines the run and its
   * results (see {@link computeManifestDigest}): two runs with equal digests ran the same
   * command line, parameters, seed and data and produced the same results and audit head.
   * Schema 1: over the artifacts only (see {@link computeRunDigest}).
   */
  readonly digest: string;
  /** Every artifact, by name (keys in sorted order). */
  readonly artifacts: { readonly [name: string]: RunArtifactEntry };
}

/** The manifest fields the caller provides; the rest is computed from the artifacts. */
export type RunManifestInput = Omit<RunManifest, 'schemaVersion' | 'runId' | 'digest' | 'artifacts'>;

/** A manifest without its digest: what {@link computeManifestDigest} hashes. */
export type RunManifestBody = Omit<RunManifest, 'digest'>;

/** Input of {@link writeRunArtifacts}. */
export interface WriteRunArtifactsInput {
  /** The folder holding run folders, such as `results/runs`; created when missing. */
  readonly root: string;
  readonly runId: string;
  readonly artifacts: readonly RunArtifact[];
  readonly manifest: RunManifestInput;
}

/** A run folder that already exists: runs are never overwritten. */
export class RunExistsError extends QuantbotError {
  readonly runId: string;
  readonly dir: string;

  constructor(runId: string, dir: string) {
    super('RUN_EXISTS', `run '${runId}' already exists at ${dir}; runs are never overwritten, choose another run id`);
    this.runId = runId;
    this.dir = dir;
  }
}

/**
 * Checks a run id: 1 to 200 characters of `A-Z a-z 0-9 . _ -`, not starting with `.` (so it can
 * never be `..` nor a hidden partial folder). Throws a `ConfigError` naming `runId`.
 */
export function validateRunId(runId: string): void {
  if (typeof runId !== 'string' || runId.length > MAX_NAME_LENGTH || !SAFE_NAME.test(runId)) {
    throw new ConfigError(
      'runId',
      `'${String(runId)}' is not a valid run id: use 1 to ${MAX_NAME_LENGTH} letters, digits, '.', '_' or '-', not starting with '.'`,
    );
  }
}

/**
 * Writes a run folder atomically and returns its manifest. Every artifact is written and synced
 * into the hidden folder `<root>/.partial-<runId>-<pid>`, then `manifest.json` last, then the
 * folder is renamed to `<root>/<runId>` (atomic on one filesystem). A crash before the rename
 * leaves only the hidden folder, which run listings ignore; an error removes it.
 *
 * Throws a `ConfigError` for an invalid run id (`runId`), artifact name (`artifacts[i].name`) or
 * manifest time (`manifest.startedAt`), a {@link RunExistsError} when the run folder exists, and
 * a `QuantbotError` with code `RUN_WRITE_FAILED` when the filesystem refuses a write.
 *
 * @example
 * const manifest = writeRunArtifacts({
 *   root: 'results/runs',
 *   runId: '20240102-030405-sma-orcl',
 *   artifacts: [
 *     { name: 'trades.jsonl', content: toJsonLines(trades), deterministic: true },
 *     { name: 'equity.csv', content: equityCsv(curve), deterministic: true },
 *   ],
 *   manifest: { startedAt, finishedAt, codeVersion: gitCommit('.'), commandLine: process.argv.slice(2),
 *     parameters, seed: 42, dataHash: hashFiles(['data/ORCL.csv']).sha256 },
 * });
 */
export function writeRunArtifacts(input: WriteRunArtifactsInput): RunManifest {
  const folder = startRunFolder(input);
  try {
    const entries: [string, RunArtifactEntry][] = [];
    input.artifacts.forEach((artifact, i) => {
      const content = artifactContent(artifact);
      if (content instanceof PreparedArtifact) {
        entries.push(writePrepared(folder.partialDir, artifact, content));
        return;
      }
      const bytes = materialize(content, `artifacts[${i}].content`);
      if (artifact.compressible === true && bytes.length >= COMPRESS_ARTIFACT_MIN_BYTES) {
        const stored = gzipSync(bytes, GZIP_OPTIONS);
        const name = `${artifact.name}${COMPRESSED_ARTIFACT_SUFFIX}`;
        writeFileDurably(join(folder.partialDir, name), stored);
        const content = { sha256: sha256Hex(bytes), bytes: bytes.length };
        entries.push([name, { sha256: sha256Hex(stored), bytes: stored.length, deterministic: artifact.deterministic, encoding: 'gzip', content }]);
      } else {
        writeFileDurably(join(folder.partialDir, artifact.name), bytes);
        entries.push([artifact.name, { sha256: sha256Hex(bytes), bytes: bytes.length, deterministic: artifact.deterministic }]);
      }
    });
    return finishRunFolder(input, folder, entries);
  } catch (error) {
    throw failedRunFolder(input, folder, error);
  }
}

/**
 * {@link writeRunArtifacts} for large runs: each artifact's pieces are hashed, compressed and
 * written as they come, so a run of a million steps never holds a whole file in memory, and
 * compression (on libuv's thread pool) overlaps with making the next pieces on the main thread.
 * A compressible artifact is buffered until it reaches {@link COMPRESS_ARTIFACT_MIN_BYTES}, then
 * streamed through gzip; the files, manifest and digest are exactly those of
 * `writeRunArtifacts` for the same content.
 *
 * Throws as {@link writeRunArtifacts} does.
 *
 * @example
 * await writeRunArtifactsStreaming({ root, runId, manifest,
 *   artifacts: [{ name: 'equity.csv', content: () => equityCsvChunks(curve), deterministic: true, compressible: true }] });
 */
export async function writeRunArtifactsStreaming(input: WriteRunArtifactsInput): Promise<RunManifest> {
  const folder = startRunFolder(input);
  try {
    const entries: [string, RunArtifactEntry][] = [];
    for (let i = 0; i < input.artifacts.length; i++) {
      entries.push(await streamArtifact(folder.partialDir, input.artifacts[i] as RunArtifact, `artifacts[${i}].content`));
    }
    return finishRunFolder(input, folder, entries);
  } catch (error) {
    throw failedRunFolder(input, folder, error);
  }
}

/** Level 1: most of the size for a fraction of the time (a 38 MB equity curve: 5.5 MB in about 0.13 s, against 4.7 MB in 0.6 s at the default level). */
const GZIP_OPTIONS = { level: 1, strategy: zlibConstants.Z_DEFAULT_STRATEGY } as const;

/** How much compressed-to-be text may wait for the thread pool before the producer pauses. */
const GZIP_HIGH_WATER_BYTES = 1 << 20;
/** zlib's output buffer: large, so one input piece rarely needs more than one trip to the thread pool. */
const GZIP_CHUNK_BYTES = 256 << 10;

interface RunFolder {
  readonly finalDir: string;
  readonly partialDir: string;
}

/** Checks the input and creates the hidden folder the run is assembled in. */
function startRunFolder(input: WriteRunArtifactsInput): RunFolder {
  const { root, runId, artifacts } = input;
  validateRunId(runId);
  validateArtifacts(artifacts);
  validateManifestInput(input.manifest);
  const finalDir = join(root, runId);
  if (existsSync(finalDir)) throw new RunExistsError(runId, finalDir);
  const partialDir = join(root, `${PARTIAL_RUN_PREFIX}${runId}-${process.pid}`);
  try {
    mkdirSync(root, { recursive: true });
    // A leftover from a crashed attempt of this very process id is stale by definition.
    rmSync(partialDir, { recursive: true, force: true });
    mkdirSync(partialDir);
  } catch (error) {
    throw failedRunFolder(input, { finalDir, partialDir }, error);
  }
  return { finalDir, partialDir };
}

/** Writes the manifest last, then renames the folder into place. */
function finishRunFolder(input: WriteRunArtifactsInput, folder: RunFolder, entries: [string, RunArtifactEntry][]): RunManifest {
  const { root, runId } = input;
  const { finalDir, partialDir } = folder;
  entries.sort(([a], [b]) => compareStrings(a, b));
  const artifactTable = Object.fromEntries(entries) as { readonly [name: string]: RunArtifactEntry };
  const body: RunManifestBody = {
    schemaVersion: RUN_MANIFEST_SCHEMA_VERSION,
    runId,
    startedAt: input.manifest.startedAt,
    finishedAt: input.manifest.finishedAt,
    codeVersion: input.manifest.codeVersion,
    commandLine: [...input.manifest.commandLine],
    parameters: input.manifest.parameters,
    seed: input.manifest.seed,
    dataHash: input.manifest.dataHash,
    dataFiles: input.manifest.dataFiles ?? null,
    audit: input.manifest.audit ?? null,
    artifacts: artifactTable,
  };
  const { artifacts: table, ...head } = body;
  // The digest sits before the artifact table, as in schema 1.
  const manifest: RunManifest = { ...head, digest: computeManifestDigest(body), artifacts: table };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  writeFileDurably(join(partialDir, RUN_MANIFEST_FILE), Buffer.from(manifestText, 'utf8'));
  syncDirectory(partialDir);
  // On Linux, rename onto an empty directory succeeds, so check again right before it.
  if (existsSync(finalDir)) throw new RunExistsError(runId, finalDir);
  renameSync(partialDir, finalDir);
  syncDirectory(root);
  // What readers will see, and detached from the caller's `parameters` object.
  return deepFreeze(JSON.parse(manifestText) as RunManifest);
}

/** Removes the hidden folder and returns the error to throw. */
function failedRunFolder(input: WriteRunArtifactsInput, folder: RunFolder, error: unknown): QuantbotError {
  removeQuietly(folder.partialDir);
  if (error instanceof QuantbotError) return error;
  return new QuantbotError('RUN_WRITE_FAILED', `${input.root}: cannot write run '${input.runId}': ${errorMessage(error)}`, { cause: error });
}

function artifactContent(artifact: RunArtifact): RunArtifactContent {
  return typeof artifact.content === 'function' ? artifact.content() : artifact.content;
}

/** The pieces of a content, in order. */
function* pieces(content: Exclude<RunArtifactContent, PreparedArtifact>, field: string): Generator<Uint8Array> {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    yield toBytes(content, field);
    return;
  }
  if (content === null || typeof content !== 'object' || typeof (content as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    throw new ConfigError(field, 'must be a string, a Uint8Array or an iterable of them (or a function returning one)');
  }
  for (const piece of content) yield toBytes(piece, field);
}

function materialize(content: Exclude<RunArtifactContent, PreparedArtifact>, field: string): Uint8Array {
  if (typeof content === 'string' || content instanceof Uint8Array) return toBytes(content, field);
  return Buffer.concat([...pieces(content, field)]);
}

/**
 * Writes a prepared artifact: its compressed bytes as `<name>.gz` when it is compressible and was
 * compressed, else its content as `<name>` (decompressed when it was compressed but the artifact
 * is not compressible), with the entry the same content given as text would get.
 */
function writePrepared(dir: string, artifact: RunArtifact, prepared: PreparedArtifact): [string, RunArtifactEntry] {
  const content = { sha256: prepared.sha256, bytes: prepared.bytes };
  if (prepared.gzip !== null && artifact.compressible === true) {
    const name = `${artifact.name}${COMPRESSED_ARTIFACT_SUFFIX}`;
    writeFileDurably(join(dir, name), prepared.gzip.data);
    return [name, { sha256: prepared.gzip.sha256, bytes: prepared.gzip.data.length, deterministic: artifact.deterministic, encoding: 'gzip', content }];
  }
  const plain = prepared.plain ?? gunzipSync(prepared.gzip?.data ?? new Uint8Array(0));
  writeFileDurably(join(dir, artifact.name), plain);
  return [artifact.name, { sha256: prepared.sha256, bytes: prepared.bytes, deterministic: artifact.deterministic }];
}

/** Writes one artifact from its pieces: hashed as they come, gzip-compressed once past the threshold. */
async function streamArtifact(dir: string, artifact: RunArtifact, field: string): Promise<[string, RunArtifactEntry]> {
  const prepared = artifactContent(artifact);
  if (prepared instanceof PreparedArtifact) return writePrepared(dir, artifact, prepared);
  const contentHash = createHash('sha256');
  let contentBytes = 0;
  let waiting: Uint8Array[] = [];
  let waitingBytes = 0;
  let gzip: Gzip | undefined;
  let gzipDone: Promise<void> | undefined;
  let fd: number | undefined;
  const storedHash = createHash('sha256');
  let storedBytes = 0;
  const name = `${artifact.name}${COMPRESSED_ARTIFACT_SUFFIX}`;
  try {
    for (const piece of pieces(prepared, field)) {
      contentHash.update(piece);
      contentBytes += piece.length;
      if (gzip === undefined) {
        waiting.push(piece);
        waitingBytes += piece.length;
        if (artifact.compressible !== true || waitingBytes < COMPRESS_ARTIFACT_MIN_BYTES) continue;
        const out = openSync(join(dir, name), 'wx');
        fd = out;
        // zlib streams pass their options to the Transform underneath, highWaterMark included.
        const options: ZlibOptions & { readonly highWaterMark: number } = { ...GZIP_OPTIONS, chunkSize: GZIP_CHUNK_BYTES, highWaterMark: GZIP_HIGH_WATER_BYTES };
        const stream = createGzip(options);
        stream.on('data', (chunk: Buffer) => {
          storedHash.update(chunk);
          storedBytes += chunk.length;
          writeAll(out, chunk);
        });
        gzipDone = finished(stream);
        // Awaited on success; on a failure the stream is destroyed below and this rejection is expected.
        gzipDone.catch(() => undefined);
        gzip = stream;
        for (const held of waiting) gzip.write(held);
        waiting = [];
      } else if (!gzip.write(piece)) {
        await once(gzip, 'drain');
      } else {
        // Let the event loop hand the thread pool its next input while this thread makes the next piece.
        await setImmediatePromise();
      }
    }
    if (gzip === undefined) {
      const bytes = waiting.length === 1 ? (waiting[0] as Uint8Array) : Buffer.concat(waiting);
      writeFileDurably(join(dir, artifact.name), bytes);
      return [artifact.name, { sha256: contentHash.digest('hex'), bytes: contentBytes, deterministic: artifact.deterministic }];
    }
    gzip.end();
    await gzipDone;
    fsyncSync(fd as number);
    const content = { sha256: contentHash.digest('hex'), bytes: contentBytes };
    return [name, { sha256: storedHash.digest('hex'), bytes: storedBytes, deterministic: artifact.deterministic, encoding: 'gzip', content }];
  } finally {
    if (gzip !== undefined && !gzip.writableFinished) gzip.destroy();
    if (fd !== undefined) closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * The digest of a manifest, by its schema version.
 *
 * Schema 2: hex SHA-256 of the canonical JSON (core's `canonicalJson`) of
 * `{ schemaVersion, commandLine, parameters, seed, dataHash, dataFiles, audit, artifacts }`, where
 * `artifacts` maps each deterministic artifact's name to its SHA-256. So editing the parameters,
 * the command line, the data hashes, the audit anchor or any deterministic artifact changes it.
 * Left out, because a faithful re-run differs in them: `runId`, `startedAt`, `finishedAt`
 * (identity and wall-clock times) and `codeVersion` (provenance: a re-run by newer code that
 * reproduces the digest shows the results did not change).
 *
 * Schema 1: {@link computeRunDigest} of the artifacts only.
 */
export function computeManifestDigest(manifest: RunManifestBody): string {
  if (manifest.schemaVersion === LEGACY_RUN_MANIFEST_SCHEMA_VERSION) return computeRunDigest(manifest.artifacts);
  // A compressed artifact enters under its plain name with its uncompressed content's hash: how
  // an artifact is stored does not change what the run produced.
  const artifacts = Object.fromEntries(
    Object.entries(manifest.artifacts)
      .filter(([, entry]) => entry.deterministic)
      .map(([name, entry]) => [artifactContentName(name, entry), artifactContentSha256(entry)]),
  );
  const defining = {
    schemaVersion: manifest.schemaVersion,
    commandLine: [...manifest.commandLine],
    parameters: manifest.parameters,
    seed: manifest.seed,
    dataHash: manifest.dataHash,
    dataFiles: (manifest.dataFiles ?? null) === null ? null : (manifest.dataFiles ?? []).map((file) => ({ name: file.name, sha256: file.sha256, bytes: file.bytes })),
    audit: manifest.audit ?? null,
    artifacts,
  };
  return sha256Hex(canonicalJson(defining as unknown as JsonValue));
}

/**
 * The schema-1 run digest: hex SHA-256 over `${name}\t${sha256}\n` for each deterministic
 * artifact, in name order (by UTF-16 code unit). Non-deterministic artifacts do not count. It
 * covers the results only, not what defines the run: schema 2 uses {@link computeManifestDigest}.
 */
export function computeRunDigest(artifacts: { readonly [name: string]: RunArtifactEntry }): string {
  return hashListing(
    Object.entries(artifacts)
      .filter(([, entry]) => entry.deterministic)
      .map(([name, entry]) => ({ name, sha256: entry.sha256 })),
  );
}

/**
 * Hex SHA-256 of text (as UTF-8) or bytes.
 *
 * @example sha256Hex('') === 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 */
export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * JSON Lines text: one `JSON.stringify` per record, each followed by `\n`; `''` for no records.
 * Throws a `DataError` naming the record (`records[3]`) when one cannot be written as JSON.
 *
 * @example toJsonLines([{ a: 1 }, [2]]) === '{"a":1}\n[2]\n'
 */
export function toJsonLines(records: readonly unknown[]): string {
  return [...jsonLinesChunks(records)].join('');
}

/** Records per piece of {@link jsonLinesChunks}: small pieces, which the young generation reclaims without touching new memory. */
const JSON_LINES_CHUNK_RECORDS = 256;

/**
 * {@link toJsonLines} in pieces of {@link JSON_LINES_CHUNK_RECORDS} lines, made as they are asked
 * for (see `equityCsvChunks`). `stringify` replaces `JSON.stringify` for records whose JSON a
 * faster function prints exactly (such as `orderEventRecordJson` of `@quantbot/core`). Throws
 * (when iterated) as `toJsonLines` does.
 */
export function* jsonLinesChunks<T>(records: readonly T[], stringify: (record: T) => string | undefined = JSON.stringify): Generator<string> {
  let lines: string[] = [];
  for (let i = 0; i < records.length; i++) {
    let line: string | undefined;
    try {
      line = stringify(records[i] as T);
    } catch (error) {
      throw new DataError(`cannot be written as JSON: ${errorMessage(error)}`, { field: `records[${i}]` });
    }
    if (line === undefined) throw new DataError(`a ${typeof records[i]} is not a JSON value`, { field: `records[${i}]` });
    lines.push(line, '\n');
    if (lines.length >= 2 * JSON_LINES_CHUNK_RECORDS) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join('');
}

/**
 * `equity.csv` text: the header `time,equity`, then one line per step with the time as ISO 8601
 * and the equity as `String(number)` (the shortest text that parses back to the same number).
 * Throws a `DataError` when the columns differ in length or a time is not a valid epoch ms.
 *
 * @example equityCsv({ time: [0], equity: [100000.5] }) === 'time,equity\n1970-01-01T00:00:00.000Z,100000.5\n'
 */
export function equityCsv(curve: EquityCurve): string {
  return Buffer.concat([...equityCsvChunks(curve)]).toString('utf8');
}

/** Lines per piece of {@link equityCsvChunks}: pieces of about 40 KB (64 KB allocated), which memory already in use takes. */
const EQUITY_CSV_CHUNK_LINES = 1024;

/**
 * {@link equityCsv} as UTF-8 bytes, in pieces of {@link EQUITY_CSV_CHUNK_LINES} lines (about
 * 40 KB), made as they are asked for: a long curve (a million steps) never becomes one huge
 * string, and `writeRunArtifactsStreaming` compresses each piece while the next is made. The
 * lines are written straight as bytes (no string per line).
 *
 * @throws DataError (when iterated) when the columns differ in length or a time is not a valid epoch ms.
 */
export function* equityCsvChunks(curve: EquityCurve): Generator<Uint8Array> {
  checkEquityCurve(curve);
  const length = curve.time.length;
  for (let from = 0; from < length || from === 0; from += EQUITY_CSV_CHUNK_LINES) {
    yield equityCsvBytes(curve.time, curve.equity, from, Math.min(length, from + EQUITY_CSV_CHUNK_LINES), from === 0);
  }
}

/** Throws a `DataError` when the columns differ in length or a time is not a valid epoch ms (naming `time[i]`). */
export function checkEquityCurve(curve: EquityCurve): void {
  if (curve.time.length !== curve.equity.length) {
    throw new DataError(`the curve has ${curve.time.length} times but ${curve.equity.length} equity values`, { field: 'equity' });
  }
  for (let i = 0; i < curve.time.length; i++) {
    const time = curve.time[i] as number;
    if (!Number.isFinite(time) || Math.abs(time) > 8.64e15) throw new DataError(`${time} is not a valid epoch ms`, { field: `time[${i}]` });
  }
}

/**
 * The commit checked out in the git working tree containing `cwd` (searching parent folders),
 * read from `.git/HEAD`, loose refs and `packed-refs` without running git. Handles detached
 * heads, worktrees and submodules (a `.git` file pointing elsewhere). Returns null when `cwd` is
 * not in a git checkout or the branch has no commit yet. Uncommitted changes are not detected.
 */
export function gitCommit(cwd: string): string | null {
  const gitDir = findGitDir(resolve(cwd));
  if (gitDir === undefined) return null;
  const commonDir = readCommonDir(gitDir);
  let content = readTextOrUndefined(join(gitDir, 'HEAD'))?.trim();
  // Symbolic refs may point at symbolic refs; a few hops are plenty.
  for (let hop = 0; hop < 5 && content !== undefined; hop++) {
    if (COMMIT_HASH.test(content)) return content;
    const match = /^ref:\s*(\S+)$/.exec(content);
    if (match === null) return null;
    const ref = match[1] as string;
    if (!ref.startsWith('refs/') && ref !== 'HEAD') return null;
    if (ref.split('/').includes('..')) return null;
    content = (readTextOrUndefined(join(gitDir, ref)) ?? readTextOrUndefined(join(commonDir, ref)))?.trim() ?? findPackedRef(commonDir, ref);
  }
  return null;
}

/** One hashed input file. */
export interface HashedFile {
  /** The name that entered the hash: relative, with `/` separators. */
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** The hash of a set of files and the files it covers, sorted by name. */
export interface FileSetHash {
  /** Hex SHA-256 over `${name}\t${sha256}\n` of each file in name order. */
  readonly sha256: string;
  readonly files: readonly HashedFile[];
}

/**
 * Hashes input files for a manifest's `dataHash`: SHA-256 over the sorted lines
 * `${name}\t${sha256}\n`, where a file's name is its path relative to `baseDir` (default: the
 * deepest folder containing all of them, so the hash does not depend on where the data lives).
 * Renaming, editing, adding or removing a file changes the hash. Throws a `DataError` naming the
 * path when a file is missing or is not a regular file.
 *
 * @example hashFiles(['data/ORCL.csv', 'data/SPY.csv']).sha256 // covers 'ORCL.csv' and 'SPY.csv'
 */
export function hashFiles(paths: readonly string[], options: { readonly baseDir?: string } = {}): FileSetHash {
  const resolved = [...new Set(paths.map((path) => resolve(path)))];
  for (const path of resolved) {
    const stats = statOrUndefined(path);
    if (stats === undefined) throw new DataError('file not found', { file: path });
    if (!stats.isFile()) throw new DataError('not a regular file', { file: path });
  }
  const base = options.baseDir !== undefined ? resolve(options.baseDir) : commonFolder(resolved);
  return hashNamedFiles(resolved.map((path) => ({ name: toPortableName(relative(base, path)), path })));
}

/**
 * Hashes every regular file under `dir` (recursively, following symbolic links once, skipping
 * names starting with `.`) like {@link hashFiles}, with names relative to `dir`. `include`
 * filters by relative name. Throws a `DataError` naming the path when `dir` is missing or is
 * not a folder.
 *
 * @example hashDirectoryFiles('data/daily', { include: (name) => name.endsWith('.csv') }).sha256
 */
export function hashDirectoryFiles(dir: string, options: { readonly include?: (name: string) => boolean } = {}): FileSetHash {
  const root = resolve(dir);
  const stats = statOrUndefined(root);
  if (stats === undefined) throw new DataError('folder not found', { file: root });
  if (!stats.isDirectory()) throw new DataError('not a folder', { file: root });
  const files: { name: string; path: string }[] = [];
  const visited = new Set<string>();
  const walk = (folder: string): void => {
    const real = realpathSync(folder);
    if (visited.has(real)) return;
    visited.add(real);
    for (const entry of readdirSync(folder)) {
      if (entry.startsWith('.')) continue;
      const path = join(folder, entry);
      const entryStats = statOrUndefined(path);
      if (entryStats === undefined) continue; // a dangling symbolic link
      if (entryStats.isDirectory()) walk(path);
      else if (entryStats.isFile()) {
        const name = toPortableName(relative(root, path));
        if (options.include === undefined || options.include(name)) files.push({ name, path });
      }
    }
  };
  walk(root);
  return hashNamedFiles(files);
}

/** SHA-256 over `${name}\t${sha256}\n` lines sorted by name. */
function hashListing(entries: readonly { readonly name: string; readonly sha256: string }[]): string {
  const hash = createHash('sha256');
  for (const entry of [...entries].sort((a, b) => compareStrings(a.name, b.name))) hash.update(`${entry.name}\t${entry.sha256}\n`, 'utf8');
  return hash.digest('hex');
}

function hashNamedFiles(files: readonly { readonly name: string; readonly path: string }[]): FileSetHash {
  return fileSetHash(files.map(({ name, path }): HashedFile => ({ name, ...hashFile(path) })));
}

/**
 * The {@link FileSetHash} of files already hashed (each with its name, SHA-256 and size), as
 * {@link hashFiles} would give for them: for a caller that hashed the bytes while reading them
 * (`readBarPath` of `@quantbot/market-data` with `hash`), so the files are not read again.
 *
 * @example fileSetHash([{ name: 'ORCL.csv', sha256, bytes }]).sha256 === hashFiles(['data/ORCL.csv']).sha256
 */
export function fileSetHash(files: readonly HashedFile[]): FileSetHash {
  const hashed = files.map((file): HashedFile => ({ name: file.name, sha256: file.sha256, bytes: file.bytes })).sort((a, b) => compareStrings(a.name, b.name));
  return Object.freeze({ sha256: hashListing(hashed), files: Object.freeze(hashed.map((file) => Object.freeze(file))) });
}

/** Streams a file through SHA-256 in 1 MiB chunks (input files can be large). */
function hashFile(path: string): { sha256: string; bytes: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new DataError(`cannot open: ${errorMessage(error)}`, { file: path });
  }
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.alloc(HASH_CHUNK_BYTES);
    let bytes = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      bytes += read;
    }
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    closeSync(fd);
  }
}

const COMMIT_HASH = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function findGitDir(start: string): string | undefined {
  let folder = start;
  for (;;) {
    const candidate = join(folder, '.git');
    const stats = statOrUndefined(candidate);
    if (stats?.isDirectory() === true) return candidate;
    if (stats?.isFile() === true) {
      // Worktrees and submodules: `.git` is a file saying `gitdir: <path>`.
      const match = /^gitdir:\s*(.+?)\s*$/m.exec(readTextOrUndefined(candidate) ?? '');
      if (match !== null) {
        const target = match[1] as string;
        return isAbsolute(target) ? target : resolve(folder, target);
      }
      return undefined;
    }
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/** A worktree's git folder names the shared one in `commondir`; otherwise it is itself. */
function readCommonDir(gitDir: string): string {
  const common = readTextOrUndefined(join(gitDir, 'commondir'))?.trim();
  if (common === undefined || common === '') return gitDir;
  return isAbsolute(common) ? common : resolve(gitDir, common);
}

function findPackedRef(commonDir: string, ref: string): string | undefined {
  const packed = readTextOrUndefined(join(commonDir, 'packed-refs'));
  if (packed === undefined) return undefined;
  for (const line of packed.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const [hash, name] = line.trim().split(' ');
    if (name === ref && hash !== undefined) return hash;
  }
  return undefined;
}

function readTextOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The deepest folder containing every path (the parent folder of a single file). */
function commonFolder(paths: readonly string[]): string {
  const [first, ...rest] = paths.map((path) => dirname(path).split(sep));
  if (first === undefined) return resolve('.');
  let length = first.length;
  for (const parts of rest) {
    let i = 0;
    while (i < length && i < parts.length && parts[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length).join(sep) || sep;
}

function toPortableName(name: string): string {
  return name.split(sep).join('/');
}

function validateArtifacts(artifacts: readonly RunArtifact[]): void {
  const seen = new Set<string>();
  artifacts.forEach((artifact, i) => {
    const { name } = artifact;
    if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH || !SAFE_NAME.test(name)) {
      throw new ConfigError(`artifacts[${i}].name`, `'${String(name)}' is not a valid file name: use letters, digits, '.', '_' or '-', not starting with '.'`);
    }
    if (name === RUN_MANIFEST_FILE) throw new ConfigError(`artifacts[${i}].name`, `'${RUN_MANIFEST_FILE}' is written by the run writer itself`);
    if (seen.has(name)) throw new ConfigError(`artifacts[${i}].name`, `'${name}' appears more than once`);
    if (name.endsWith(COMPRESSED_ARTIFACT_SUFFIX)) throw new ConfigError(`artifacts[${i}].name`, `'${name}': names ending in ${COMPRESSED_ARTIFACT_SUFFIX} are those of compressed artifacts; set compressible instead`);
    seen.add(name);
    const content: unknown = artifact.content;
    const isIterable = content !== null && typeof content === 'object' && typeof (content as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
    if (typeof content !== 'string' && !(content instanceof Uint8Array) && typeof content !== 'function' && !isIterable && !(content instanceof PreparedArtifact)) {
      throw new ConfigError(`artifacts[${i}].content`, 'must be a string, a Uint8Array or an iterable of them (or a function returning one)');
    }
  });
}

function validateManifestInput(manifest: RunManifestInput): void {
  for (const key of ['startedAt', 'finishedAt'] as const) {
    const value = manifest[key];
    if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) {
      throw new ConfigError(`manifest.${key}`, `'${String(value)}' is not an ISO 8601 time`);
    }
  }
  if (manifest.seed !== null && !Number.isFinite(manifest.seed)) throw new ConfigError('manifest.seed', `${manifest.seed} is not a finite number`);
  if (!Array.isArray(manifest.commandLine) || manifest.commandLine.some((arg) => typeof arg !== 'string')) {
    throw new ConfigError('manifest.commandLine', 'must be an array of strings');
  }
}

function toBytes(content: unknown, field: string): Uint8Array {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (content instanceof Uint8Array) return content;
  throw new ConfigError(field, 'a piece is neither a string nor a Uint8Array');
}


/** Best-effort cleanup: a failure here must not hide the error that caused it. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing more to do: a leftover hidden partial folder is never listed as a run.
  }
}
