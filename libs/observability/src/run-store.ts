import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError, QuantbotError } from '@quantbot/core';
import type { RunArtifactEntry, RunManifest } from './run-artifacts';
import {
  COMPRESSED_ARTIFACT_SUFFIX,
  computeManifestDigest,
  LEGACY_RUN_MANIFEST_SCHEMA_VERSION,
  RUN_ARTIFACT_FILES,
  RUN_MANIFEST_FILE,
  RUN_MANIFEST_SCHEMA_VERSION,
  sha256Hex,
  validateRunId,
} from './run-artifacts';
import type { DecisionEvent, OrderEventRecord, OrderEventRecordKind, TradeRecord } from './run-records';
import { compareStrings, deepFreeze, errorMessage } from './internal';

/** How many run ids an {@link UnknownRunError} suggests. */
export const UNKNOWN_RUN_SUGGESTIONS = 10;

/**
 * Files that may be added to a finished run folder because they are derived from its artifacts
 * (a report rendered later): `verifyRunFiles` does not count them as unlisted.
 */
export const DERIVED_RUN_FILES: ReadonlySet<string> = new Set(['report.html']);

/** A complete run folder found by {@link listRuns}. */
export interface RunListing {
  readonly runId: string;
  /** The run folder. */
  readonly dir: string;
  readonly manifest: RunManifest;
}

/** A run folder read back by {@link readRun}. Files the run did not write read as empty. */
export interface RunData {
  readonly manifest: RunManifest;
  readonly dir: string;
  /** The parsed `summary.json`, or null when the run has none. */
  readonly summary: unknown;
  readonly decisions: readonly DecisionEvent[];
  readonly orders: readonly OrderEventRecord[];
  readonly trades: readonly TradeRecord[];
  /** `equity.csv` as columns: epoch ms and equity. */
  readonly equity: { readonly time: number[]; readonly equity: number[] };
}

/** A run id that names no run folder; the message lists the most recent runs to pick from. */
export class UnknownRunError extends QuantbotError {
  readonly runId: string;
  readonly root: string;
  /** Up to {@link UNKNOWN_RUN_SUGGESTIONS} run ids, most recent first. */
  readonly recentRunIds: readonly string[];

  constructor(runId: string, root: string, recentRunIds: readonly string[]) {
    const shown = recentRunIds.slice(0, UNKNOWN_RUN_SUGGESTIONS);
    super(
      'RUN_UNKNOWN',
      shown.length === 0
        ? `no run '${runId}': there are no runs in ${root}`
        : `no run '${runId}' in ${root}; the most recent runs are: ${shown.join(', ')}`,
    );
    this.runId = runId;
    this.root = root;
    this.recentRunIds = Object.freeze([...shown]);
  }
}

/** One problem {@link verifyRunFiles} found. */
export interface RunFileProblem {
  /** The artifact's name, or `manifest.json` for a digest that does not match its artifacts. */
  readonly name: string;
  readonly kind: 'missing' | 'size-mismatch' | 'sha256-mismatch' | 'content-mismatch' | 'unlisted' | 'digest-mismatch';
  readonly message: string;
}

/** The outcome of {@link verifyRunFiles}. */
export interface RunVerification {
  readonly runId: string;
  /** True when every artifact matches the manifest and nothing else is in the folder. */
  readonly ok: boolean;
  /** How many artifacts the manifest lists. */
  readonly checked: number;
  readonly problems: readonly RunFileProblem[];
}

const ORDER_EVENT_KINDS: ReadonlySet<OrderEventRecordKind> = new Set<OrderEventRecordKind>([
  'submitted',
  'rejected',
  'accepted',
  'partially-filled',
  'filled',
  'canceled',
  'expired',
  'replaced',
]);
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * The complete runs under `root`: folders holding a valid `manifest.json` whose `runId` is the
 * folder's name, most recent first (by `startedAt`, then by run id, descending). Hidden folders
 * (including `.partial-*` folders of unfinished writes) and folders without a valid manifest
 * are skipped. A missing `root` has no runs.
 *
 * @example listRuns('results/runs').slice(0, 5).map((run) => run.runId)
 */
export function listRuns(root: string): RunListing[] {
  if (!existsSync(root)) return [];
  const runs: { listing: RunListing; startedMs: number }[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || !entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    let manifest: RunManifest;
    try {
      manifest = readManifest(dir);
    } catch {
      continue; // not a complete run
    }
    if (manifest.runId !== entry.name) continue;
    runs.push({ listing: { runId: entry.name, dir, manifest }, startedMs: Date.parse(manifest.startedAt) });
  }
  runs.sort((a, b) => b.startedMs - a.startedMs || compareStrings(b.listing.runId, a.listing.runId));
  return runs.map((run) => run.listing);
}

/**
 * Reads a run folder: its manifest and its standard artifacts (`summary.json`,
 * `decision_events.jsonl`, `orders.jsonl`, `trades.jsonl`, `equity.csv`). An artifact the manifest
 * does not list reads as empty (null summary).
 *
 * Throws an {@link UnknownRunError} when there is no such run, a `ConfigError` naming `runId`
 * for an id that cannot be a run folder, and a `DataError` naming the file (and line) when the
 * manifest or an artifact is malformed or a listed artifact is missing.
 *
 * @example const run = readRun('results/runs', '20240102-030405-sma-orcl'); run.trades.length
 */
export function readRun(root: string, runId: string): RunData {
  const dir = findRunDir(root, runId);
  const manifest = readRunManifest(dir, runId);
  const text = (name: string): { readonly file: string; readonly text: string } | undefined => readArtifactText(dir, manifest, name);
  const summary = text(RUN_ARTIFACT_FILES.summary);
  const decisions = text(RUN_ARTIFACT_FILES.decisions);
  const orders = text(RUN_ARTIFACT_FILES.orders);
  const trades = text(RUN_ARTIFACT_FILES.trades);
  const equity = text(RUN_ARTIFACT_FILES.equity);
  return {
    manifest,
    dir,
    summary: summary === undefined ? null : parseJson(summary.text, summary.file),
    decisions: decisions === undefined ? [] : parseJsonLines(decisions.text, decisions.file, checkDecision),
    orders: orders === undefined ? [] : parseJsonLines(orders.text, orders.file, checkOrderEvent),
    trades: trades === undefined ? [] : parseJsonLines(trades.text, trades.file, checkTrade),
    equity: equity === undefined ? { time: [], equity: [] } : parseEquityCsv(equity.text, equity.file),
  };
}

/** Why a compressed artifact's content is not what the manifest recorded; undefined when it is. */
function contentProblem(stored: Uint8Array, expected: { readonly sha256: string; readonly bytes: number }): string | undefined {
  let content: Buffer;
  try {
    content = gunzipSync(stored);
  } catch (error) {
    return `cannot be decompressed (gzip): ${errorMessage(error)}`;
  }
  if (content.length !== expected.bytes) return `decompresses to ${content.length} bytes, the manifest's content entry says ${expected.bytes}`;
  const actual = sha256Hex(content);
  return actual === expected.sha256 ? undefined : `its content hashes to ${actual.slice(0, 12)}…, the manifest's content entry (which the digest covers) says ${expected.sha256.slice(0, 12)}…`;
}

/**
 * Reads and checks only a run's `manifest.json` (not its artifacts). Throws like {@link readRun}.
 *
 * @example const { digest } = loadRunManifest('results/runs', runId)
 */
export function loadRunManifest(root: string, runId: string): RunManifest {
  return readRunManifest(findRunDir(root, runId), runId);
}

/**
 * The text of artifact `name` of a run folder (`equity.csv`, ...), whether stored plain or
 * gzip-compressed as `<name>.gz`; undefined when the manifest lists neither. Throws a
 * `DataError` naming the file when it is listed but cannot be read or decompressed (gzip's CRC
 * and length check catch a damaged file). `verifyRunFiles` checks the stored bytes' hashes.
 *
 * @example const equity = readArtifactText(run.dir, run.manifest, 'equity.csv')?.text
 */
export function readArtifactText(dir: string, manifest: RunManifest, name: string): { readonly file: string; readonly text: string } | undefined {
  const compressedName = `${name}${COMPRESSED_ARTIFACT_SUFFIX}`;
  const compressed = manifest.artifacts[compressedName];
  const isCompressed = manifest.artifacts[name] === undefined && compressed?.encoding === 'gzip';
  if (manifest.artifacts[name] === undefined && !isCompressed) return undefined;
  const file = join(dir, isCompressed ? compressedName : name);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new DataError(`the manifest lists this artifact but it cannot be read: ${errorMessage(error)}`, { file });
  }
  if (!isCompressed) return { file, text: bytes.toString('utf8') };
  let content: Buffer;
  try {
    content = gunzipSync(bytes);
  } catch (error) {
    throw new DataError(`cannot be decompressed (gzip): ${errorMessage(error)}`, { file });
  }
  return { file, text: content.toString('utf8') };
}

/**
 * Recomputes the SHA-256 and size of every artifact of a run and compares them with its
 * manifest (for a compressed artifact, also of its decompressed content, which the digest
 * covers); also reports files the manifest does not list and a manifest digest that does not
 * match the manifest's content (schema 2: the whole defining manifest, see
 * `computeManifestDigest`; schema 1: the artifact table only). This proves only that the folder
 * is self-consistent: whoever edits a file can recompute every hash. Only a re-run shows the
 * results are real (see `reproduceRun` in `@quantbot/validation`). Throws like {@link readRun} when the run or its manifest is unusable.
 *
 * @example const check = verifyRunFiles('results/runs', runId); if (!check.ok) console.error(check.problems)
 */
export function verifyRunFiles(root: string, runId: string): RunVerification {
  const dir = findRunDir(root, runId);
  const manifest = readRunManifest(dir, runId);
  const problems: RunFileProblem[] = [];
  const names = Object.keys(manifest.artifacts).sort(compareStrings);
  for (const name of names) {
    const expected = manifest.artifacts[name] as RunArtifactEntry;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, name));
    } catch {
      problems.push({ name, kind: 'missing', message: `${name} is listed in the manifest but missing` });
      continue;
    }
    if (bytes.length !== expected.bytes) {
      problems.push({ name, kind: 'size-mismatch', message: `${name} has ${bytes.length} bytes, the manifest says ${expected.bytes}` });
    } else {
      const actual = sha256Hex(bytes);
      if (actual !== expected.sha256) {
        problems.push({
          name,
          kind: 'sha256-mismatch',
          message: `${name} hashes to ${actual.slice(0, 12)}…, the manifest says ${expected.sha256.slice(0, 12)}…`,
        });
      }
    }
    // The digest covers a compressed artifact's content, not its stored bytes (whose hash anyone
    // may rewrite): the content itself must hash as the manifest (and so the digest) says.
    if (expected.encoding === 'gzip' && expected.content !== undefined) {
      const problem = contentProblem(bytes, expected.content);
      if (problem !== undefined) problems.push({ name, kind: 'content-mismatch', message: `${name}: ${problem}` });
    }
  }
  for (const name of readdirSync(dir).sort(compareStrings)) {
    if (name !== RUN_MANIFEST_FILE && manifest.artifacts[name] === undefined && !DERIVED_RUN_FILES.has(name)) {
      problems.push({ name, kind: 'unlisted', message: `${name} is in the run folder but not in the manifest` });
    }
  }
  const { digest: recorded, ...body } = manifest;
  const digest = computeManifestDigest(body);
  if (digest !== recorded) {
    problems.push({
      name: RUN_MANIFEST_FILE,
      kind: 'digest-mismatch',
      message:
        manifest.schemaVersion === LEGACY_RUN_MANIFEST_SCHEMA_VERSION
          ? `the artifacts listed give digest ${digest.slice(0, 12)}…, the manifest says ${recorded.slice(0, 12)}…`
          : `the manifest's content (parameters, command line, data hashes, audit anchor, artifacts) gives digest ${digest.slice(0, 12)}…, the manifest says ${recorded.slice(0, 12)}…: it was edited`,
    });
  }
  return { runId, ok: problems.length === 0, checked: names.length, problems };
}

/**
 * Parses and checks the text of a `manifest.json`. Throws a `DataError` naming `file` and the
 * offending field.
 */
export function parseRunManifest(text: string, file: string): RunManifest {
  const value = parseJson(text, file);
  if (!isRecord(value)) throw new DataError('the manifest is not a JSON object', { file });
  const fail = (field: string, message: string): never => {
    throw new DataError(message, { file, field });
  };
  const version = value['schemaVersion'];
  if (version !== RUN_MANIFEST_SCHEMA_VERSION && version !== LEGACY_RUN_MANIFEST_SCHEMA_VERSION) {
    fail('schemaVersion', `${JSON.stringify(version)} is not a schema version this reader knows (${LEGACY_RUN_MANIFEST_SCHEMA_VERSION} or ${RUN_MANIFEST_SCHEMA_VERSION})`);
  }
  if (version === RUN_MANIFEST_SCHEMA_VERSION) {
    checkDataFiles(value['dataFiles'], fail);
    checkAuditAnchor(value['audit'], fail);
  }
  for (const key of ['runId', 'startedAt', 'finishedAt', 'digest'] as const) {
    if (typeof value[key] !== 'string') fail(key, 'missing or not a string');
  }
  for (const key of ['startedAt', 'finishedAt'] as const) {
    if (!Number.isFinite(Date.parse(value[key] as string))) fail(key, `'${String(value[key])}' is not an ISO 8601 time`);
  }
  if (!HEX_SHA256.test(value['digest'] as string)) fail('digest', 'not 64 lower-case hex digits');
  for (const key of ['codeVersion', 'dataHash'] as const) {
    if (value[key] !== null && typeof value[key] !== 'string') fail(key, 'not a string or null');
  }
  if (value['seed'] !== null && typeof value['seed'] !== 'number') fail('seed', 'not a number or null');
  const commandLine = value['commandLine'];
  if (!Array.isArray(commandLine) || commandLine.some((arg) => typeof arg !== 'string')) fail('commandLine', 'not an array of strings');
  if (!('parameters' in value)) fail('parameters', 'missing');
  const artifacts = value['artifacts'];
  if (!isRecord(artifacts)) return fail('artifacts', 'not an object');
  for (const [name, entry] of Object.entries(artifacts)) {
    const field = `artifacts.${name}`;
    if (!isRecord(entry)) fail(field, 'not an object');
    const { sha256, bytes, deterministic, encoding, content } = entry as { [key: string]: unknown };
    if (typeof sha256 !== 'string' || !HEX_SHA256.test(sha256)) fail(`${field}.sha256`, 'not 64 lower-case hex digits');
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) fail(`${field}.bytes`, 'not a byte count');
    if (typeof deterministic !== 'boolean') fail(`${field}.deterministic`, 'not a boolean');
    if (encoding !== undefined) {
      if (encoding !== 'gzip') fail(`${field}.encoding`, `${JSON.stringify(encoding)} is not an encoding this reader knows (gzip)`);
      if (!name.endsWith(COMPRESSED_ARTIFACT_SUFFIX)) fail(`${field}.encoding`, `a gzip artifact's name ends in ${COMPRESSED_ARTIFACT_SUFFIX}`);
      if (!isRecord(content)) return fail(`${field}.content`, 'missing or not an object');
      if (typeof content['sha256'] !== 'string' || !HEX_SHA256.test(content['sha256'])) fail(`${field}.content.sha256`, 'not 64 lower-case hex digits');
      const contentBytes = content['bytes'];
      if (typeof contentBytes !== 'number' || !Number.isSafeInteger(contentBytes) || contentBytes < 0) fail(`${field}.content.bytes`, 'not a byte count');
    } else if (content !== undefined) {
      fail(`${field}.content`, 'only a compressed artifact (encoding gzip) has a content entry');
    }
  }
  return deepFreeze(value) as unknown as RunManifest;
}

/**
 * Parses JSON Lines text: one JSON value per line, blank lines skipped. `check` may reject a
 * record by returning a message (and the field at fault). Throws a `DataError` naming the file
 * and line number.
 */
export function parseJsonLines<T>(
  text: string,
  file: string,
  check?: (record: unknown) => { readonly field?: string; readonly message: string } | undefined,
): T[] {
  const records: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new DataError(`not valid JSON (${errorMessage(error)})`, { file, line: i + 1 });
    }
    const problem = check?.(record);
    if (problem !== undefined) {
      throw new DataError(problem.message, problem.field === undefined ? { file, line: i + 1 } : { file, line: i + 1, field: problem.field });
    }
    records.push(record as T);
  }
  return records;
}

/**
 * Parses `equity.csv` (header `time,equity`, ISO times) into columns of epoch ms and equity.
 * Throws a `DataError` naming the file and line of the first malformed line.
 */
export function parseEquityCsv(text: string, file: string): { time: number[]; equity: number[] } {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines[0] !== 'time,equity') throw new DataError(`the header is '${lines[0] ?? ''}', expected 'time,equity'`, { file, line: 1 });
  const time: number[] = [];
  const equity: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') {
      if (i === lines.length - 1) break;
      throw new DataError('empty line', { file, line: i + 1 });
    }
    const cells = line.split(',');
    if (cells.length !== 2) throw new DataError(`${cells.length} cells, expected 2`, { file, line: i + 1 });
    const [timeText, equityText] = cells as [string, string];
    const ms = Date.parse(timeText);
    if (!Number.isFinite(ms)) throw new DataError(`'${timeText}' is not an ISO 8601 time`, { file, line: i + 1, field: 'time' });
    const value = Number(equityText);
    if (equityText.trim() === '' || (Number.isNaN(value) && equityText !== 'NaN')) {
      throw new DataError(`'${equityText}' is not a number`, { file, line: i + 1, field: 'equity' });
    }
    time.push(ms);
    equity.push(value);
  }
  return { time, equity };
}

function checkDataFiles(value: unknown, fail: (field: string, message: string) => never): void {
  if (value === null) return;
  if (!Array.isArray(value)) fail('dataFiles', 'not an array or null');
  (value as unknown[]).forEach((file, i) => {
    const field = `dataFiles[${i}]`;
    if (!isRecord(file)) fail(field, 'not an object');
    const { name, sha256, bytes } = file as { [key: string]: unknown };
    if (typeof name !== 'string') fail(`${field}.name`, 'not a string');
    if (typeof sha256 !== 'string' || !HEX_SHA256.test(sha256)) fail(`${field}.sha256`, 'not 64 lower-case hex digits');
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) fail(`${field}.bytes`, 'not a byte count');
  });
}

function checkAuditAnchor(value: unknown, fail: (field: string, message: string) => never): void {
  if (value === null) return;
  if (!isRecord(value)) fail('audit', 'not an object or null');
  const anchor = value as { [key: string]: unknown };
  if (typeof anchor['file'] !== 'string') fail('audit.file', 'not a string');
  for (const key of ['from', 'head'] as const) {
    const head = anchor[key];
    if (!isRecord(head)) return fail(`audit.${key}`, 'not an object');
    const { records, hash } = head;
    if (typeof records !== 'number' || !Number.isSafeInteger(records) || records < 0) fail(`audit.${key}.records`, 'not a record count');
    if (typeof hash !== 'string' || !HEX_SHA256.test(hash)) fail(`audit.${key}.hash`, 'not 64 lower-case hex digits');
  }
}

function findRunDir(root: string, runId: string): string {
  validateRunId(runId);
  const dir = join(root, runId);
  if (!isDirectory(dir)) {
    throw new UnknownRunError(
      runId,
      root,
      listRuns(root).map((run) => run.runId),
    );
  }
  return dir;
}

function readManifest(dir: string): RunManifest {
  const file = join(dir, RUN_MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DataError(`not a complete run: cannot read the manifest (${errorMessage(error)})`, { file });
  }
  return parseRunManifest(text, file);
}

/** The manifest of the run folder `runId`, which must say it is that run (not a copied folder). */
function readRunManifest(dir: string, runId: string): RunManifest {
  const manifest = readManifest(dir);
  if (manifest.runId !== runId) {
    throw new DataError(`the manifest is for run '${manifest.runId}', not '${runId}'`, { file: join(dir, RUN_MANIFEST_FILE), field: 'runId' });
  }
  return manifest;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DataError(`not valid JSON (${errorMessage(error)})`, { file });
  }
}

type RecordProblem = { readonly field?: string; readonly message: string } | undefined;

function checkDecision(record: unknown): RecordProblem {
  return checkEventFields(record) ?? (isRecord(record) && !isRecord(record['inputs']) ? { field: 'inputs', message: 'not an object' } : undefined);
}

function checkOrderEvent(record: unknown): RecordProblem {
  const problem = checkEventFields(record);
  if (problem !== undefined || !isRecord(record)) return problem;
  const event = record['event'];
  if (typeof event !== 'string' || !ORDER_EVENT_KINDS.has(event as OrderEventRecordKind)) {
    return { field: 'event', message: `${JSON.stringify(event)} is not an order event (${[...ORDER_EVENT_KINDS].join(', ')})` };
  }
  return undefined;
}

function checkTrade(record: unknown): RecordProblem {
  if (!isRecord(record)) return { message: 'not a JSON object' };
  return typeof record['symbol'] === 'string' ? undefined : { field: 'symbol', message: 'missing or not a string' };
}

/** The fields replay relies on: `seq`, `time`, `symbol`, `clientOrderId`. */
function checkEventFields(record: unknown): RecordProblem {
  if (!isRecord(record)) return { message: 'not a JSON object' };
  if (typeof record['seq'] !== 'number' || !Number.isFinite(record['seq'])) return { field: 'seq', message: 'missing or not a number' };
  const time = record['time'];
  if (typeof time !== 'string' || !Number.isFinite(Date.parse(time))) return { field: 'time', message: 'missing or not an ISO 8601 time' };
  for (const field of ['symbol', 'clientOrderId']) {
    if (typeof record[field] !== 'string') return { field, message: 'missing or not a string' };
  }
  return undefined;
}

function isRecord(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
